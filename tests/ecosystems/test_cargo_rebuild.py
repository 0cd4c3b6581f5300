"""`ossprov rebuild pkg:cargo/...` through the real CLI: the crate plug-in's recipe runs `cargo package` of the
pinned commit in the sandbox, its dependencies vendored through the timewarp proxy in front of the loopback
sparse index, and the rebuilt crate is compared with the one the registry serves (hijacked ones included)."""

from __future__ import annotations

import os
import pwd
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ossprov.cli import cli
from ossprov.fixtures import cargo_registry as cr
from ossprov.fixtures.world import World
from tests.conftest import only_result
from tests.ecosystems.plugin_worlds import point_at
from tests.ecosystems.test_cargo import FILES

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("cargo") is None, reason="needs cargo")]


@pytest.fixture
def cargoworld(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    point_at(cr.cargo_environment(world), monkeypatch)
    # the ecosystem tests run with a HOME of their own: rustup's toolchains stay where the user's HOME has them
    rustup = os.environ.get("RUSTUP_HOME") or str(Path(pwd.getpwuid(os.getuid()).pw_dir) / ".rustup")
    monkeypatch.setenv("RUSTUP_HOME", rustup)
    return world


def _rebuild(purl: str) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, ["rebuild", purl, "--format", "json"])
    return result.exit_code, only_result(result.output)


def _tiny(world: World) -> str:
    repo = world.repo("acme/tiny")
    repo.commit("release", FILES)
    return cr.publish_crate(world, cr.cargo_package(world, repo), "tiny", "0.1.0")


def test_a_genuine_crate_rebuilds_bit_for_bit(cargoworld: World) -> None:
    code, doc = _rebuild(_tiny(cargoworld))
    rebuild = doc["rebuild"]
    assert rebuild["outcome"] == "bit-for-bit", (rebuild["reason"], rebuild["log_tail"])
    assert code == 0 and doc["verdict"] == "faithful"
    assert [s["argv"][:2] for s in rebuild["steps"]] == [["cargo", "package"], ["cp", rebuild["steps"][1]["argv"][1]]]


def test_dependencies_resolve_through_the_timewarp_proxy_as_of_the_release(cargoworld: World) -> None:
    """A binary without a Cargo.lock: cargo resolves its dependency afresh, and only the timewarp proxy (the
    sandbox cannot reach the loopback index itself) keeps the helper published later out of the lockfile."""
    helper = cargoworld.repo("acme/helper")
    manifest = str(FILES["Cargo.toml"]).replace("tiny", "helper")
    helper.commit("release", {**FILES, "Cargo.toml": manifest})
    cr.publish_crate(cargoworld, cr.cargo_package(cargoworld, helper), "helper", "0.1.0")
    app = cargoworld.repo("acme/app")
    app.commit("release", {"Cargo.toml": str(FILES["Cargo.toml"]).replace("tiny", "app")
                           + '\n[dependencies]\nhelper = "0.1"\n', "src/main.rs": "fn main() {}\n"})
    purl = cr.publish_crate(cargoworld, cr.cargo_package(cargoworld, app), "app", "0.1.0")
    helper.commit("fix", {"Cargo.toml": manifest.replace('version = "0.1.0"', 'version = "0.1.1"')})
    cr.publish_crate(cargoworld, cr.cargo_package(cargoworld, helper), "helper", "0.1.1",
                     pubtime="2024-06-01T00:00:00Z")
    code, doc = _rebuild(purl)
    rebuild = doc["rebuild"]
    assert rebuild["outcome"] == "bit-for-bit", (rebuild["reason"], rebuild["log_tail"], rebuild["differences"])
    assert rebuild["timewarp"]["hidden"] == {"cargo:helper": 1}
    assert rebuild["steps"][0]["phase"] == "install" and "vendor" in rebuild["steps"][0]["argv"]
    assert code == 0


def test_a_crate_the_registry_tampered_with_differs_from_its_rebuild(cargoworld: World) -> None:
    purl = _tiny(cargoworld)
    cr.tamper_crate(cargoworld, "tiny", "0.1.0", {"src/lib.rs": b"pub fn a() -> u32 { std::process::exit(1) }\n"})
    code, doc = _rebuild(purl)
    assert doc["rebuild"]["outcome"] == "differs"
    assert [d["path"] for d in doc["rebuild"]["differences"]] == ["src/lib.rs"]
    assert doc["verdict"] == "mismatch" and code == 1
    assert {f["rule"] for f in doc["findings"] if f["path"] == "src/lib.rs"} >= {"OSP301"}
