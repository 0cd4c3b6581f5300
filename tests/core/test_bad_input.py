"""Bad input and failing registries: a one-line message and the documented exit code, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ossprov.fixtures.world import World
from tests.conftest import npm_project


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ossprov", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("purl", ["left-pad", "pkg:npm/left-pad", "pkg:/nope@1", "pkg:npm/@1.0.0",
                                  "pkg:cargo/serde@1.0.0"])
def test_malformed_or_unsupported_purls_exit_2(purl: str) -> None:
    proc = run("locate", purl)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def _published(world: World) -> str:
    repo, pkg = npm_project(world, "acme/flaky", "flaky", "1.0.0")
    repo.commit("release")
    return world.publish_npm(world.npm_pack(pkg))


def test_unknown_package_and_version_exit_2(world: World) -> None:
    _published(world)
    for purl in ("pkg:npm/nonexistent@1.0.0", "pkg:npm/flaky@9.9.9"):
        proc = run("locate", purl)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr and ("not found" in proc.stderr or "no version" in proc.stderr)


def test_429_then_success(world: World) -> None:
    purl = _published(world)
    world.server.faults["/npm/flaky"] += [429, 429]
    proc = run("locate", purl, "--format", "json")
    assert proc.returncode == 0, proc.stderr


def test_500_exits_3(world: World) -> None:
    purl = _published(world)
    world.server.faults["/npm/flaky"] += [500] * 10
    proc = run("locate", purl)
    assert proc.returncode == 3
    assert "500" in proc.stderr and "Traceback" not in proc.stderr


def test_truncated_body_exits_3(world: World) -> None:
    purl = _published(world)
    world.server.faults["/npm/flaky"] += ["truncate"] * 10
    proc = run("locate", purl)
    assert proc.returncode == 3, proc.stderr
    assert "cut short" in proc.stderr or "cannot reach" in proc.stderr


def test_unreachable_registry_exits_3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSSPROV_NPM_REGISTRY", "http://127.0.0.1:9/")
    proc = run("locate", "pkg:npm/anything@1.0.0")
    assert proc.returncode == 3 and "cannot reach" in proc.stderr


def test_repository_that_cannot_be_cloned_is_not_located(world: World) -> None:
    repo, pkg = npm_project(world, "acme/gone", "gone", "1.0.0",
                            repository={"type": "git", "url": "https://github.com/acme/deleted"})
    repo.commit("release")
    purl = world.publish_npm(world.npm_pack(pkg))
    proc = run("locate", purl, "--format", "json")
    assert proc.returncode == 3, proc.stderr
    assert "cannot clone https://github.com/acme/deleted" in proc.stdout
    proc = run("verify", purl, "--format", "json")
    assert proc.returncode == 3
    assert "no candidate repository could be cloned" in proc.stdout
