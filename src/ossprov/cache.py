"""Content-addressed artifact cache, the registry-metadata cache, and atomic file writes.

An artifact is stored once under its sha256 (`artifacts/sha256/ab/abcdef…`), and a small index maps the URL
it came from to that digest so that a second run does not download again. Registry documents are kept under
`http/` with the validators the registry sent (ETag, Last-Modified) for conditional requests.

Every write goes to a temporary file named `.<name>.<pid>.<random>.part` in the same directory and is renamed
into place, so an interrupted run never leaves half a file under a real name; the first write into a
directory in a process removes the partial files of processes that are gone (a SIGTERM or a kill). A full
disk or a read-only directory is a `StorageError` (exit code 6), never an internal error.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from ossprov.config import settings
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


def file_digests(path: Path) -> dict[str, str]:
    """sha1, sha256 and sha512 of a file, read once."""
    hashes = {name: hashlib.new(name) for name in ("sha1", "sha256", "sha512")}
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            for h in hashes.values():
                h.update(chunk)
    return {name: h.hexdigest() for name, h in hashes.items()}


class ArtifactCache:
    """Artifacts by sha256, and which URL gave which digest."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or settings().artifact_cache

    def path_for(self, sha256: str) -> Path:
        return self.root / "sha256" / sha256[:2] / sha256

    def _url_key(self, url: str) -> Path:
        return self.root / "by-url" / hashlib.sha256(url.encode()).hexdigest()

    def lookup_url(self, url: str) -> Path | None:
        """The cached file last downloaded from `url`, if it is still there (its digest is recomputed by
        `fetch`; the caller compares it with what the registry publishes now)."""
        key = self._url_key(url)
        try:
            sha = key.read_text().strip()
        except OSError:
            return None
        path = self.path_for(sha)
        return path if path.is_file() else None

    def forget(self, url: str) -> None:
        """Drop the URL's entry (the file stays, by digest): the next `fetch` downloads again."""
        self._url_key(url).unlink(missing_ok=True)

    def fetch(self, url: str, download: Callable[[Path], dict[str, str]]) -> tuple[Path, dict[str, str]]:
        """The file for `url` and its digests: from the cache, or by calling `download(tmp_path)`."""
        cached = self.lookup_url(url)
        if cached is not None:
            return cached, file_digests(cached)
        with storage_errors(self.root / "artifact"):
            self.root.mkdir(parents=True, exist_ok=True)
            sweep_partials(self.root)
            tmp_dir = Path(tempfile.mkdtemp(dir=self.root, prefix=f".dl-{os.getpid()}-"))
        try:
            tmp = tmp_dir / "artifact"
            digests = download(tmp)
            final = self.path_for(digests["sha256"])
            with storage_errors(final):
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, final)
        finally:
            for leftover in tmp_dir.iterdir():
                leftover.unlink(missing_ok=True)
            tmp_dir.rmdir()
        atomic_write(self._url_key(url), digests["sha256"].encode())
        return final, digests


@dataclass(frozen=True)
class CachedAnswer:
    status: int
    headers: dict[str, str]
    """The headers worth keeping: content type and the validators."""
    body: bytes
    stored: float
    """When the registry last confirmed this answer (stored or revalidated), seconds since the epoch."""

    def age(self) -> float:
        return max(0.0, time.time() - self.stored)


KEPT_HEADERS = ("content-type", "etag", "last-modified")


class MetadataCache:
    """Registry answers by request (URL without credentials, Accept header): one file each, a JSON header line
    then the body, written atomically. Only answers to requests without credentials are stored."""

    FORMAT = 1

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or settings().cache_dir / "http"

    def key(self, url: str, accept: str) -> Path:
        digest = hashlib.sha256(f"{self.FORMAT}\0{url}\0{accept}".encode()).hexdigest()
        return self.root / digest[:2] / digest

    def load(self, key: Path) -> CachedAnswer | None:
        try:
            with key.open("rb") as f:
                meta = json.loads(f.readline())
                body = f.read()
            stored = key.stat().st_mtime
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or meta.get("size") != len(body):
            return None
        return CachedAnswer(int(meta.get("status", 200)), dict(meta.get("headers", {})), body, stored)

    def store(self, key: Path, status: int, headers: Mapping[str, str], body: bytes) -> None:
        kept = {name: headers[name] for name in KEPT_HEADERS if headers.get(name)}
        meta = json.dumps({"status": status, "headers": kept, "size": len(body)}).encode()
        atomic_write(key, meta + b"\n" + body)

    def touch(self, key: Path) -> None:
        """The registry confirmed the cached answer (304): it is fresh again."""
        with contextlib.suppress(OSError):
            os.utime(key)
