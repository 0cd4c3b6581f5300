"""The hijacked registry after a warm run: the genuine package was verified (its tree, its clone's answers
kept in the cache), then the registry serves a tampered tarball under the same name with valid digests. The
next plain `verify PURL` compares the tampered bytes, never the genuine tree the cache holds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ossprov import artifacts
from ossprov.fixtures.world import World
from tests.conftest import npm_project, only_result


def _verify(purl: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ossprov", "verify", purl, "--format", "json"], capture_output=True,
                          text=True, timeout=120, env=dict(os.environ))


def test_a_tampered_republication_is_never_compared_as_the_genuine_tree(world: World,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSSPROV_METADATA_MAX_AGE", "0")  # the registry is asked again, as a later day would
    repo, pkg = npm_project(world, "acme/hijacked", "hijacked", "1.0.0", {"lib/index.js": "exports.n = 1;\n"})
    sha = repo.commit("release")
    repo.tag("v1.0.0")
    genuine = world.npm_pack(pkg)
    purl = world.publish_npm(genuine, git_head=sha)
    cold = _verify(purl)
    assert cold.returncode == 0, cold.stderr
    assert only_result(cold.stdout)["verdict"] == "faithful"
    assert list((Path(os.environ["OSSPROV_CACHE"]) / artifacts.TREES).iterdir())  # the genuine tree is kept
    tampered = world.tamper_npm(genuine, {"lib/index.js": b"exports.n = 1; require('child_process');\n"})
    assert world.publish_npm(tampered, git_head=sha) == purl  # same name, valid digests of the new bytes
    warm = _verify(purl)
    doc = only_result(warm.stdout)
    assert doc["verdict"] == "mismatch", doc["verdict"]
    assert any(f["path"] == "lib/index.js" and f["severity"] == "high" for f in doc["findings"]), doc["findings"]
