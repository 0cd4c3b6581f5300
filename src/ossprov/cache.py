"""Content-addressed artifact cache and atomic file writes.

An artifact is stored once under its sha256 (`artifacts/sha256/ab/abcdef…`), and a small index maps the URL
it came from to that digest so that a second run does not download again. Every write goes to a temporary
file in the same directory and is renamed into place, so an interrupted run never leaves half a file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from ossprov.config import settings


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old content or the new, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
        self.root.mkdir(parents=True, exist_ok=True)
        tmp_dir = Path(tempfile.mkdtemp(dir=self.root, prefix=".dl-"))
        try:
            tmp = tmp_dir / "artifact"
            digests = download(tmp)
            final = self.path_for(digests["sha256"])
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
        finally:
            for leftover in tmp_dir.iterdir():
                leftover.unlink(missing_ok=True)
            tmp_dir.rmdir()
        atomic_write(self._url_key(url), digests["sha256"].encode())
        return final, digests
