"""Rust crates from a loopback sparse index, made by the real `cargo package` from the world's forge: genuine
crates (at the root and in a workspace), crates a hijacked registry tampered with (code injected, a build.rs
added, a dependency added to the normalised Cargo.toml or to the index), yanked versions, and Cargo.lock."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ossprov import stages
from ossprov.cli import cli
from ossprov.ecosystems.cargo import registry
from ossprov.errors import InputError
from ossprov.fixtures import cargo_registry as cr
from ossprov.fixtures.world import World
from ossprov.model import FileStatus, Severity, Verdict
from tests.conftest import only_result, results
from tests.ecosystems.plugin_worlds import highs, point_at

pytestmark = pytest.mark.skipif(shutil.which("cargo") is None, reason="needs cargo")

MANIFEST = ('[package]\nname = "tiny"\nversion = "0.1.0"\nedition = "2021"\nlicense = "MIT"\n'
            'description = "fixture"\nrepository = "https://github.com/acme/tiny"\n')
FILES: dict[str, str | bytes] = {"Cargo.toml": MANIFEST, "src/lib.rs": "pub fn a() -> u32 { 1 }\n",
                                 "README.md": "# tiny\n", ".gitignore": "/target\n"}


@pytest.fixture
def cargoworld(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    point_at(cr.cargo_environment(world), monkeypatch)
    return world


def tiny(world: World, **publish: object) -> tuple[str, str]:
    repo = world.repo("acme/tiny")
    sha = repo.commit("release", FILES)
    crate = cr.cargo_package(world, repo)
    repo.commit("later", {"src/lib.rs": "pub fn a() -> u32 { 2 }\n"})
    return cr.publish_crate(world, crate, "tiny", "0.1.0", **publish), sha  # type: ignore[arg-type]


def test_genuine_crate_is_faithful_at_its_vcs_commit(cargoworld: World) -> None:
    purl, sha = tiny(cargoworld)
    result = stages.verify(purl)
    assert result.verdict is Verdict.FAITHFUL, result.findings
    assert result.locate.commit == sha and result.locate.artifact and result.locate.artifact.digest_ok is True
    assert any(e.kind == "vcs-commit" for e in result.locate.evidence)
    statuses = {r.path: r for r in result.file_results}
    assert statuses["Cargo.toml.orig"].status is FileStatus.IDENTICAL
    assert statuses["Cargo.toml.orig"].source_path == "Cargo.toml"
    assert statuses["Cargo.toml"].status is FileStatus.NORMALIZED


def test_workspace_member_with_inherited_version(cargoworld: World) -> None:
    repo = cargoworld.repo("acme/ws")
    sha = repo.commit("release", {
        "Cargo.toml": '[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n\n[workspace.package]\nversion = "1.2.0"\n'
                      'edition = "2021"\n',
        "crates/wsmember/Cargo.toml": '[package]\nname = "wsmember"\nversion.workspace = true\n'
                                      'edition.workspace = true\nlicense = "MIT"\ndescription = "fixture"\n'
                                      'repository = "https://github.com/acme/ws"\nexclude = ["notes/*"]\n',
        "crates/wsmember/src/lib.rs": "pub fn b() {}\n", "LICENSE": "MIT\n",
        "crates/wsmember/notes/todo.txt": "excluded\n",
        "crates/wsmember/inner/Cargo.toml": '[package]\nname = "inner"\nversion = "0.1.0"\nedition = "2021"\n',
        "crates/wsmember/inner/src/lib.rs": "\n"})
    crate = cr.cargo_package(cargoworld, repo, "crates/wsmember")
    result = stages.verify(cr.publish_crate(cargoworld, crate, "wsmember", "1.2.0"))
    assert result.verdict is Verdict.FAITHFUL, result.findings
    assert result.locate.commit == sha
    assert result.locate.repository and result.locate.repository.subdir == "crates/wsmember"
    assert not result.findings  # the excluded file and the nested package are not expected in the crate


BUILD_RS = b"fn main() { std::process::Command::new(\"curl\").arg(\"x.example\").status().ok(); }\n"


@pytest.mark.parametrize(("changes", "rule", "path"), [
    ({"src/lib.rs": b"pub fn a() -> u32 { std::process::Command::new(\"sh\").status().ok(); 1 }\n"},
     "OSP101", "src/lib.rs"),
    ({"build.rs": BUILD_RS, "Cargo.toml": "build script on"}, "OSP112", "build.rs"),
    ({"build.rs": BUILD_RS}, "OSP102", "build.rs"),  # `build = false` keeps cargo from running it: still foreign code
])
def test_hijacked_registry_serving_a_tampered_crate(cargoworld: World, changes: dict, rule: str, path: str) -> None:
    purl, _ = tiny(cargoworld)
    if changes.get("Cargo.toml") == "build script on":
        normalised = cr.served_file(cargoworld, "tiny", "0.1.0", "Cargo.toml")
        changes = {**changes, "Cargo.toml": normalised.replace(b"build = false", b'build = "build.rs"')}
    cr.tamper_crate(cargoworld, "tiny", "0.1.0", changes)
    proc = subprocess.run([sys.executable, "-m", "ossprov", "verify", purl, "--format", "json"],
                          capture_output=True, text=True, timeout=300)
    doc = only_result(proc.stdout)
    assert proc.returncode == 1, proc.stderr
    assert doc["verdict"] == "mismatch"
    assert any(f["rule"] == rule and f["path"] == path and f["severity"] == "high" for f in doc["findings"])


def test_dependency_added_to_the_normalised_manifest(cargoworld: World) -> None:
    purl, _ = tiny(cargoworld)
    normalised = cr.served_file(cargoworld, "tiny", "0.1.0", "Cargo.toml")
    cr.tamper_crate(cargoworld, "tiny", "0.1.0", {"Cargo.toml": normalised + b'\n[dependencies.evil-helper]\n'
                                                  b'version = "1"\n'})
    result = stages.verify(purl)
    assert result.verdict is Verdict.MISMATCH
    assert any(f.rule == "OSP113" and f.path == "Cargo.toml" for f in highs(result)), result.findings


def test_dependency_added_to_both_manifests(cargoworld: World) -> None:
    purl, _ = tiny(cargoworld)
    extra = b'\n[dependencies.evil-helper]\nversion = "1"\n'
    changes = {p: cr.served_file(cargoworld, "tiny", "0.1.0", p) + extra for p in ("Cargo.toml", "Cargo.toml.orig")}
    cr.tamper_crate(cargoworld, "tiny", "0.1.0", changes)  # type: ignore[arg-type]
    result = stages.verify(purl)
    assert any(f.rule == "OSP113" and f.path == "Cargo.toml.orig" for f in highs(result)), result.findings


def test_index_listing_a_dependency_the_crate_does_not_declare(cargoworld: World) -> None:
    purl, _ = tiny(cargoworld, deps=("evil-helper",))
    result = stages.verify(purl)
    assert any(f.rule == "OSP113" and "evil-helper" in f.message for f in highs(result)), result.findings


def test_crate_lacking_a_file_cargo_would_package(cargoworld: World) -> None:
    purl, _ = tiny(cargoworld)
    cr.tamper_crate(cargoworld, "tiny", "0.1.0", {"README.md": None})
    found = [f for f in stages.verify(purl).findings if f.rule == "OSP106"]
    assert [(f.path, f.severity) for f in found] == [("README.md", Severity.LOW)]


def test_index_naming_a_native_library_the_crate_does_not(cargoworld: World) -> None:
    purl, _ = tiny(cargoworld, links="ssl")
    assert any(f.rule == "OSP115" and "'ssl'" in f.message for f in highs(stages.verify(purl)))


def test_yanked_crate(cargoworld: World) -> None:
    purl, _ = tiny(cargoworld, yanked=True)
    assert any(f.rule == "OSP512" for f in stages.verify(purl).findings)


def test_scan_cargo_lock(cargoworld: World, tmp_path: Path) -> None:
    purl, _ = tiny(cargoworld)
    crate = cargoworld.root / "registry" / "cargo" / "dl" / "tiny" / "0.1.0" / "download"
    good = hashlib.sha256(crate.read_bytes()).hexdigest()
    lock = tmp_path / "Cargo.lock"

    def scan(checksum: str) -> dict:
        lock.write_text('version = 3\n\n[[package]]\nname = "app"\nversion = "0.1.0"\ndependencies = ["tiny"]\n\n'
                        '[[package]]\nname = "tiny"\nversion = "0.1.0"\nsource = "sparse+http://127.0.0.1/x/"\n'
                        f'checksum = "{checksum}"\n\n[[package]]\nname = "gitdep"\nversion = "0.1.0"\n'
                        'source = "git+https://example.org/x#abc"\n')
        proc = subprocess.run([sys.executable, "-m", "ossprov", "scan", str(lock), "--format", "json"],
                              capture_output=True, text=True, timeout=300)
        return {d["purl"]: d for d in results(proc.stdout)}[purl]

    assert scan(good)["verdict"] == "faithful"
    assert any(f["rule"] == "OSP514" for f in scan("0" * 64)["findings"])


def test_registry_from_cargo_source_replacement(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OSSPROV_CARGO_REGISTRY", raising=False)
    monkeypatch.setenv("CARGO_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match="no cargo registry configured"):
        registry.index_url()
    (tmp_path / "config.toml").write_text('[source.crates-io]\nreplace-with = "mirror"\n\n'
                                          '[source.mirror]\nregistry = "sparse+https://mirror.example/index"\n')
    assert registry.index_url() == "https://mirror.example/index/"
    assert registry.index_path("Serde") == "se/rd/serde" and registry.index_path("a") == "1/a"
    assert registry.index_path("syn") == "3/s/syn"
    assert registry.download_url("https://dl.example/{lowerprefix}/{crate}-{version}", "Ab", "1.0", "c") == \
        "https://dl.example/2/Ab-1.0"


def test_bad_input_and_hostile_index(cargoworld: World, monkeypatch: pytest.MonkeyPatch) -> None:
    purl, _ = tiny(cargoworld)

    def verify(target: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "ossprov", "verify", target], capture_output=True, text=True,
                              timeout=120)

    gone = verify("pkg:cargo/tiny@9.9.9")
    assert gone.returncode == 2 and "no version 9.9.9" in gone.stderr
    entry = cargoworld.root / "registry" / "cargo" / "index" / "ti" / "ny" / "tiny"
    entry.write_text(entry.read_text() + "{not json\n")
    broken = verify(purl)
    assert broken.returncode == 3 and "not JSON" in broken.stderr and "Traceback" not in broken.stderr
    monkeypatch.delenv("OSSPROV_CARGO_REGISTRY")
    monkeypatch.setenv("CARGO_HOME", str(cargoworld.root / "no-cargo-home"))
    unset = verify(purl)
    assert unset.returncode == 2 and len(unset.stderr.strip().splitlines()) == 1, unset.stderr
    assert "OSSPROV_CARGO_REGISTRY" in unset.stderr


def test_binary_crate_with_a_registry_dependency(cargoworld: World, monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    helper = cargoworld.repo("acme/helper")
    helper.commit("release", {"Cargo.toml": MANIFEST.replace("tiny", "helper"), "src/lib.rs": "pub fn h() {}\n"})
    cr.publish_crate(cargoworld, cr.cargo_package(cargoworld, helper), "helper", "0.1.0")
    app = cargoworld.repo("acme/app")
    manifest = MANIFEST.replace("tiny", "app") + '\n[dependencies]\nhelper = "0.1"\n'
    app.commit("release", {"Cargo.toml": manifest, "src/main.rs": "fn main() { helper::h(); }\n"})
    crate = cr.cargo_package(cargoworld, app)
    purl = cr.publish_crate(cargoworld, crate, "app", "0.1.0")
    result = stages.verify(purl)
    assert not highs(result), result.findings  # the index lists helper, as the manifest does
    lock = next(r for r in result.file_results if r.path == "Cargo.lock")
    assert lock.status is FileStatus.GENERATED  # the repository pins nothing: cargo resolved helper itself
    lock_text, own = cr.served_file(cargoworld, "app", "0.1.0", "Cargo.lock").decode(), 'name = "app"\nversion = "0.1.0"'
    assert own in lock_text
    app.commit("0.1.1 with its lockfile", {"Cargo.toml": manifest.replace('version = "0.1.0"', 'version = "0.1.1"'),
                                           "Cargo.lock": lock_text.replace(own, own.replace("0.1.0", "0.1.1"))})
    monkeypatch.setenv("OSSPROV_CACHE", str(tmp_path / "later-cache"))  # the clone cache fetches hourly
    relocked = stages.verify(cr.publish_crate(cargoworld, cr.cargo_package(cargoworld, app), "app", "0.1.1"))
    assert relocked.verdict is Verdict.FAITHFUL, relocked.findings
    assert next(r for r in relocked.file_results if r.path == "Cargo.lock").status in (FileStatus.IDENTICAL,
                                                                                       FileStatus.NORMALIZED)


def test_fix_proposes_the_repository_a_crate_omits(cargoworld: World) -> None:
    repo = cargoworld.repo("acme/quiet")
    manifest = MANIFEST.replace("tiny", "quiet").replace('repository = "https://github.com/acme/quiet"',
                                                          'homepage = "https://github.com/acme/quiet"')
    repo.commit("release", {**FILES, "Cargo.toml": manifest})
    purl = cr.publish_crate(cargoworld, cr.cargo_package(cargoworld, repo), "quiet", "0.1.0")
    out = CliRunner().invoke(cli, ["fix", purl, "--format", "json"])
    doc = json.loads(out.stdout)
    assert out.exit_code == 0, doc["reason"]
    assert doc["status"] == "proposed" and "names no source repository" in doc["reason"]
    assert '+repository = "https://github.com/acme/quiet"' in doc["patch"]
    # a crate that declares its repository needs no fix
    purl, _ = tiny(cargoworld)
    again = json.loads(CliRunner().invoke(cli, ["fix", purl, "--format", "json"]).stdout)
    assert again["status"] == "not-needed", again
