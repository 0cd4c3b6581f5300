"""Readers of dependency files (lockfiles, requirement files, SBOMs), one module per format, behind one
registry: `detect_format` picks the reader by file name, then by content, and `parse_file` runs it.
"""

from __future__ import annotations

from pathlib import Path

from ossprov.errors import InputError
from ossprov.scan.parsers import (
    cargo_lock,
    cyclonedx,
    go_sum,
    npm_lock,
    nuget_lock,
    pipfile_lock,
    pnpm_lock,
    poetry_lock,
    pylock,
    requirements,
    spdx,
    uv_lock,
    yarn_lock,
)
from ossprov.scan.parsers.base import LockFormat, ParseResult, read_source

FORMATS: tuple[LockFormat, ...] = (
    npm_lock.FORMAT,
    yarn_lock.FORMAT,
    pnpm_lock.FORMAT,
    pipfile_lock.FORMAT,
    nuget_lock.FORMAT,
    spdx.FORMAT,
    cyclonedx.FORMAT,
    pylock.FORMAT,
    uv_lock.FORMAT,
    poetry_lock.FORMAT,
    cargo_lock.FORMAT,
    go_sum.SUM_FORMAT,
    go_sum.MOD_FORMAT,
    requirements.FORMAT,
)
"""Sniffing goes in this order: the more specific markers first."""

SNIFF_CHARS = 64 * 1024


def format_for_name(path: Path) -> LockFormat | None:
    return next((f for f in FORMATS if f.matches_name(path)), None)


def detect_format(path: Path, text: str) -> LockFormat:
    """The reader for a file: by its name, else by the start of its text."""
    found = format_for_name(path)
    if found is None:
        head = text[:SNIFF_CHARS]
        found = next((f for f in FORMATS if f.sniff(head)), None)
    if found is None:
        raise InputError(f"{path}: not a dependency file ossprov can read "
                         f"(known: {', '.join(f.name for f in FORMATS)})")
    return found


def parse_file(path: Path, display: str | None = None, root: Path | None = None) -> ParseResult:
    """Read one dependency file; `display` names it in locations, `root` bounds requirement includes."""
    src = read_source(path, display or str(path), root or path.parent)
    return detect_format(path, src.text).parse(src)
