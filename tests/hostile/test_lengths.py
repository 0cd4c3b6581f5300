"""Absurd lengths (a 1 MB repository URL, a 100 KB package name) give a one-line, bounded answer for that
package, never exit 4, and the other packages of a scan still get theirs."""

from __future__ import annotations

import json
from pathlib import Path

from ossprov import gate
from ossprov.fixtures.world import World
from tests.conftest import only_result, results
from tests.hostile.conftest import ossprov


def test_a_100kb_package_name_is_a_short_input_error() -> None:
    proc = ossprov("verify", "pkg:npm/" + "a" * 100_000 + "@1.0.0", timeout=60)
    assert proc.returncode == 2, proc.stderr[-500:]
    assert len(proc.stderr) < 400 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr[-500:]
    assert "100014 characters" in proc.stderr


def test_a_1mb_repository_url_leaves_the_package_unlocated(world: World) -> None:
    huge = "https://github.com/acme/" + "x" * (1 << 20)
    repo, pkg = world.npm_project("acme/longurl", "longurl", "1.0.0", repository={"type": "git", "url": huge})
    repo.commit("release")
    purl = world.publish_npm(world.npm_pack(pkg))
    proc = ossprov("verify", purl, "--format", "json", timeout=120)
    assert proc.returncode == gate.NOT_CHECKED, proc.stderr[-500:]
    doc = only_result(proc.stdout)
    assert doc["verdict"] == "unverifiable" and not doc["repository"]
    assert len(proc.stdout) < 100_000 and len(proc.stderr) < 1000


def test_a_100kb_name_in_a_lockfile_is_skipped_and_the_rest_is_scanned(world: World, tmp_path: Path) -> None:
    repo, pkg = world.npm_project("acme/fine", "fine", "1.0.0")
    repo.commit("release")
    world.publish_npm(world.npm_pack(pkg))
    lock = tmp_path / "package-lock.json"
    lock.write_text(json.dumps({"name": "app", "lockfileVersion": 3, "packages": {
        "": {"name": "app"}, "node_modules/fine": {"version": "1.0.0"},
        "node_modules/" + "b" * 100_000: {"version": "1.0.0"}}}))
    proc = ossprov("scan", str(lock), "--no-db", "--format", "json", timeout=120)
    assert proc.returncode == 0, proc.stderr[-500:]
    docs = results(proc.stdout)
    assert [d["purl"] for d in docs] == ["pkg:npm/fine@1.0.0"] and docs[0]["verdict"] == "faithful"
    assert len(proc.stdout) < 100_000 and len(proc.stderr) < 1000
