"""Repository evidence in core metadata (PKG-INFO, METADATA): Project-URL labels, Home-page, and forge links
in the description."""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import compat32

from ossprov.model import SourceHint
from ossprov.source import discover
from ossprov.source.urls import FORGES, normalize, repo_links_in_text

HOMEPAGE_LABELS = ("homepage", "home", "home-page", "home page")
SOURCE_LABELS = ("source", "source code", "repository", "code", "github", "gitlab", "git", "vcs", "scm")


def parse_core_metadata(raw: bytes) -> dict[str, list[str]]:
    """METADATA / PKG-INFO headers as lists of values (the body as `description`), leniently."""
    msg = BytesParser(policy=compat32).parsebytes(raw)
    out: dict[str, list[str]] = {}
    for key, value in msg.items():
        out.setdefault(key.lower(), []).append(str(value))
    body = msg.get_payload()
    if isinstance(body, str) and body.strip():
        out.setdefault("description", []).append(body)
    return out


def _origin(label: str, url: str) -> str:
    """The hint's origin: a source label declares the repository, and so does a homepage that is itself a
    repository on a forge (many projects give only `Homepage = https://github.com/o/r`)."""
    key = label.lower()
    if key in SOURCE_LABELS:
        return "declared-repository"
    norm = normalize(url)
    if key in HOMEPAGE_LABELS and norm is not None and norm.host in FORGES:
        return "declared-repository"
    return "homepage" if key in HOMEPAGE_LABELS else f"project-url:{label}"


def metadata_hints(meta: dict[str, list[str]]) -> list[SourceHint]:
    """Source hints from parsed core metadata (`parse_core_metadata`)."""
    hints: list[SourceHint] = []
    for entry in meta.get("project-url", []):
        label, _, url = entry.partition(",")
        label, url = label.strip(), url.strip()
        if url:
            hints.append(SourceHint(url, _origin(label, url)))
    for key in ("home-page", "download-url"):
        for url in meta.get(key, []):
            if url.strip() and url.strip().upper() != "UNKNOWN":
                hints.append(SourceHint(url.strip(), _origin(key, url.strip()) if key == "home-page"
                                        else "download-url"))
    for text in meta.get("description", []):
        hints += [SourceHint(u, "readme-link") for u in repo_links_in_text(text, 20)]
        hints += discover.hints_in_text(text)
    return hints
