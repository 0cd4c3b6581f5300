"""Memos pickled in the cache (an artifact as read, a clone's answers, its blob index), read back only when they
can be believed.

A memo is a shortcut, never the truth: one that is truncated, damaged, of another shape, or not the user's
own is ignored and the answer worked out again, never a traceback. Unpickling runs whatever code the file
names, so a file someone else could have written (another account's, one others may write, a link planted in
a shared cache directory that points at a file of the user's such as a downloaded artifact) is never
unpickled: the user's own cache is trusted as much as the user's own files, and no more.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, TypeVar

from ossprov.atomic import atomic_write

T = TypeVar("T")


def load(path: Path, kind: type[T], *, large: bool = False) -> T | None:
    """The memo pickled at `path` if it is a `kind` in a file of the user's (`_opened`), else None. `large`: the
    collector is paused while its many objects are made."""
    with _opened(path) as f:
        if f is None:
            return None
        try:
            with _collector_paused() if large else contextlib.nullcontext():
                value = pickle.load(f)
        except Exception:  # a damaged pickle raises anything (ImportError, TypeError, OverflowError, MemoryError...)
            return None
    return value if isinstance(value, kind) else None


def own_bytes(path: Path) -> bytes | None:
    """The content of the memo file at `path` if it is the user's (`_opened`), else None: a memo in another form
    (JSON) believed no more than a pickle."""
    with _opened(path) as f:
        try:
            return f.read() if f is not None else None
        except OSError:
            return None


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[BinaryIO | None]:
    """The memo file at `path` open for reading if no one but the user could have written it (`_own`, and not
    reached through a link), else None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        yield None
        return
    with open(fd, "rb") as f:
        yield f if _own(os.fstat(fd)) else None


def _own(st: os.stat_result) -> bool:
    """A regular file with one name, of this user, that no other account may write (group write is the user's
    own where the group is the user's: a umask of 002 under user private groups)."""
    others_write = st.st_mode & 0o002 or (st.st_mode & 0o020 and st.st_gid != os.getegid())
    return stat.S_ISREG(st.st_mode) and st.st_nlink == 1 and st.st_uid == os.geteuid() and not others_write


def save(path: Path, value: object) -> None:
    """Write the memo whole or not at all (`atomic_write`); a `StorageError` when it cannot be written."""
    atomic_write(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The garbage collector paused while a large memo is loaded: it would walk the heap again and again as the
    memo's many small objects are made (none of which is garbage)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
