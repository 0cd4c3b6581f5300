"""Huge registry documents are refused before they cost memory (21.10); a full or read-only cache is a
one-line error with exit code 5 (21.12); partial files of killed runs are removed (21.14)."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ossprov.fixtures.server import RegistryServer
from ossprov.fixtures.world import World
from tests.conftest import npm_project


def _ossprov(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ossprov", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


@pytest.mark.slow
def test_a_200_mb_packument_of_empty_objects_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    (tmp_path / "npm").mkdir()
    with (tmp_path / "npm" / "huge").open("wb") as f:
        f.write(b'{"name": "huge", "versions": {"1.0.0": {}}, "x": [')
        f.write(b"{}," * (200 * 1024 * 1024 // 3))
        f.write(b"{}]}")
    server = RegistryServer(tmp_path).start()
    try:
        proc = _ossprov("verify", "pkg:npm/huge@1.0.0", env={"OSSPROV_NPM_REGISTRY": f"{server.url}/npm/"})
    finally:
        server.stop()
    assert proc.returncode == 3, proc.stderr
    assert "more JSON values than any registry document" in proc.stderr
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert peak_mb < 1500  # the whole document parsed takes over 5 GB


def _tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True).returncode == 0


def _published(world: World) -> str:
    repo, pkg = npm_project(world, "acme/disk", "disk", "1.0.0", {"lib/big.js": "x" * 300_000 + "\n"})
    sha = repo.commit("release")
    return world.publish_npm(world.npm_pack(pkg), git_head=sha)


@pytest.mark.parametrize("how", ["full", "read-only"])
def test_full_or_read_only_cache_is_exit_5(world: World, tmp_path: Path, how: str) -> None:
    cache = tmp_path / "cache"
    if not _tmpfs(cache, "64k"):
        pytest.skip("cannot mount a tmpfs here (needs root and mount)")
    try:
        if how == "read-only":
            subprocess.run(["mount", "-o", "remount,ro", str(cache)], check=True)
        proc = _ossprov("verify", _published(world), env={"OSSPROV_CACHE": str(cache)})
        assert proc.returncode == 6, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "cannot write" in lines[0], proc.stderr
        assert ("No space left" if how == "full" else "Read-only") in lines[0]
        assert "internal error" not in proc.stderr
        if how == "full":
            assert [p for p in cache.rglob("*") if p.name.endswith(".part") or p.name.startswith(".dl-")] == []
    finally:
        subprocess.run(["umount", "-l", str(cache)], check=False)


def test_partial_files_of_a_terminated_run_are_removed_on_the_next(world: World) -> None:
    purl = _published(world)
    cache = Path(os.environ["OSSPROV_CACHE"])
    artifacts = cache / "artifacts"
    artifacts.mkdir(parents=True)
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale_dir = artifacts / f".dl-{dead.pid}-abc"
    stale_dir.mkdir()
    (stale_dir / "artifact").write_bytes(b"half")
    stale_file = artifacts / "by-url" / f".entry.{dead.pid}.0a1b2c3d.part"
    stale_file.parent.mkdir()
    stale_file.write_bytes(b"half")
    live = artifacts / f".dl-{os.getpid()}-live"
    live.mkdir()
    assert _ossprov("verify", purl).returncode == 0
    assert not stale_dir.exists() and not stale_file.exists()
    assert live.exists()  # a running process's download is left alone


def test_sigterm_mid_run_leaves_no_partial_file(world: World, tmp_path: Path) -> None:
    from tests.transport.test_deadlines import FaultyServer

    server = FaultyServer("trickle-body")
    try:
        purl = _published(world)
        doc = world.packuments["disk"]
        doc["versions"]["1.0.0"]["dist"]["tarball"] = f"{server.url}/disk-1.0.0.tgz"
        import json
        (world.root / "registry" / "npm" / "disk").write_text(json.dumps(doc))
        proc = subprocess.Popen([sys.executable, "-m", "ossprov", "verify", purl], env=os.environ,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        cache = Path(os.environ["OSSPROV_CACHE"])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not list(cache.rglob(".dl-*")):
            time.sleep(0.1)
        assert list(cache.rglob(".dl-*")), "the download never started"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 143
        assert [p for p in cache.rglob("*") if p.name.endswith(".part") or p.name.startswith(".dl-")] == []
    finally:
        server.stop()
