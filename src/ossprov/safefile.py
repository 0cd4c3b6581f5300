"""Reading a file a user or a repository named, without trusting what the file system says about it.

A lockfile can be a FIFO (opening it for reading blocks until a writer comes, forever), a symbolic link to
`/dev/zero` (git commits symlinks; `st_size` is 0 and reading never ends), or a directory. `read_limited`
opens without blocking, refuses anything but a regular file, and stops at a byte limit counted while
reading, whatever `st_size` claimed.
"""

from __future__ import annotations

import os
import stat
import time
import zlib
from pathlib import Path

from ossprov.errors import InputError

_CHUNK = 1 << 20


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def read_limited(path: Path | str, limit: int, *, what: str | None = None) -> bytes:
    """The bytes of the regular file at `path` (a symlink is followed, to a regular file only), or InputError
    with a one-line reason when it is not a regular file, cannot be read, or holds more than `limit` bytes."""
    label = what or str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise InputError(f"{label}: cannot read: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(f"{label}: {_kind(mode)}, not a regular file")
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        total = 0
        while chunk := os.read(fd, min(_CHUNK, limit + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise InputError(f"{label}: larger than {_size(limit)}")
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(f"{label}: cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def regular_file(path: Path | str, *, what: str | None = None) -> None:
    """InputError unless `path` is a regular file (or a symlink to one): for readers that stream a file
    themselves (a CSV reader) and must not block on a FIFO or read a device."""
    label = what or str(path)
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise InputError(f"{label}: cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise InputError(f"{label}: {_kind(mode)}, not a regular file")


def gunzip_limited(data: bytes, limit: int, *, what: str) -> bytes:
    """`data` gunzipped, or InputError when it is not gzip or would expand past `limit` bytes (a bomb)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise InputError(f"{what}: unreadable gzip data ({exc})") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise InputError(f"{what}: expands past {_size(limit)}")
    if not inflater.eof:
        raise InputError(f"{what}: unreadable gzip data (truncated)")
    return out


def _size(limit: int) -> str:
    return f"{limit >> 20} MiB" if limit >= 1 << 20 else f"{limit} bytes"


def stamp(path: Path) -> tuple[int, int] | None:
    """(mtime in ns, size) of `path`, or None when it cannot be read: what a memo keyed on a file compares to
    know the file is unchanged."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


RACY_SECONDS = 1.0
"""Seconds after a file's last change during which its stamp is not trusted: a second write of the same size in
the same clock tick keeps the stamp, and a memo keyed on it would keep the first."""


def racy(found: tuple[int, int] | None) -> bool:
    """Whether a stamp is of a file changed too recently to be trusted (`RACY_SECONDS`)."""
    return found is not None and time.time() - found[0] / 1e9 < RACY_SECONDS
