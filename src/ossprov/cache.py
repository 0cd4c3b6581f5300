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
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ossprov.atomic import atomic_write, storage_errors, sweep_partials
from ossprov.config import settings


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
