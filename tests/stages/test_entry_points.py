"""Every entry point runs the same stages and says the same thing about the same package: `verify`,
`rebuild`, `scan --rebuild`, `batch --stages locate,verify,rebuild` (what it stores), and `mirror add
--require rebuilt`. Real builds in the real sandbox."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ossprov.fixtures.world import World
from ossprov.mirror.store import MirrorStore
from tests.conftest import only_result

pytestmark = pytest.mark.slow

BUILD = ("const fs = require('fs');\nfs.mkdirSync('dist', {recursive: true});\n"
         "fs.writeFileSync('dist/index.js', 'module.exports = ' + STAMP + ';\\n');\n")


def _ossprov(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ossprov", *args], capture_output=True, text=True, timeout=600,
                          input=stdin)


def built_package(world: World, name: str, stamp: str) -> str:
    """An npm package whose `dist/index.js` is written by its build script (not committed), published as
    `npm pack` made it after the build ran."""
    repo, pkg = world.npm_project(f"acme/{name}", name, "1.0.0", {"build.js": BUILD.replace("STAMP", stamp),
                                                                  ".gitignore": "dist/\n"},
                                  extra={"main": "dist/index.js", "scripts": {"build": "node build.js"},
                                         "files": ["dist", "build.js"]})
    repo.commit("release")
    subprocess.run(["node", "build.js"], cwd=pkg, check=True)
    return world.publish_npm(world.npm_pack(pkg))


def _steady(rebuild: dict[str, Any]) -> dict[str, Any]:
    """A rebuild record without what changes from run to run (times, the work directory)."""
    return {k: v for k, v in rebuild.items() if k not in ("seconds", "steps", "workdir", "phases")}


def every_entry_point(purl: str, tmp_path: Path) -> dict[str, dict[str, Any]]:
    """The verification document each entry point prints or stores for `purl`."""
    docs: dict[str, dict[str, Any]] = {}
    verify = _ossprov("verify", purl, "--format", "json")
    docs["verify"] = only_result(verify.stdout)
    docs["rebuild"] = only_result(_ossprov("rebuild", purl, "--format", "json").stdout)
    lockfile = tmp_path / "package-lock.json"
    name = purl.split("/")[-1].split("@")[0]
    lockfile.write_text(json.dumps({"lockfileVersion": 3, "packages": {"": {"name": "app"},
                                    f"node_modules/{name}": {"version": "1.0.0"}}}))
    scan = _ossprov("scan", str(lockfile), "--rebuild", "--no-db", "--format", "json")
    docs["scan"] = {k: v for k, v in only_result(scan.stdout).items() if k not in ("lockfile", "error", "reused", "status")}
    db = f"sqlite:///{tmp_path / 'batch.sqlite'}"
    batch = _ossprov("batch", "-", "--db", db, "--stages", "locate,verify,rebuild", "--workers", "1",
                     "--format", "json", stdin=purl + "\n")
    assert batch.returncode in (0, 1), batch.stderr
    exported = [json.loads(line) for line in _ossprov("db", "export", "--db", db).stdout.splitlines()]
    stored = {row["stage"]: row for row in exported}
    docs["batch"] = stored["rebuild"]["result"]
    assert stored["verify"]["result"] == docs["batch"] and stored["rebuild"]["verdict"] == docs["batch"]["verdict"]
    mirror = _ossprov("mirror", "add", purl, "--require", "rebuilt", "--format", "json")
    docs["mirror"] = json.loads(mirror.stdout)
    return docs


def test_every_entry_point_gives_the_same_verdict_findings_and_json(world: World, tmp_path: Path) -> None:
    purl = built_package(world, "stamped", "42")
    docs = every_entry_point(purl, tmp_path)
    static, rebuilt = docs["verify"], docs["rebuild"]
    assert static["verdict"] == "faithful-with-build-output"
    assert [f["rule"] for f in static["findings"]] == ["OSP201"]  # only a rebuild can vouch for dist/index.js
    assert rebuilt["rebuild"]["outcome"] in ("bit-for-bit", "stabilized")
    assert rebuilt["findings"] == []  # ... and the rebuild did, in every entry point
    for name in ("scan", "batch"):
        doc = docs[name]
        assert doc["verdict"] == rebuilt["verdict"] and doc["findings"] == rebuilt["findings"], name
        assert _steady(doc["rebuild"]) == _steady(rebuilt["rebuild"]), name
        assert {k: v for k, v in doc.items() if k != "rebuild"} == {k: v for k, v in rebuilt.items()
                                                                     if k != "rebuild"}, name
    decision = docs["mirror"]["decisions"][0]
    assert docs["mirror"]["admitted"] and decision["verdict"] == rebuilt["verdict"]
    stored = MirrorStore().load("npm", "stamped")["versions"]["1.0.0"]["files"][0]
    assert stored["summary"]["findings"] == rebuilt["findings"]
    assert stored["rebuild"] == rebuilt["rebuild"]["outcome"]


def test_a_rebuild_that_differs_in_a_code_file_is_mismatch_everywhere(world: World, tmp_path: Path) -> None:
    purl = built_package(world, "clocked", "Date.now()")  # a build that never makes the same file twice
    docs = every_entry_point(purl, tmp_path)
    assert docs["verify"]["verdict"] == "faithful-with-build-output"  # static comparison cannot tell
    for name in ("rebuild", "scan", "batch"):
        doc = docs[name]
        assert doc["rebuild"]["outcome"] == "differs", name
        assert doc["verdict"] == "mismatch", name
        assert any(f["rule"] == "OSP301" and f["path"] == "dist/index.js" and f["severity"] == "high"
                   for f in doc["findings"]), name
    assert not docs["mirror"]["admitted"]
    assert "OSP301" in docs["mirror"]["decisions"][0]["reason"] or "differs" in docs["mirror"]["decisions"][0]["reason"]
    assert docs["mirror"]["decisions"][0]["verdict"] == "mismatch"
