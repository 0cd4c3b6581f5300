"""POMs: coordinates, <scm> and properties, with inheritance through parent POMs and `${...}` interpolation.

Parents are fetched from the repository by coordinates (a published POM's relativePath means nothing there).
A parent cycle is an error; a parent the repository does not have is recorded, not fatal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from ossprov.ecosystems.maven.registry import fetch
from ossprov.ecosystems.xmlsafe import parse_xml, text
from ossprov.errors import OssprovError, RegistryError

MAX_PARENTS = 32
_PROPERTY = re.compile(r"\$\{([^}]+)\}")


def pom_path(group: str, artifact: str, version: str, suffix: str = ".pom") -> str:
    """Repository layout path of a file of `group:artifact:version` (suffix `.pom`, `.jar`, `-sources.jar`)."""
    return f"{group.replace('.', '/')}/{artifact}/{version}/{artifact}-{version}{suffix}"


@dataclass(frozen=True)
class Pom:
    """One POM as written (no inheritance applied)."""

    group: str | None
    artifact: str | None
    version: str | None
    packaging: str
    parent: tuple[str, str, str] | None
    scm: dict[str, str]
    url: str | None
    properties: dict[str, str]


def read_pom(raw: bytes, what: str, error: type[OssprovError]) -> Pom:
    root = parse_xml(raw, what, error)
    if root.tag != "project":
        raise error(f"{what} is not a POM (root element <{root.tag}>)")
    parent_el = root.find("parent")
    parent = None
    if parent_el is not None:
        group, artifact, version = (text(parent_el, "groupId"), text(parent_el, "artifactId"),
                                    text(parent_el, "version"))
        if group and artifact and version:
            parent = (group, artifact, version)
    scm_el = root.find("scm")
    scm = {k: v for k in ("url", "connection", "developerConnection", "tag") if (v := text(scm_el, k))}
    props_el: Element | None = root.find("properties")
    props = {el.tag: (el.text or "").strip() for el in props_el} if props_el is not None else {}
    return Pom(text(root, "groupId") or (parent[0] if parent else None), text(root, "artifactId"),
               text(root, "version") or (parent[2] if parent else None), text(root, "packaging") or "jar",
               parent, scm, text(root, "url"), props)


@dataclass
class Effective:
    """A POM with what it inherits: the <scm> and url of the nearest POM declaring them, merged properties."""

    pom: Pom
    scm: dict[str, str] = field(default_factory=dict)
    scm_from: str | None = None
    """Coordinates of the POM the <scm> came from, when inherited."""
    url: str | None = None
    properties: dict[str, str] = field(default_factory=dict)
    missing_parent: str | None = None

    def interpolate(self, value: str) -> str:
        """Replace `${project.version}`, `${project.artifactId}`, ... and <properties> (unknown ones kept)."""
        project = {"version": self.pom.version, "artifactId": self.pom.artifact, "groupId": self.pom.group,
                   "parent.version": self.pom.parent[2] if self.pom.parent else None}
        for _ in range(8):
            def one(match: re.Match[str]) -> str:
                key = match.group(1)
                for prefix in ("project.", "pom."):
                    if key.startswith(prefix) and project.get(key[len(prefix):]):
                        return str(project[key[len(prefix):]])
                return self.properties.get(key, match.group(0))

            new = _PROPERTY.sub(one, value)
            if new == value:
                break
            value = new
        return value


def effective(pom: Pom) -> Effective:
    """Follow the parent chain for <scm>, url and properties. RegistryError on a cycle."""
    out = Effective(pom, dict(pom.scm), None, pom.url, dict(pom.properties))
    seen = [f"{pom.group}:{pom.artifact}:{pom.version}"]
    current = pom
    while current.parent is not None:
        group, artifact, version = current.parent
        coords = f"{group}:{artifact}:{version}"
        if coords in seen:
            raise RegistryError(f"parent POM cycle: {' -> '.join([*seen, coords])}")
        if len(seen) > MAX_PARENTS:
            raise RegistryError(f"more than {MAX_PARENTS} parent POMs above {seen[0]}; refused")
        seen.append(coords)
        found = fetch(pom_path(group, artifact, version))
        if found is None:
            out.missing_parent = coords
            break
        current = read_pom(found.data, f"parent POM {coords}", RegistryError)
        if not out.scm and current.scm:
            out.scm, out.scm_from = dict(current.scm), coords
        out.url = out.url or current.url
        out.properties = {**current.properties, **out.properties}
    return out
