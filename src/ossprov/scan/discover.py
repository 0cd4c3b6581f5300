"""Find the dependency files of a project tree and read them into one deduplicated list.

The walk skips installed trees and VCS metadata (node_modules, .git, virtualenvs): their lockfiles describe
what is installed, not what the project pins, and they are large. Symbolic links are not followed, so a
hostile tree cannot point the scan at files outside it, and only regular files are read (a FIFO named
`package-lock.json` would block the read forever; see `ossprov.safefile`).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ossprov.errors import InputError
from ossprov.scan.parsers import format_for_name, parse_file
from ossprov.scan.parsers.base import Dependency, ParseResult, merge_results

PRUNED_DIRS = frozenset({"node_modules", ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "__pycache__"})


def discover(root: Path) -> list[Path]:
    """Dependency files under `root` that a reader recognises by name, sorted for stable output."""
    found: list[Path] = []
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in PRUNED_DIRS)
        for name in filenames:
            path = Path(directory, name)
            if _regular(path) and format_for_name(path.relative_to(root)) is not None:
                found.append(path)
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def _regular(path: Path) -> bool:
    """A regular file itself, not a symlink, FIFO, socket or device."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def read_path(path: Path) -> ParseResult:
    """Dependencies (deduplicated by purl) and skip notes from a dependency file or a project directory.
    Locations name files relative to the directory, or as given for a single file."""
    if path.is_dir():
        files = discover(path)
        if not files:
            raise InputError(f"{path}: no dependency files found")
        return merge_results(parse_file(f, f.relative_to(path).as_posix(), path) for f in files)
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    return merge_results([parse_file(path)])


def read_dependencies(path: Path) -> list[Dependency]:
    """The packages a dependency file or project directory pins, one per purl."""
    return list(read_path(path).dependencies)
