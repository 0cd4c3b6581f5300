"""Tags as version evidence: which tags name this version of this distribution, and which name another one.

Repositories that publish one version to several places tag each build: `pkg-v1.2.0` for npm and
`pkg-v1.2.0-deno` for a Deno build made on another commit, `v2.0.0-browser`, `1.4.0-jsr`. A tag whose suffix
names another distribution is evidence for that distribution, not for this one. A suffix that is part of the
version itself (Guava's `32.1.3-jre` and `32.1.3-android`) is the version: those are released from the
base version's tag (`v32.1.3`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ossprov.ecosystems.interface import Ecosystem
from ossprov.source.git import Repo

FLAVOURS = ("deno", "jsr", "browser", "android", "jre", "bun", "web", "native", "react-native", "wasm", "electron",
            "cordova", "amd", "es")
"""Suffixes naming a build for another distribution or platform."""
_PRERELEASE = re.compile(r"^[-.+_]?(rc|beta|alpha|pre|preview|dev|next|canary|snapshot|b\d|a\d)", re.I)
_FLAVOUR = re.compile(r"[-_.+/](" + "|".join(sorted(FLAVOURS, key=len, reverse=True)) + r")$", re.I)


@dataclass(frozen=True)
class TagEvidence:
    tag: str
    commit: str
    how: str
    """Why the tag counts: `names the version`, `contains the version`, `names the base version`."""
    flavour: str | None = None
    """The other distribution a tag's suffix names (the tag is then evidence against its commit)."""


def flavour_of(version: str) -> str | None:
    """The flavour suffix that is part of the version itself (`32.1.3-jre` → `jre`), if any."""
    m = _FLAVOUR.search(version)
    return m.group(1).lower() if m else None


def _with_version(tag: str, version: str) -> str:
    """A tag named by metadata for another version (a POM's <scm><tag> is often the previous release's),
    with its version replaced by this one."""
    return re.sub(r"\d+(\.\d+)+([.-][0-9A-Za-z]+)*", version, tag, count=1)


def version_tags(repo: Repo, eco: Ecosystem, name: str, version: str, repo_name: str,
                 hint_tags: list[str]) -> list[TagEvidence]:
    """Tags for this version: conventional names first, then tags named by metadata, then any tag holding the
    version as a whole token (`4.17.21-npm`, `rel/commons-lang-3.14.0`); tags for another distribution of the
    same version come last, marked with their flavour."""
    tags = repo.tags()
    lowered = {t.lower(): t for t in tags}
    found: list[TagEvidence] = []

    def add(real: str, how: str) -> None:
        if all(real != f.tag for f in found):
            if how.startswith("names") and version.lower() not in real.lower() and real in hint_set:
                how = "is named by the package's metadata (for another version, often the previous release's)"
            found.append(TagEvidence(real, tags[real], how, _other_flavour(real, version)))

    hint_set = set(hint_tags)

    versions = [version]
    own = flavour_of(version)
    if own:  # 32.1.3-jre is released from v32.1.3
        versions.append(version[: -len(own) - 1])
    for v in versions:
        how = "names the version" if v == version else f"names the base version ({version} is its {own} flavour)"
        wanted = [*eco.tag_names(name, v), f"rel/{repo_name}-{v}", f"{repo_name}-{v}", f"{repo_name}-v{v}",
                  *hint_tags, *(_with_version(t, v) for t in hint_tags)]
        for want in dict.fromkeys(wanted):
            real = lowered.get(want.lower())
            if real:
                add(real, how)
    token = re.compile(r"(?<![\d.])v?" + re.escape(version) + r"(?![\d.]\d)")
    loose = sorted(t for t in tags if token.search(t))
    own_loose = [t for t in loose if _other_flavour(t, version) is None and not _prerelease_of(t, version)]
    for tag in own_loose:  # lodash tags `4.17.21-npm` beside `4.17.21`: the build for this registry
        if _tail(tag, version).lower().strip("-_./+") == eco.purl_type:
            add(tag, f"names the version's {eco.purl_type} build")
    if not any(f.flavour is None for f in found):
        for tag in own_loose[:3]:
            add(tag, "contains the version")
    for tag in loose:
        if _other_flavour(tag, version):
            add(tag, "contains the version")
    return sorted(found, key=lambda f: f.flavour is not None)


def _tail(tag: str, version: str) -> str:
    """What follows the version in a tag (`-deno` in `pkg-v1.2.0-deno`)."""
    at = tag.lower().rfind(version.lower())
    return tag[at + len(version):] if at >= 0 else ""


def _other_flavour(tag: str, version: str) -> str | None:
    """The distribution a tag's suffix names when it is not this version's own suffix."""
    m = _FLAVOUR.search(_tail(tag, version))
    return m.group(1).lower() if m else None


def _prerelease_of(tag: str, version: str) -> bool:
    """`1.2.0-rc.1` holds `1.2.0` as a token but names a pre-release, not this version."""
    return bool(_PRERELEASE.match(_tail(tag, version)))
