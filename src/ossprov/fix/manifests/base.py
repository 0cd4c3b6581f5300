"""What every manifest editor provides, and the text facts they all preserve (line endings, indentation).

Editors change manifests textually (or with a round-tripping parser) so that the pull request's diff holds
only the repository lines: maintainers review and merge small, obviously-safe diffs; a reformatted file is
rejected.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from ossprov.ecosystems.pypi.hints import SOURCE_LABELS, metadata_hints
from ossprov.errors import InputError
from ossprov.model import Repository, SourceHint
from ossprov.source.urls import normalize, same_repository


class ManifestEditor(ABC):
    """Reads what one kind of manifest declares about its repository, and declares the right one."""

    @abstractmethod
    def carries(self, text: str) -> bool:
        """True when this file is where the package's metadata lives (pyproject without [project] is not)."""

    @abstractmethod
    def declared(self, text: str) -> list[SourceHint]:
        """The repository URLs the file declares now, as hints (origins as the ecosystem plug-in names them)."""

    @abstractmethod
    def apply(self, text: str, target: Repository) -> str:
        """The file declaring `target`, every other byte unchanged. Raises InputError if it cannot parse."""


def eol_of(text: str) -> str:
    """The file's line ending: CRLF when it uses any, else LF."""
    return "\r\n" if "\r\n" in text else "\n"


def indent_before(text: str, pos: int) -> str:
    """The whitespace from the start of `pos`'s line up to `pos` ("" when anything else precedes it)."""
    line_start = text.rfind("\n", 0, pos) + 1
    prefix = text[line_start:pos]
    return prefix if prefix.strip() == "" else ""


def web_url(target: Repository) -> str:
    """The repository's normalised URL (https://host/owner/name), as Project-URLs and SCM elements want it."""
    ref = normalize(target.url)
    if ref is None:
        raise InputError(f"cannot write a repository URL for {target.url}")
    return ref.url


def project_url_hints(urls: dict[str, str], home_page: str | None = None) -> list[SourceHint]:
    """Hints for Project-URLs (and a Home-page) classified exactly as the PyPI plug-in classifies them."""
    meta = {"project-url": [f"{label}, {url}" for label, url in urls.items()]}
    if home_page:
        meta["home-page"] = [home_page]
    return [h for h in metadata_hints(meta) if h.origin != "readme-link"]


def is_source_label(label: str) -> bool:
    """True for the Project-URL labels that name the source repository ("Source", "Repository", ...)."""
    return label.strip().lower() in SOURCE_LABELS


def names_repository(declared: str, url: str) -> bool:
    """True when the declared URL (any spelling) names the repository at normalised `url`."""
    ref = normalize(declared)
    return ref is not None and same_repository(ref.url, url)
