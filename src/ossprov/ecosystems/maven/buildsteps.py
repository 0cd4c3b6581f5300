"""Named build steps that change or write files, each accepted only with the evidence that it ran.

A documented build step is not tampering, but "a build step" must never become a blanket excuse: each rule
here names what it checked (the template file, the plug-in configuration, the generator line), and accepts a
file only when the published bytes are exactly what that step makes from the source.

- Maven resource filtering: a resource under a directory the POM filters (`<filtering>true</filtering>`)
  equals its source once each `${...}`/`@...@` placeholder is filled in, and the project's own coordinates
  are filled in with this release's.
- Templates (templating-maven-plugin's `src/main/java-templates/`, maven-replacer-plugin's `X.java.in`,
  and alike): a generated source equals its template with the placeholders filled in the same way.
- maven-shade-plugin relocations: a class under a relocated package came from a dependency, which the
  module's source cannot vouch for (medium: verify that dependency).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from ossprov.ecosystems.xmlsafe import parse_xml, text
from ossprov.errors import InputError

PLACEHOLDER = re.compile(r"\$\{([^}\n]{1,200})\}|@([A-Za-z_][\w.-]{0,200})@")
VALUE = re.compile(r"[\w .,:/+@#=-]{0,200}")
"""What a filled-in value may hold: versions, names, timestamps, URLs; never quotes, semicolons or brackets,
with which a value would close the literal it sits in and write code."""
MAX_TEMPLATE_BYTES = 512 * 1024
MAX_PLACEHOLDERS = 64
TEMPLATE_SUFFIXES = (".in", ".template", ".tmpl")
TEMPLATE_PLUGINS = ("templating-maven-plugin", "maven-replacer-plugin", "replacer", "maven-resources-plugin",
                    "build-helper-maven-plugin")


@dataclass(frozen=True)
class Filled:
    """A template whose placeholders, filled in, give the published file."""

    values: dict[str, str]

    def describe(self) -> str:
        shown = ", ".join(f"${{{k}}} → {v!r}" for k, v in list(self.values.items())[:4])
        return shown or "no placeholder"


def fill(template: bytes, published: bytes, known: dict[str, str]) -> Filled | None:
    """The placeholder values that turn `template` into `published`, or None when no filling does, or when a
    placeholder with a known value (this release's version, coordinates) is filled with another, or a value
    holds more than a property's characters (`VALUE`)."""
    if len(template) > MAX_TEMPLATE_BYTES or len(published) > MAX_TEMPLATE_BYTES:
        return None
    try:
        source, target = template.decode("utf-8"), published.decode("utf-8")
    except UnicodeDecodeError:
        return None
    pieces = PLACEHOLDER.split(source)  # literal, (name, name), literal, ...
    literals, names = pieces[::3], [a or b for a, b in zip(pieces[1::3], pieces[2::3], strict=True)]
    if not names or len(names) > MAX_PLACEHOLDERS or not target.startswith(literals[0]):
        return None
    found, at = [], len(literals[0])
    for i, following in enumerate(literals[1:], start=1):
        # each value runs to the next occurrence of the literal after it: linear, no backtracking (adjacent
        # placeholders, with no literal between them, are ambiguous and not accepted)
        last = i == len(literals) - 1
        end = target.find(following, at) if following else (len(target) if last else -1)
        if end < 0 or not VALUE.fullmatch(target[at:end]):
            return None
        found.append(target[at:end])
        at = end + len(following)
    if at != len(target):
        return None
    values: dict[str, str] = {}
    for name, value in zip(names, found, strict=True):
        fixed = known.get(_key(name))
        if (fixed is not None and fixed != value) or values.setdefault(name, value) != value:
            return None
    return Filled(values)


def _key(name: str) -> str:
    """Placeholder names compared loosely: `project.version`, `projectVersion` and `projectversion` alike."""
    return re.sub(r"[^a-z]", "", name.lower())


def known_values(group: str | None, artifact: str | None, version: str) -> dict[str, str]:
    """The placeholders whose value a release fixes, by `_key`."""
    out = {"projectversion": version, "version": version, "pomversion": version}
    if group:
        out.update({"projectgroupid": group, "groupid": group})
    if artifact:
        out.update({"projectartifactid": artifact, "artifactid": artifact})
    return out


def _pom(raw: bytes | None) -> Element | None:
    if raw is None:
        return None
    try:
        return parse_xml(raw, "pom.xml", InputError)
    except InputError:
        return None


def filtered_directories(pom: bytes | None) -> list[str]:
    """Resource directories the POM filters (relative to the module)."""
    root = _pom(pom)
    if root is None:
        return []
    out = []
    for resource in [*root.iterfind("build/resources/resource"), *root.iterfind("build/testResources/testResource")]:
        if (text(resource, "filtering") or "").lower() == "true":
            out.append((text(resource, "directory") or "src/main/resources").strip("/") + "/")
    return out


def plugins(pom: bytes | None) -> list[str]:
    """The artifactIds of the build plug-ins the POM configures."""
    root = _pom(pom)
    if root is None:
        return []
    found = [*root.iterfind("build/plugins/plugin"), *root.iterfind("build/pluginManagement/plugins/plugin")]
    return [text(p, "artifactId") or "" for p in found]


def shade_relocations(pom: bytes | None) -> list[tuple[str, str]]:
    """maven-shade-plugin's class relocations as (original, relocated) internal-name prefixes (the
    multi-release `META-INF/versions/N/` forms folded into the plain ones)."""
    root = _pom(pom)
    if root is None:
        return []
    out = []
    for plugin in root.iterfind("build/plugins/plugin"):
        if text(plugin, "artifactId") != "maven-shade-plugin":
            continue
        for relocation in plugin.iter("relocation"):
            original, relocated = text(relocation, "pattern"), text(relocation, "shadedPattern")
            if original and relocated and not relocated.startswith("META-INF/"):
                out.append((original.replace(".", "/"), relocated.replace(".", "/")))
    return list(dict.fromkeys(out))
