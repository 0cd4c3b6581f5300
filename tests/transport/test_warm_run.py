"""A warm verify asks the registry nothing, starts few git processes and imports only what it uses (issue 16);
offline mode uses only the cache and says what it could not check."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ossprov.fixtures.world import World
from tests.conftest import npm_project, only_result

MAX_WARM_GIT_PROCESSES = 0
"""None: refs, trees, history queries and the objects read by id come from the clone's saved state, and the
user's git settings from their memo."""


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


NOT_ON_THE_WARM_PATH = ("httpx", "rich", "rapidfuzz", "sqlalchemy", "ossprov.threats.squat", "ossprov.report.table")
"""Imported only where used: the HTTP client for a request, rich for a table or a spinner, the squat matcher for
a name not checked before, the database for a command that stores."""


def _verify(purl: str, *extra: str, env: dict[str, str] | None = None,
            modules: Path | None = None) -> subprocess.CompletedProcess:
    """`ossprov verify PURL --format json` in a new process; with `modules`, the names of the modules it loaded
    are written there as it exits."""
    argv = [*extra, "verify", purl, "--format", "json"]
    if modules is None:
        cmd = [sys.executable, "-m", "ossprov", *argv]
    else:
        cmd = [sys.executable, "-c", "import atexit, json, runpy, sys\n"
               f"atexit.register(lambda: open({str(modules)!r}, 'w').write(json.dumps(sorted(sys.modules))))\n"
               f"sys.argv = ['ossprov', *{argv!r}]\n"
               "runpy.run_module('ossprov', run_name='__main__')\n"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})})


def _published(world: World) -> str:
    repo, pkg = npm_project(world, "acme/warm", "warm", "1.0.0", {f"lib/m{i}.js": f"exports.n = {i};\n"
                                                                    for i in range(7)})
    sha = repo.commit("release")
    repo.tag("v1.0.0")
    return world.publish_npm(world.npm_pack(pkg), git_head=sha)


def test_warm_verify_makes_no_request_and_few_git_processes(world: World, git_log: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSSPROV_METADATA_MAX_AGE", "3600")
    purl = _published(world)
    cold = _verify(purl, modules=tmp_path / "cold-modules.json")
    assert cold.returncode == 0, cold.stderr
    assert {"httpx", "rapidfuzz"} <= set(json.loads((tmp_path / "cold-modules.json").read_text()))
    assert world.server and world.server.requests
    world.server.requests.clear()
    git_log.unlink()
    warm = _verify(purl, modules=tmp_path / "warm-modules.json")
    assert warm.returncode == 0, warm.stderr
    loaded = set(json.loads((tmp_path / "warm-modules.json").read_text()))
    assert not loaded & set(NOT_ON_THE_WARM_PATH), loaded & set(NOT_ON_THE_WARM_PATH)
    assert only_result(warm.stdout)["verdict"] == only_result(cold.stdout)["verdict"] == "faithful"
    assert world.server.requests == []
    calls = git_log.read_text().splitlines() if git_log.exists() else []
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


def test_a_worker_that_ends_without_exit_handlers_keeps_what_it_learnt(world: World, git_log: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A forked worker ends with `os._exit` (no atexit): the clone's memo is saved at the end of each run, so
    the next warm verify still starts no git."""
    monkeypatch.setenv("OSSPROV_METADATA_MAX_AGE", "3600")
    purl = _published(world)
    pid = os.fork()
    if pid == 0:  # the cold run, in a worker that never runs its exit handlers
        code = 1
        try:
            from ossprov import stages

            code = 0 if stages.verify(purl).verdict.value == "faithful" else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    git_log.unlink()
    warm = _verify(purl)
    assert warm.returncode == 0, warm.stderr
    assert only_result(warm.stdout)["verdict"] == "faithful"
    calls = git_log.read_text().splitlines() if git_log.exists() else []
    assert len(calls) <= MAX_WARM_GIT_PROCESSES, calls
