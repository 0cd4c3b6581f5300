"""What every manifest editor provides, and the text facts they all preserve (line endings, indentation).

Editors change manifests textually (or with a round-tripping parser) so that the pull request's diff holds
only the repository lines: maintainers review and merge small, obviously-safe diffs; a reformatted file is
rejected.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from ossprov.model import Repository, SourceHint


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
