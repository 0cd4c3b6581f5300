"""Repository evidence in a package.json-shaped document: `repository` (with its `directory`), `gitHead`,
`homepage` and `bugs`."""

from __future__ import annotations

from typing import Any

from ossprov.model import SourceHint


def text(value: Any) -> str | None:
    """A non-blank string field, else None."""
    return value if isinstance(value, str) and value.strip() else None


def repository_hints(manifest: dict[str, Any], origin_prefix: str = "") -> list[SourceHint]:
    """Source hints from a package.json-shaped document (a packument version or the tarball's own)."""
    hints: list[SourceHint] = []
    repo = manifest.get("repository")
    git_head = text(manifest.get("gitHead"))
    if isinstance(repo, dict) and text(repo.get("url")):
        hints.append(SourceHint(repo["url"], origin_prefix + "declared-repository",
                                subdir=(text(repo.get("directory")) or "").strip("/"), commit=git_head))
    elif isinstance(repo, str) and text(repo):
        hints.append(SourceHint(repo, origin_prefix + "declared-repository", commit=git_head))
    if text(manifest.get("homepage")):
        hints.append(SourceHint(manifest["homepage"], origin_prefix + "homepage"))
    bugs = manifest.get("bugs")
    bugs_url = bugs.get("url") if isinstance(bugs, dict) else bugs
    if isinstance(bugs_url, str) and text(bugs_url):
        hints.append(SourceHint(bugs_url.removesuffix("/issues"), origin_prefix + "bugs"))
    return hints
