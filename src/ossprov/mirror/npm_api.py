"""The npm registry's read side, made from the mirror's index: packuments whose tarball URLs point back here.

The version documents are the verified tarballs' own package.json files, so what npm resolves dependencies
from is what was verified (a registry manifest that differs from the tarball's is never served).
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

from packaging.version import InvalidVersion, Version


def tarball_url(base: str, name: str, filename: str) -> str:
    return f"{base}/{quote(name, safe='@/')}/-/{quote(filename)}"


def _integrity(sha512_hex: str) -> str:
    return "sha512-" + base64.b64encode(bytes.fromhex(sha512_hex)).decode()


def _latest(versions: list[str]) -> str:
    """The highest release version (npm's `latest`), falling back to the most recently stored one."""
    parsed = []
    for v in versions:
        try:
            parsed.append((Version(v), v))
        except InvalidVersion:
            continue
    stable = [p for p in parsed if not p[0].is_prerelease]
    return max(stable or parsed)[1] if parsed else versions[-1]


def packument(doc: dict[str, Any], base: str) -> dict[str, Any]:
    """The packument for a stored package; every version carries dist.tarball, dist.integrity, dist.shasum."""
    name = doc["name"]
    versions: dict[str, Any] = {}
    times: dict[str, str] = {}
    for version, entry in doc["versions"].items():
        if not entry.get("files"):
            continue
        stored = entry["files"][-1]
        manifest = {**(entry.get("manifest") or {}), "name": name, "version": version, "_id": f"{name}@{version}"}
        manifest["dist"] = {"tarball": tarball_url(base, name, stored["filename"]), "shasum": stored["sha1"],
                            "integrity": _integrity(stored["sha512"])}
        versions[version] = manifest
        if entry.get("published_at"):
            times[version] = entry["published_at"]
    return {"_id": name, "name": name, "dist-tags": {"latest": _latest(list(versions))} if versions else {},
            "versions": versions, "time": times}
