"""A warm verify asks the registry nothing and starts few git processes (issue 16); offline mode uses only the
cache and says what it could not check."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ossprov.fixtures.world import World
from tests.conftest import npm_project, only_result

MAX_WARM_GIT_PROCESSES = 1
"""One `cat-file --batch-command`: refs, trees and history queries come from the clone's saved state."""


@pytest.fixture
def git_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `git` first on PATH that logs each invocation, then runs the real git."""
    log = tmp_path / "git.log"
    bindir = tmp_path / "bin"
    bindir.mkdir()
    wrapper = bindir / "git"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec {shutil.which("git")} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    return log


def _verify(purl: str, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ossprov", *extra, "verify", purl, "--format", "json"],
                          capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})})


def _published(world: World) -> str:
    repo, pkg = npm_project(world, "acme/warm", "warm", "1.0.0", {f"lib/m{i}.js": f"exports.n = {i};\n"
                                                                    for i in range(7)})
    sha = repo.commit("release")
    repo.tag("v1.0.0")
    return world.publish_npm(world.npm_pack(pkg), git_head=sha)


def test_warm_verify_makes_no_request_and_few_git_processes(world: World, git_log: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSSPROV_METADATA_MAX_AGE", "3600")
    purl = _published(world)
    cold = _verify(purl)
    assert cold.returncode == 0, cold.stderr
    assert world.server and world.server.requests
    world.server.requests.clear()
    git_log.unlink()
    warm = _verify(purl)
    assert warm.returncode == 0, warm.stderr
    assert only_result(warm.stdout)["verdict"] == only_result(cold.stdout)["verdict"] == "faithful"
    assert world.server.requests == []
    calls = git_log.read_text().splitlines()
    assert len(calls) <= MAX_WARM_GIT_PROCESSES, calls


def test_stale_metadata_is_revalidated(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSSPROV_METADATA_MAX_AGE", "0")
    purl = _published(world)
    assert _verify(purl).returncode == 0
    assert world.server
    world.server.requests.clear()
    assert _verify(purl).returncode == 0
    assert any(path.startswith("/npm/") for _, path in world.server.requests)


def test_offline_uses_only_the_cache_and_says_what_it_did_not_check(world: World,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSSPROV_METADATA_MAX_AGE", "1")
    purl = _published(world)
    assert _verify(purl).returncode == 0
    assert world.server
    world.server.requests.clear()
    for path in Path(os.environ["OSSPROV_CACHE"], "http").rglob("*"):
        if path.is_file():
            os.utime(path, (1, 1))  # the cached packument is old: online, it would be revalidated
    offline = _verify(purl, "--offline")
    assert offline.returncode == 0, offline.stderr
    assert world.server.requests == []
    assert "offline, not checked" in offline.stderr and "/npm/warm" in offline.stderr
    other = _verify(purl.replace("warm@", "never-fetched@"), env={"OSSPROV_OFFLINE": "1"})
    assert other.returncode == 3 and "offline" in other.stderr and "not in the cache" in other.stderr
    assert world.server.requests == []
