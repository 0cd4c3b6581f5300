"""Which files of the package directory `cargo package` puts in the crate, from the git-tracked files at the
commit: `package.include` (gitignore-style patterns) when given, else everything but `package.exclude`; never
the files of nested packages (directories below the root holding a Cargo.toml); plus what cargo writes
itself. Symbolic links are followed by cargo but are not regular files in the tree, so they are not expected.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from typing import Any

import pathspec

from ossprov.ecosystems.cargo import manifest

WRITTEN = frozenset({"Cargo.toml", "Cargo.toml.orig", ".cargo_vcs_info.json", "Cargo.lock"})


def _patterns(value: Any) -> list[str] | None:
    return [p for p in value if isinstance(p, str)] if isinstance(value, list) else None


def expected_files(paths: Iterable[str], original: dict[str, Any] | None) -> set[str]:
    """Paths (relative to the package directory) cargo packages, of those it copies from the source."""
    paths = list(paths)
    nested = {posixpath.dirname(p) + "/" for p in paths if posixpath.basename(p) == "Cargo.toml" and "/" in p}
    pkg = manifest.package(original)
    include, exclude = _patterns(pkg.get("include")), _patterns(pkg.get("exclude"))
    chosen = set()
    for path in paths:
        if path in WRITTEN or any(path.startswith(d) for d in nested):
            continue
        if include is not None:
            if pathspec.PathSpec.from_lines("gitignore", include).match_file(path):
                chosen.add(path)
        elif not (exclude and pathspec.PathSpec.from_lines("gitignore", exclude).match_file(path)):
            chosen.add(path)
    return chosen
