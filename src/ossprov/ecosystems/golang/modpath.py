"""Go module paths and versions as the go command reads them: escaping for proxy URLs, major-version
suffixes, pseudo-versions, `+incompatible`, and which repository (and directory in it) a path names.

A module path on a known forge names its repository directly (`HOST/OWNER/REPO`); any other path is a vanity
import whose `go-import` meta tag (fetched from `https://PATH?go-get=1`, when the host answers) names the
repository root, as `go get` resolves it.
"""

from __future__ import annotations

import html.parser
import re
from dataclasses import dataclass

from ossprov import http
from ossprov.errors import InputError, NotFoundError, RegistryError

KNOWN_FORGES = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org")
"""Hosts where the first three path elements are the repository (the go command's own table has these)."""
PSEUDO = re.compile(r"^v\d+\.(?:0\.0-|\d+\.\d+-(?:[^+]*\.)?0\.)(\d{14})-([0-9a-f]{12})(\+incompatible)?$")
SEMVER = re.compile(r"^v(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(\+incompatible)?$")
_MAJOR = re.compile(r"^(.*?)(?:/(v[2-9]\d*|v1\d+)|\.(v\d+))$")


def escape(path: str) -> str:
    """The proxy protocol's case encoding: each upper-case letter becomes `!` and its lower case."""
    return re.sub(r"[A-Z]", lambda m: "!" + m.group(0).lower(), path)


@dataclass(frozen=True)
class Version:
    """A module version: the tag it comes from, or the commit a pseudo-version names."""

    text: str
    tag_version: str | None
    """The version a tag carries (`v2.0.0` for `v2.0.0+incompatible`), None for a pseudo-version."""
    commit_prefix: str | None = None
    """The 12-hex commit a pseudo-version names."""
    timestamp: str | None = None
    """The pseudo-version's UTC commit time, yyyymmddhhmmss."""
    incompatible: bool = False


def parse_version(text: str) -> Version:
    """A canonical module version, or InputError."""
    pseudo = PSEUDO.match(text)
    if pseudo:
        return Version(text, None, pseudo.group(2), pseudo.group(1), bool(pseudo.group(3)))
    semver = SEMVER.match(text)
    if not semver:
        raise InputError(f"{text!r} is not a Go module version (expected vMAJOR.MINOR.PATCH or a pseudo-version)")
    return Version(text, text.removesuffix("+incompatible"), incompatible=bool(semver.group(5)))


def semver_key(text: str) -> tuple:
    """Sort key of a semantic version (pre-releases before their release; unparseable versions first)."""
    found = SEMVER.match(text)
    if not found:
        return (-1,)
    pre = found.group(4)
    pre_key = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")) if pre else ()
    return (int(found.group(1)), int(found.group(2)), int(found.group(3)), 0 if pre else 1, pre_key)


def split_major(path: str) -> tuple[str, str]:
    """(path without its major-version suffix, the suffix): `x/y/v2` → (`x/y`, `/v2`), `gopkg.in/a.v3`."""
    found = _MAJOR.match(path)
    if not found:
        return path, ""
    if found.group(3):
        return found.group(1), "." + found.group(3)
    return found.group(1), "/" + found.group(2)


@dataclass(frozen=True)
class Location:
    """Where a module's source lives: the repository and the module's directory in it (no major suffix)."""

    repository: str
    code_dir: str
    """Directory of the module in the repository relative to its root; tags are `code_dir/vX.Y.Z`."""

    def tag(self, version: Version) -> str | None:
        if version.tag_version is None:
            return None
        return f"{self.code_dir}/{version.tag_version}" if self.code_dir else version.tag_version


class _GoImport(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta" and values.get("name") == "go-import":
            self.found.append((values.get("content") or "").split())


def go_import(path: str, insecure: bool = False) -> tuple[str, str, str] | None:
    """(root prefix, vcs, repository URL) from the `go-import` meta tag `https://PATH?go-get=1` serves (http
    only for paths GOINSECURE names), or None when the host does not answer or names no matching prefix (the
    go command requires exactly one)."""
    scheme = "http" if insecure else "https"
    try:
        page = http.client().get(f"{scheme}://{path}?go-get=1").content[:1024 * 1024]
    except (NotFoundError, RegistryError):
        return None
    parser = _GoImport()
    parser.feed(page.decode("utf-8", "replace"))
    matching = [f for f in parser.found if len(f) >= 3 and (path == f[0] or path.startswith(f[0] + "/"))
                and f[1] != "mod"]
    if len(matching) != 1:
        return None
    return matching[0][0], matching[0][1], matching[0][2]


def forge_location(module: str) -> Location | None:
    """The repository of a module path on a known forge (no network), else None."""
    base, _ = split_major(module)
    parts = base.split("/")
    if parts[0] not in KNOWN_FORGES or len(parts) < 3:
        return None
    return Location(f"https://{'/'.join(parts[:3])}", "/".join(parts[3:]))


def locate(module: str, insecure: bool = False) -> Location | None:
    """The repository of a module path (known forge, or the vanity path's go-import meta), or None."""
    if module.split("/", 1)[0] in KNOWN_FORGES:
        return forge_location(module)
    base, _ = split_major(module)
    found = go_import(module, insecure)
    if found is None or found[1] != "git":
        return None
    root, _, url = found
    rest = base[len(root):].strip("/") if base.startswith(root) else ""
    return Location(url, rest)
