"""Project-URL labels: which ones name the source repository, and how they become hints."""

from __future__ import annotations

from collections.abc import Iterable

from ossprov.model import SourceHint

SOURCE_LABELS = frozenset({"source", "sourcecode", "repository", "repo", "code", "github", "gitlab", "git", "scm"})
"""Project-URL labels (lower case, separators removed) that name the source repository."""


def source_label(label: str) -> bool:
    """True for labels like "Source", "Source Code", "repository"."""
    return "".join(c for c in label.lower() if c.isalnum()) in SOURCE_LABELS


def project_url_hints(items: Iterable[tuple[str, object]]) -> list[SourceHint]:
    """Hints named as the PyPI plug-in names them: `project-url:<label>`, and `homepage` for a Home-page."""
    hints = []
    for label, url in items:
        origin = "homepage" if label.lower().replace("-", "") == "homepage" else f"project-url:{label}"
        hints.append(SourceHint(str(url), origin))
    return hints
