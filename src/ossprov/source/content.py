"""An artifact's files as content evidence: exact git blob ids, and the ids of their line-ending/BOM-normalised forms.

A package packed on Windows carries CRLF where the repository has LF (or the reverse, with `core.autocrlf`),
and some editors add a UTF-8 byte order mark. Such a file is the repository's file, but no blob id says so.
Each text file therefore also gets the blob ids of its normalised forms (BOM removed, CRLF→LF, LF→CRLF), and a
match through one of them counts as content evidence of a lower weight, reported as normalised.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from ossprov.source.git import git_blob_id

BOM = b"\xef\xbb\xbf"
NORMALISERS = "line endings (CRLF/LF) and byte order mark"


def _normalised_forms(data: bytes) -> set[bytes]:
    """The forms of a text file that differ from it only by line endings or a BOM (binary files have none)."""
    if b"\0" in data[:8192]:
        return set()
    bare = data.removeprefix(BOM)
    lf = bare.replace(b"\r\n", b"\n")
    crlf = lf.replace(b"\n", b"\r\n")
    return {bare, lf, crlf, BOM + lf} - {data}


@dataclass(frozen=True)
class ArtifactContent:
    """The comparable files of one artifact, by blob id. The ids of their normalised forms are worked out when
    first asked for: a faithful artifact's files all match exactly, and no one asks."""

    name: str
    """The artifact's file name (or a label): per-artifact evidence names it."""
    exact: dict[str, str]
    """Artifact path → blob id of its bytes."""
    files: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)
    """Artifact path → its bytes."""

    @classmethod
    def of(cls, name: str, files: dict[str, bytes]) -> ArtifactContent:
        return cls(name, {p: git_blob_id(d) for p, d in sorted(files.items())}, files)

    def normalised(self, path: str) -> frozenset[str]:
        """The blob ids of the normalised forms of the file at `path` (other than its exact one), worked out
        once per file."""
        known = self._normalised
        if path not in known:
            data = self.files[path]
            known[path] = frozenset(git_blob_id(form) for form in _normalised_forms(data))
        return known[path]

    @functools.cached_property
    def _normalised(self) -> dict[str, frozenset[str]]:
        return {}

    @functools.cached_property
    def views(self) -> tuple[dict[str, str], ...]:
        """Artifact path → blob id of one normalised form, one map per form (LF without BOM, CRLF): what the blob
        index is searched with, so a commit holding only normalised matches is found."""
        lf_view, crlf_view = dict(self.exact), dict(self.exact)
        for path, data in self.files.items():
            if not _normalised_forms(data):
                continue
            lf = data.removeprefix(BOM).replace(b"\r\n", b"\n")
            lf_view[path] = git_blob_id(lf)
            crlf_view[path] = git_blob_id(lf.replace(b"\n", b"\r\n"))
        return tuple(v for v in (lf_view, crlf_view) if v != self.exact)

    @property
    def total(self) -> int:
        return len(self.exact)

    def compare(self, tree: dict[str, str], prefix: str) -> Counts:
        """How the artifact's files stand in a commit's tree (repository path → blob id) under `prefix`."""
        exact = normalised = present = 0
        differing: list[str] = []
        matching: list[str] = []
        for path, blob in self.exact.items():
            have = tree.get(prefix + path)
            if have is None:
                continue
            present += 1
            if have == blob:
                exact += 1
            elif have in self.normalised(path):
                normalised += 1
            else:
                differing.append(path)
                continue
            matching.append(path)
        return Counts(exact, normalised, present, self.total, frozenset(differing), frozenset(matching))


@dataclass(frozen=True)
class Counts:
    """One artifact against one commit."""

    exact: int
    normalised: int
    """Files equal only after line-ending/BOM normalisation."""
    present: int
    """Files at their path in the tree (absent ones are build output, or stale files left in a build directory)."""
    total: int
    differing: frozenset[str] = frozenset()
    """Artifact paths present in the tree with other content."""
    matching: frozenset[str] = frozenset()
    """Artifact paths equal in the tree, exactly or after normalisation."""

    @property
    def matched(self) -> int:
        return self.exact + self.normalised
