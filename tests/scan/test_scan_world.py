"""`ossprov scan` end to end: every lockfile and SBOM format, naming packages a loopback registry serves.

The real CLI runs as a subprocess against one World published once for the module (see world_packages): a
tampered transitive dependency must come out `mismatch` with a high finding at the line of its entry, its
genuine dependent `faithful`, and a digest the lockfile recorded that differs from the served artifact OSP514.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.scan.world_lockfiles import TAMPERED, WRITERS, Lockfile, pipfile_lock, requirements
from tests.scan.world_packages import Catalog, build_catalog

GENUINE = {evil: good for good, evil in TAMPERED.items()}
GENUINE_VERDICT = {"npm": "faithful", "pypi": "faithful", "nuget": "faithful-with-build-output"}
"""The genuine nupkg ships a compiled assembly, which static comparison cannot vouch for (rebuild can)."""


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    world, published = build_catalog(tmp_path_factory.mktemp("scan-world") / "world")
    yield published
    world.stop()


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the module's scans: clones and artifacts of the same World are fetched once."""
    return tmp_path_factory.mktemp("scan-cache")


@dataclass(frozen=True)
class Scan:
    returncode: int
    docs: dict[str, dict]
    """Per-package JSON documents by purl."""
    stderr: str


def scan(catalog: Catalog, cache: Path, lockfile: Lockfile, where: Path) -> Scan:
    path = where / lockfile.filename
    path.write_text(lockfile.text, encoding="utf-8")
    env = {**os.environ, **catalog.environment, "OSSPROV_CACHE": str(cache)}
    proc = subprocess.run([sys.executable, "-m", "ossprov", "scan", str(path), "--format", "json", "--no-db"],
                          capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode in (0, 1), proc.stderr
    return Scan(proc.returncode, {d["purl"]: d for d in json.loads(proc.stdout)["results"]}, proc.stderr)


def rules(doc: dict, severity: str | None = None) -> set[str]:
    return {f["rule"] for f in doc["findings"] if severity is None or f["severity"] == severity}


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_tampered_transitive_dependency_is_surfaced_at_its_line(fmt: str, catalog: Catalog, shared_cache: Path,
                                                                 tmp_path: Path) -> None:
    lockfile = WRITERS[fmt](catalog, frozenset())
    result = scan(catalog, shared_cache, lockfile, tmp_path)
    assert result.returncode == 1, result.stderr
    expected = {catalog[n].purl for evil in lockfile.markers for n in (evil, GENUINE[evil])}
    assert set(result.docs) == expected
    for evil in lockfile.markers:
        bad, good = result.docs[catalog[evil].purl], result.docs[catalog[GENUINE[evil]].purl]
        assert bad["verdict"] == "mismatch", bad["findings"]
        assert rules(bad, "high"), bad["findings"]
        assert good["verdict"] == GENUINE_VERDICT[catalog[GENUINE[evil]].ecosystem], good["findings"]
        assert bad["lockfile"] == {"file": str(tmp_path / lockfile.filename), "line": lockfile.line_of(evil)}
    recorded_wrong = {p: d["findings"] for p, d in result.docs.items() if "OSP514" in rules(d)}
    assert not recorded_wrong, "the digests recorded are those of the served files"


@pytest.mark.parametrize("fmt", ["pnpm-v9", "uv", "nuget"])
def test_recorded_digest_that_differs_from_the_served_artifact(fmt: str, catalog: Catalog, shared_cache: Path,
                                                               tmp_path: Path) -> None:
    wrong = frozenset(GENUINE[evil] for evil in WRITERS[fmt](catalog, frozenset()).markers)
    lockfile = WRITERS[fmt](catalog, wrong)
    result = scan(catalog, shared_cache, lockfile, tmp_path)
    assert result.returncode == 1
    for name in wrong:
        doc = result.docs[catalog[name].purl]
        republished = [f for f in doc["findings"] if f["rule"] == "OSP514"]
        assert republished and republished[0]["severity"] == "high", doc["findings"]
        assert republished[0]["path"] == f"{tmp_path / lockfile.filename}:{doc['lockfile']['line']}"
    assert not [p for p, d in result.docs.items() if "OSP514" in rules(d) and p not in
                {catalog[n].purl for n in wrong}]


@pytest.mark.parametrize("writer", [requirements, pipfile_lock], ids=["requirements", "pipfile"])
def test_every_file_digest_of_the_release_is_accepted(writer: Callable[..., Lockfile], catalog: Catalog, shared_cache: Path,
                                                      tmp_path: Path) -> None:
    """pip and pipenv list one digest per file of the release (wheels and sdist) in no particular order: a
    wheel's digest listed first is still a digest of what the registry serves."""
    result = scan(catalog, shared_cache, writer(catalog, frozenset(), wheel_first=True), tmp_path)
    good = result.docs[catalog["goodpy"].purl]
    assert "OSP514" not in rules(good), good["findings"]
