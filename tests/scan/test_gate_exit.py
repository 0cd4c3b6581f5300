"""The gate fails closed: a scan that could not check its packages (registry down, repositories that cannot be
cloned) exits with the documented "could not check" code and says so in SARIF, never "clean"; a reviewed
suppression lets a finding pass and is reported."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from ossprov import gate
from ossprov.fixtures.world import World
from ossprov.report.jsonout import schema
from tests.conftest import npm_project


def _lockfile(tmp_path: Path, *names: str) -> Path:
    lock = {"lockfileVersion": 3, "packages": {"": {"name": "app", "dependencies": {n: "^1" for n in names}},
            **{f"node_modules/{n}": {"version": "1.0.0"} for n in names}}}
    path = tmp_path / "project" / "package-lock.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(lock, indent=2))
    return path


def _scan(lockfile: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ossprov", "scan", str(lockfile), "--no-db", *args],
                          capture_output=True, text=True, timeout=240, env={**os.environ, **(env or {})})


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_registry_down_is_not_clean(world: World, tmp_path: Path) -> None:
    lockfile = _lockfile(tmp_path, "left", "right")
    down = {"OSSPROV_NPM_REGISTRY": f"http://127.0.0.1:{_closed_port()}/", "OSSPROV_TIMEOUT": "2"}
    proc = _scan(lockfile, "--fail-on", "never", env=down)
    assert proc.returncode == gate.NOT_CHECKED, proc.stderr
    assert "could not check 2 package(s)" in proc.stderr
    sarif = _scan(lockfile, "--format", "sarif", "--fail-on", "low", env=down)
    run = json.loads(sarif.stdout)["runs"][0]
    assert sarif.returncode == gate.NOT_CHECKED
    assert {r["ruleId"] for r in run["results"]} == {"OSP900"} and len(run["results"]) == 2
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(
        "package-lock.json")
    assert run["invocations"][0]["executionSuccessful"] is False
    assert len(run["invocations"][0]["toolExecutionNotifications"]) == 2
    doc = json.loads(_scan(lockfile, "--format", "json", env=down).stdout)
    jsonschema.validate(doc, schema())
    assert {e["purl"] for e in doc["errors"]} == {"pkg:npm/left@1.0.0", "pkg:npm/right@1.0.0"}
    allowed = _scan(lockfile, "--fail-on-unverifiable", "never", env=down)
    assert allowed.returncode == gate.PASSED, allowed.stderr


def test_repository_that_cannot_be_cloned_is_not_clean(world: World, tmp_path: Path) -> None:
    repo, pkg = npm_project(world, "acme/vanishing", "vanishing", "1.0.0")
    repo.commit("release")
    world.publish_npm(world.npm_pack(pkg))
    shutil.rmtree(repo.bare)  # the forge lost the repository
    proc = _scan(_lockfile(tmp_path, "vanishing"), "--fail-on", "low")
    assert proc.returncode == gate.NOT_CHECKED, proc.stderr


def test_suppression_lets_a_reviewed_finding_pass_and_is_reported(world: World, tmp_path: Path) -> None:
    repo, pkg = npm_project(world, "acme/patched", "patched", "1.0.0")
    repo.commit("release")
    world.publish_npm(World.tamper_npm(world.npm_pack(pkg), {"index.js": b"module.exports = () => 'hotfix';\n"}))
    lockfile = _lockfile(tmp_path, "patched")
    assert _scan(lockfile).returncode == gate.FINDINGS
    (lockfile.parent / ".ossprov.toml").write_text(
        '[[suppress]]\npurl = "pkg:npm/patched"\nversions = "==1.0.0"\nrule = ["OSP101"]\npath = "index.js"\n'
        'reason = "hotfix published from a branch, reviewed in SEC-7"\nexpires = 2099-01-01\n')
    proc = _scan(lockfile, "--format", "json")
    assert proc.returncode == gate.PASSED, proc.stderr
    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, schema())
    assert [s["finding"]["rule"] for s in doc["suppressed"]] == ["OSP101"]
    assert "SEC-7" in doc["suppressed"][0]["justification"]
    assert "1 finding(s) suppressed" in proc.stderr
    sarif = json.loads(_scan(lockfile, "--format", "sarif").stdout)
    (suppressed,) = [r for r in sarif["runs"][0]["results"] if r.get("suppressions")]
    assert suppressed["ruleId"] == "OSP101"
    (lockfile.parent / ".ossprov.toml").write_text(
        '[[suppress]]\npurl = "pkg:npm/patched"\nrule = "OSP101"\nreason = "r"\nexpires = 2001-01-01\n')
    expired = _scan(lockfile)
    assert expired.returncode == gate.FINDINGS and "expired suppression" in expired.stderr


@pytest.mark.parametrize("columns", ["80"])
def test_table_keeps_the_whole_purl_at_80_columns(world: World, tmp_path: Path, columns: str) -> None:
    name = "a-rather-long-package-name-for-the-table"
    repo, pkg = npm_project(world, f"acme/{name}", name, "1.0.0")
    repo.commit("release")
    world.publish_npm(world.npm_pack(pkg))
    proc = _scan(_lockfile(tmp_path, name), env={"COLUMNS": columns})
    assert proc.returncode == 0, proc.stderr
    assert all(len(line) <= 80 for line in proc.stdout.splitlines())
    first_column = "".join(line.split("│")[1].strip() for line in proc.stdout.splitlines() if line.count("│") > 2)
    assert f"pkg:npm/{name}@1.0.0" in first_column, proc.stdout


def test_skipped_entries_are_in_every_output(world: World, tmp_path: Path) -> None:
    repo, pkg = npm_project(world, "acme/plain", "plain", "1.0.0")
    repo.commit("release")
    world.publish_npm(world.npm_pack(pkg))
    lockfile = _lockfile(tmp_path, "plain")
    lock = json.loads(lockfile.read_text())
    lock["packages"]["node_modules/local-lib"] = {"version": "file:../local-lib", "resolved": "file:../local-lib"}
    lockfile.write_text(json.dumps(lock, indent=2))
    doc = json.loads(_scan(lockfile, "--format", "json").stdout)
    assert [(s["entry"], s["reason"]) for s in doc["skipped"]] == [("local-lib", "local path dependency")]
    notes = json.loads(_scan(lockfile, "--format", "sarif").stdout)["runs"][0]["invocations"][0]
    assert any("local-lib" in n["message"]["text"] and n["level"] == "warning"
               for n in notes["toolExecutionNotifications"])
    table = _scan(lockfile, env={"COLUMNS": "200"})
    assert "1 entries not verified" in table.stdout and "local-lib" in table.stdout


def test_the_scanned_projects_npmrc_names_the_registry(world: World, tmp_path: Path, monkeypatch) -> None:
    """A project's own `.npmrc` applies when ossprov runs from another directory, as it would for npm there."""
    repo, pkg = npm_project(world, "acme/zqledger", "zqledger", "1.0.0")
    repo.commit("release")
    world.publish_npm(world.npm_pack(pkg))
    lockfile = _lockfile(tmp_path, "zqledger")
    assert world.server
    (lockfile.parent / ".npmrc").write_text(f"registry={world.server.url}/npm/\n")
    (lockfile.parent / "package.json").write_text('{"name": "app", "dependencies": {"zqledger": "^1"}}')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "OSSPROV_NPM_REGISTRY"}
    env["npm_config_userconfig"] = str(tmp_path / "no-user-npmrc")
    env["HTTPS_PROXY"] = env["https_proxy"] = "http://127.0.0.1:9"  # were the .npmrc ignored: nothing leaves loopback
    proc = subprocess.run([sys.executable, "-m", "ossprov", "scan", str(lockfile), "--no-db", "--format", "json"],
                          capture_output=True, text=True, timeout=240, env=env, cwd=elsewhere)
    (doc,) = json.loads(proc.stdout)["results"]
    assert proc.returncode == 0, (doc.get("error"), doc["findings"], proc.stderr)
    assert doc["verdict"] == "faithful" and doc["artifact"]["source"].startswith(world.server.url)
