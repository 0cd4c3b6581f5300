"""Files written whole or not at all: a partial file is named for its writer and renamed into place, and
partial files whose writer is gone are swept. A full disk or a read-only directory is a one-line
`StorageError`, never a traceback. Used by every cache and by config's memo, so it depends on nothing of
ossprov's but its errors."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from ossprov.errors import StorageError

STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT})
_swept: set[Path] = set()


@contextlib.contextmanager
def storage_errors(path: Path) -> Iterator[None]:
    """Turn a full disk, a read-only or a forbidden directory under `path` into one StorageError line."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in STORAGE_ERRNOS:
            raise
        raise StorageError(f"cannot write {path.parent}: {exc.strerror or exc} (set OSSPROV_CACHE to a "
                           "writable directory with free space)") from None


def sweep_partials(directory: Path, max_age: float = 86400.0) -> None:
    """Remove partial files (and `.dl-*` download directories) whose writer is gone: its pid no longer runs,
    or it is older than `max_age`. Done once per directory per process."""
    if directory in _swept:
        return
    _swept.add(directory)
    with contextlib.suppress(OSError):
        for entry in os.scandir(directory):
            if not entry.name.startswith(".") or not (entry.name.endswith(".part") or entry.name.startswith(".dl-")):
                continue
            with contextlib.suppress(OSError, ValueError):
                pid = int(entry.name.rsplit(".", 3)[-3] if entry.name.endswith(".part") else entry.name.split("-")[1])
                old = time.time() - entry.stat(follow_symlinks=False).st_mtime > max_age
                if old or not _alive(pid):
                    if entry.is_dir(follow_symlinks=False):
                        shutil.rmtree(entry.path, ignore_errors=True)
                    else:
                        os.unlink(entry.path)


def _alive(pid: int) -> bool:
    """Whether process `pid` of this machine still runs (caches are local: partial files are this host's)."""
    return pid == os.getpid() or Path(f"/proc/{pid}").exists()


def partial_path(dest: Path) -> Path:
    """Where to write `dest` before renaming it into place (its directory is made and swept first)."""
    with storage_errors(dest):
        dest.parent.mkdir(parents=True, exist_ok=True)
    sweep_partials(dest.parent)
    return dest.with_name(f".{dest.name}.{os.getpid()}.{secrets.token_hex(4)}.part")


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old content or the new, never a part."""
    tmp = partial_path(path)
    try:
        with storage_errors(path):
            with tmp.open("xb") as out:
                out.write(data)
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
