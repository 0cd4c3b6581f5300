"""scan over a lockfile: a tampered transitive dependency, a wrong lockfile digest and a removed version surface."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema

from ossprov.fixtures.world import World
from ossprov.report.jsonout import schema
from tests.conftest import npm_project


def test_scan_package_lock_surfaces_tampered_transitive_dependency(world: World, tmp_path: Path) -> None:
    packages = {}
    for name in ("good-a", "good-b", "evil-c", "gone-d"):
        repo, pkg = npm_project(world, f"acme/{name}", name, "1.0.0")
        repo.commit("release")
        tarball = world.npm_pack(pkg)
        if name == "evil-c":
            tarball = World.tamper_npm(tarball, {"index.js": b"require('child_process').exec('id');\n"})
        world.publish_npm(tarball)
        packages[name] = tarball
    world.unpublish_npm("gone-d", "1.0.0")
    doc = world.packuments["good-a"]["versions"]["1.0.0"]
    lock = {"name": "app", "lockfileVersion": 3, "requires": True, "packages": {
        "": {"name": "app", "dependencies": {"good-a": "^1.0.0"}},
        "node_modules/good-a": {"version": "1.0.0", "integrity": doc["dist"]["integrity"]},
        "node_modules/good-b": {"version": "1.0.0", "integrity": "sha512-" + "A" * 86 + "=="},
        "node_modules/evil-c": {"version": "1.0.0"},
        "node_modules/gone-d": {"version": "1.0.0"},
    }}
    lockfile = tmp_path / "package-lock.json"
    lockfile.write_text(json.dumps(lock, indent=2))
    proc = subprocess.run([sys.executable, "-m", "ossprov", "scan", str(lockfile), "--format", "json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    document = json.loads(proc.stdout)
    jsonschema.validate(document, schema())
    by_purl = {d["purl"]: d for d in document["results"]}
    assert by_purl["pkg:npm/good-a@1.0.0"]["verdict"] == "faithful"
    assert by_purl["pkg:npm/evil-c@1.0.0"]["verdict"] == "mismatch"
    assert any(f["rule"] == "OSP514" for f in by_purl["pkg:npm/good-b@1.0.0"]["findings"])
    assert any(f["rule"] == "OSP513" for f in by_purl["pkg:npm/gone-d@1.0.0"]["findings"])
    sarif = subprocess.run([sys.executable, "-m", "ossprov", "scan", str(lockfile), "--format", "sarif"],
                           capture_output=True, text=True, timeout=300)
    assert "pkg:npm/evil-c@1.0.0" in sarif.stdout
    results = json.loads(sarif.stdout)["runs"][0]["results"]
    evil = next(r for r in results if "evil-c" in r["message"]["text"])
    region = evil["locations"][0]["physicalLocation"]
    assert region["artifactLocation"]["uri"].endswith("package-lock.json") and region["region"]["startLine"] > 1


def test_scan_reuses_stored_results_unless_refreshed(world: World, tmp_path: Path) -> None:
    repo, pkg = npm_project(world, "acme/kept", "kept", "1.0.0")
    repo.commit("release")
    world.publish_npm(world.npm_pack(pkg))
    lockfile = tmp_path / "package-lock.json"
    lockfile.write_text(json.dumps({"lockfileVersion": 3, "packages": {"": {"name": "app"},
                                    "node_modules/kept": {"version": "1.0.0"}}}))
    db = f"sqlite:///{tmp_path / 'results.sqlite'}"

    def scan(*extra: str) -> dict:
        proc = subprocess.run([sys.executable, "-m", "ossprov", "scan", str(lockfile), "--format", "json", "--db", db,
                               *extra], capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)["results"][0]

    first, second, third = scan(), scan(), scan("--refresh")
    assert (first["reused"], second["reused"], third["reused"]) == (False, True, False)
    assert first["verdict"] == second["verdict"] == "faithful" and second["commit"] == first["commit"]
    stats = subprocess.run([sys.executable, "-m", "ossprov", "db", "stats", "--db", db, "--format", "json"],
                           capture_output=True, text=True, timeout=60)
    assert stats.returncode == 0 and '"verify"' in stats.stdout
