"""The mirror's store: verified artifacts by sha256, and one JSON index per package that says what is served.

Layout under `settings().data_dir / "mirror"`: `blobs/sha256/ab/abcdef…` (the files, named only by digest) and
`index/<ecosystem>/<key>.json` (versions, file names, digests, verdicts, manifests). The server never joins a
request path to the file system: a name is validated, turned into an index key, and a file is found through
the index's sha256. Index updates take a per-package lock so that two `mirror add` runs do not lose a version.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from packaging.utils import canonicalize_name

from ossprov.atomic import atomic_write
from ossprov.cache import file_digests
from ossprov.config import settings
from ossprov.errors import InputError

SHA256 = re.compile(r"[0-9a-f]{64}")
NPM_NAME = re.compile(r"(?:@[A-Za-z0-9][A-Za-z0-9._~-]*/)?[A-Za-z0-9][A-Za-z0-9._~-]*")
PYPI_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
FILENAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+!~-]*")
MAX_NAME = 214
NAMES: dict[str, tuple[re.Pattern[str], Callable[[str], str]]] = {
    "npm": (NPM_NAME, str), "pypi": (PYPI_NAME, canonicalize_name)}
"""The registry protocols the mirror serves: a valid name, and the key the store files it under (PyPI names
normalised)."""
ECOSYSTEMS = tuple(NAMES)


def valid_name(ecosystem: str, name: str) -> str | None:
    """The package name as the store keys it (PyPI names normalised), or None when it is not a valid name."""
    rule = NAMES.get(ecosystem)
    if rule is None or len(name) > MAX_NAME:
        return None
    pattern, key = rule
    return key(name) if pattern.fullmatch(name) else None


@dataclass(frozen=True)
class StoredFile:
    """One artifact file of a stored version."""

    filename: str
    sha256: str
    sha512: str
    sha1: str
    size: int
    verdict: str
    summary: dict[str, Any] = field(default_factory=dict)
    """Counts, findings and locate facts of the verification that admitted it."""
    rebuild: str | None = None
    """The rebuild outcome when `--require rebuilt` admitted it."""


class MirrorStore:
    """Blobs by digest and package indexes, under one root."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or settings().data_dir / "mirror"
        self._locks: dict[Path, threading.Lock] = {}
        self._cache: dict[Path, tuple[int, dict[str, Any]]] = {}
        self._guard = threading.Lock()

    # --- blobs -----------------------------------------------------------------------------------------
    def blob_path(self, sha256: str) -> Path:
        if not SHA256.fullmatch(sha256):
            raise InputError(f"not a sha256 digest: {sha256!r}")
        return self.root / "blobs" / "sha256" / sha256[:2] / sha256

    def put_blob(self, source: Path) -> dict[str, str]:
        """Copy `source` into the store under its sha256 (digests computed from the copy itself)."""
        blobs = self.root / "blobs"
        blobs.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=blobs, prefix=".in-")
        os.close(fd)
        try:
            shutil.copyfile(source, tmp)
            digests = file_digests(Path(tmp))
            final = self.blob_path(digests["sha256"])
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
        finally:
            Path(tmp).unlink(missing_ok=True)
        digests["size"] = str(final.stat().st_size)
        return digests

    # --- indexes ---------------------------------------------------------------------------------------
    def index_path(self, ecosystem: str, name: str) -> Path:
        key = valid_name(ecosystem, name)
        if ecosystem not in ECOSYSTEMS or key is None:
            raise InputError(f"not a valid {ecosystem} package name: {name!r}")
        return self.root / "index" / ecosystem / (quote(key, safe="@") + ".json")

    def load(self, ecosystem: str, name: str) -> dict[str, Any] | None:
        """The package's index, or None when the store does not hold it (parsed once per change)."""
        path = self.index_path(ecosystem, name)
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            return None
        cached = self._cache.get(path)
        if cached and cached[0] == mtime:
            return cached[1]
        doc = json.loads(path.read_text(encoding="utf-8"))
        with self._guard:
            self._cache[path] = (mtime, doc)
        return doc

    def names(self, ecosystem: str) -> list[str]:
        """Every package name the store holds for an ecosystem, sorted."""
        folder = self.root / "index" / ecosystem
        if not folder.is_dir():
            return []
        return sorted(unquote(p.name.removesuffix(".json")) for p in folder.glob("*.json"))

    @contextmanager
    def _locked(self, path: Path) -> Iterator[None]:
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._guard:
            local = self._locks.setdefault(path, threading.Lock())
        with local, open(path.with_suffix(".lock"), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def record(self, ecosystem: str, name: str, version: str, files: list[StoredFile],
               details: dict[str, Any]) -> None:
        """Add (or replace) files of a version in the package's index; `details` holds the manifest and
        release facts the served metadata is made from. Blobs must already be stored."""
        for f in files:
            if not FILENAME.fullmatch(f.filename) or not self.blob_path(f.sha256).is_file():
                raise InputError(f"refusing to index {f.filename!r}: bad file name or blob not stored")
        path = self.index_path(ecosystem, name)
        with self._locked(path):
            doc = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {
                "ecosystem": ecosystem, "name": valid_name(ecosystem, name), "versions": {}}
            entry = doc["versions"].setdefault(version, {"files": []})
            kept = [f for f in entry["files"] if f["filename"] not in {n.filename for n in files}]
            entry["files"] = kept + [_file_json(f) for f in files]
            entry.update(details)
            atomic_write(path, json.dumps(doc, indent=1, sort_keys=True).encode())

    def find_file(self, ecosystem: str, name: str, filename: str) -> tuple[dict[str, Any], Path] | None:
        """The index entry and blob path of a stored file, looked up by name and file name only."""
        doc = self.load(ecosystem, name)
        for entry in (doc or {}).get("versions", {}).values():
            for f in entry["files"]:
                if f["filename"] == filename:
                    blob = self.blob_path(f["sha256"])
                    return (f, blob) if blob.is_file() else None
        return None


def _file_json(f: StoredFile) -> dict[str, Any]:
    return {"filename": f.filename, "sha256": f.sha256, "sha512": f.sha512, "sha1": f.sha1, "size": f.size,
            "verdict": f.verdict, "summary": f.summary, "rebuild": f.rebuild}
