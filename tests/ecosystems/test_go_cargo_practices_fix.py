"""`practices` and `fix` for Go modules and crates from the loopback world: the package signals come from the
proxy's `.info` times and the crate index, OSV records of Go modules (v-prefixed versions against OSV's
unprefixed SEMVER ranges) and crates are matched for the package and for what its go.sum / Cargo.lock pins,
native Go fuzz tests and cargo-fuzz targets count as fuzzing, and `fix` has nothing to propose for a Go module
(its path is its repository declaration)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ossprov.cli import cli
from ossprov.fixtures import cargo_registry as cr
from ossprov.fixtures import goproxy
from ossprov.fixtures.world import World
from tests.ecosystems.plugin_worlds import point_at
from tests.ecosystems.test_cargo import FILES as CRATE_FILES
from tests.ecosystems.test_golang import FILES as MODULE_FILES
from tests.ecosystems.test_golang import MODULE

DEP = "example.com/dep"
GO_SUM = f"{DEP} v1.2.0 h1:{'A' * 43}=\n{DEP} v1.2.0/go.mod h1:{'B' * 43}=\n"
FUZZ = {  # a cargo-fuzz project beside the crate, with its own lockfile (cargo package leaves it out)
    "fuzz/Cargo.toml": '[package]\nname = "tiny-fuzz"\nversion = "0.0.0"\npublish = false\n',
    "fuzz/Cargo.lock": ('version = 3\n\n[[package]]\nname = "tiny-fuzz"\nversion = "0.0.0"\n\n[[package]]\n'
                        'name = "smallvec"\nversion = "1.6.0"\nsource = "registry+https://index.example/"\n'
                        'checksum = "' + "a" * 64 + '"\n'),
    "fuzz/fuzz_targets/a.rs": "#![no_main]\nuse libfuzzer_sys::fuzz_target;\n",
}


def _osv(tmp_path: Path, records: list[tuple[str, str, str, str]]) -> Path:
    """An OSV export: (id, ecosystem, name, fixed) records affecting every version below `fixed`."""
    root = tmp_path / "osv"
    for vid, ecosystem, name, fixed in records:
        (root / ecosystem).mkdir(parents=True, exist_ok=True)
        (root / ecosystem / f"{vid}.json").write_text(json.dumps({
            "schema_version": "1.6.0", "id": vid, "modified": "2024-01-01T00:00:00Z", "summary": vid,
            "affected": [{"package": {"ecosystem": ecosystem, "name": name},
                          "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": fixed}]}]}]}))
    return root


def _practices(purl: str, osv: Path) -> dict:
    out = CliRunner().invoke(cli, ["practices", purl, "--format", "json", "--osv", str(osv)])
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)["results"][0]


def _vulnerabilities(result: dict) -> set[str]:
    return {i for p in _check(result, "Vulnerabilities")["probes"] if p["outcome"] for i in p["data"]["ids"]}


def _check(result: dict, name: str) -> dict:
    return next(c for c in result["checks"] if c["name"] == name)


@pytest.mark.skipif(shutil.which("go") is None, reason="needs the go command")
def test_practices_and_fix_for_a_go_module(world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    point_at(goproxy.go_environment(world), monkeypatch)
    repo = world.repo("acme/widget")
    repo.commit("release", {**MODULE_FILES, "go.sum": GO_SUM,
                            "fuzz_test.go": "package widget\n\nimport \"testing\"\n\nfunc FuzzA(f *testing.F) {}\n"})
    repo.tag("v1.0.0")
    purl = goproxy.publish_go(world, MODULE, "v1.0.0")
    info = json.loads(goproxy.served_zip(world, MODULE, "v1.0.0").with_suffix(".info").read_text())
    osv = _osv(tmp_path, [("GO-2024-0001", "Go", MODULE, "1.0.1"), ("GO-2024-0002", "Go", DEP, "1.2.1"),
                          ("GO-2024-0003", "Go", DEP, "1.1.0")])
    result = _practices(purl, osv)
    assert result["package"]["ecosystem"] == "golang" and result["package"]["latest_version"] == "v1.0.0"
    assert result["package"]["latest_release"] == info["Time"]
    found = _vulnerabilities(result)
    assert {"GO-2024-0001", "GO-2024-0002"} <= found and "GO-2024-0003" not in found
    assert _check(result, "Fuzzing")["score"] == 10
    out = CliRunner().invoke(cli, ["fix", purl, "--format", "json"])
    doc = json.loads(out.stdout)
    assert out.exit_code == 0 and doc["status"] == "not-needed", doc


@pytest.mark.skipif(shutil.which("cargo") is None, reason="needs cargo")
def test_practices_for_a_crate(world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    point_at(cr.cargo_environment(world), monkeypatch)
    repo = world.repo("acme/tiny")
    repo.commit("release", {**CRATE_FILES, **FUZZ})
    purl = cr.publish_crate(world, cr.cargo_package(world, repo), "tiny", "0.1.0")
    osv = _osv(tmp_path, [("RUSTSEC-2024-0001", "crates.io", "smallvec", "1.6.1"),
                          ("RUSTSEC-2024-0002", "crates.io", "tiny", "0.1.1")])
    result = _practices(purl, osv)
    assert result["package"]["ecosystem"] == "cargo" and result["package"]["latest_version"] == "0.1.0"
    found = _vulnerabilities(result)
    assert found == {"RUSTSEC-2024-0001", "RUSTSEC-2024-0002"}
    assert _check(result, "Fuzzing")["score"] == 10
