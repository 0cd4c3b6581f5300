"""Helpers for the mirror tests: fill a store directly and run a server on a free loopback port."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path

from ossprov.mirror.server import MirrorServer
from ossprov.mirror.store import MirrorStore, StoredFile


def put(store: MirrorStore, tmp: Path, ecosystem: str, name: str, version: str, filename: str, data: bytes,
        manifest: dict | None = None) -> StoredFile:
    """Store `data` as a verified file of `name@version` (bypassing the gate: for server tests only)."""
    source = tmp / f"src-{hashlib.sha256(data).hexdigest()}"
    source.write_bytes(data)
    digests = store.put_blob(source)
    stored = StoredFile(filename, digests["sha256"], digests["sha512"], digests["sha1"], int(digests["size"]),
                        "faithful", {"counts": {}})
    details = {"purl": f"pkg:{ecosystem}/{name}@{version}", "published_at": "2024-01-15T12:00:00Z"}
    if manifest is not None:
        details["manifest"] = manifest
    store.record(ecosystem, name, version, [stored], details)
    return stored


def running(store: MirrorStore) -> Iterator[MirrorServer]:
    """A mirror server on a free loopback port, in a thread, for the duration of a test."""
    server = MirrorServer(store, "127.0.0.1", 0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)

