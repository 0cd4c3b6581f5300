"""Rust crates vendored into an sdist as orjson ships them (`cargo vendor --versioned-dirs include/cargo`), made by
real cargo: the crate packaged by `cargo package` and served by the loopback cargo registry, the Python project's
Cargo.lock resolved against it and its dependencies vendored by `cargo vendor`, the sdist (the commit's files and
include/cargo/) served by the loopback PyPI and checked with plain `verify PURL`. Genuine vendored crates are
vouched for; a vendored crate that is not the registry's crate as Cargo.lock pins it keeps its high findings."""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ossprov import stages
from ossprov.fixtures import cargo_registry as cr
from ossprov.fixtures.world import World
from ossprov.model import FileStatus, Severity, Verdict, VerifyResult
from tests.ecosystems.plugin_worlds import highs, point_at

pytestmark = pytest.mark.skipif(shutil.which("cargo") is None, reason="needs cargo")

CRATE: dict[str, str | bytes] = {"Cargo.toml": '[package]\nname = "vcrate"\nversion = "0.1.0"\nedition = "2021"\nlicense = "MIT"\n'
                       'description = "fixture"\nrepository = "https://github.com/acme/vcrate"\n',
         "src/lib.rs": "pub fn answer() -> u32 { 42 }\n", "build.rs": "fn main() {}\n", "README.md": "# vcrate\n",
         "prebuilt/helper.so": b"\x7fELF\x02\x01\x01\x00fixture", ".gitignore": "/target\n"}
PROJECT = {"pyproject.toml": '[build-system]\nrequires = ["maturin>=1,<2"]\nbuild-backend = "maturin"\n\n'
                             '[project]\nname = "pyext"\nversion = "1.0"\n',
           "Cargo.toml": '[package]\nname = "pyext"\nversion = "1.0.0"\nedition = "2021"\n\n[lib]\n'
                         'crate-type = ["cdylib"]\n\n[dependencies]\nvcrate = "0.1.0"\n',
           "src/lib.rs": "pub fn twice() -> u32 { vcrate::answer() * 2 }\n", ".gitignore": "/include/cargo\n"}
VENDORED = "include/cargo/vcrate-0.1.0/"


def _cargo(world: World, cwd: Path, *args: str) -> None:
    """Real cargo in `cwd`, its crates-io replaced by the world's index (the home `cargo_package` configures)."""
    env = {**os.environ, "CARGO_HOME": str(world.root / "cargo-home"), "CARGO_TARGET_DIR": str(world.root / "target"),
           "RUSTUP_HOME": os.environ.get("RUSTUP_HOME") or str(Path(pwd.getpwuid(os.getuid()).pw_dir) / ".rustup")}
    proc = subprocess.run(["cargo", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr


@pytest.fixture
def vendored(world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[World, dict[str, bytes]]:
    """The crate on the loopback registry, and the Python project's files as `cargo vendor` leaves its work tree
    (Cargo.lock and include/cargo/ included)."""
    point_at(cr.cargo_environment(world), monkeypatch)
    crate_repo = world.repo("acme/vcrate")
    crate_repo.commit("release", CRATE)
    cr.publish_crate(world, cr.cargo_package(world, crate_repo), "vcrate", "0.1.0")
    project = tmp_path / "pyext"
    for rel, text in PROJECT.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(text)
    _cargo(world, project, "generate-lockfile")
    _cargo(world, project, "vendor", "--respect-source-config", "--versioned-dirs", "include/cargo")
    files = {p.relative_to(project).as_posix(): p.read_bytes() for p in sorted(project.rglob("*")) if p.is_file()}
    return world, files


def publish(world: World, name: str, files: dict[str, bytes], lock: bytes | None = None) -> str:
    """The repository at its tag (the project's files but include/cargo/, which .gitignore keeps out, and
    `lock` for Cargo.lock if given) and the sdist of `files` on the loopback PyPI."""
    repo = world.repo(f"acme/{name}")
    committed: dict[str, str | bytes] = {p: d for p, d in files.items() if not p.startswith("include/")}
    repo.commit("release", {**committed, **({"Cargo.lock": lock} if lock is not None else {})})
    repo.tag("v1.0")
    return world.publish_pypi(name, "1.0", files, metadata={"Project-URL": [f"Source, https://github.com/acme/{name}"]})


def _by_path(result: VerifyResult) -> dict[str, list[tuple[str, Severity]]]:
    out: dict[str, list[tuple[str, Severity]]] = {}
    for f in result.findings:
        out.setdefault(f.path or "", []).append((f.rule, f.severity))
    return out


def _relisted(files: dict[str, bytes]) -> dict[str, bytes]:
    """`files` with the vendored crate's `.cargo-checksum.json` listing its files as they now are (as a
    forger rewrites it)."""
    claims = json.loads(files[VENDORED + ".cargo-checksum.json"])
    claims["files"] = {p[len(VENDORED):]: hashlib.sha256(d).hexdigest() for p, d in files.items()
                       if p.startswith(VENDORED) and not p.endswith(".cargo-checksum.json")}
    return {**files, VENDORED + ".cargo-checksum.json": json.dumps(claims).encode()}


def test_genuine_vendored_crate_is_vouched_for(vendored: tuple[World, dict[str, bytes]]) -> None:
    world, files = vendored
    assert VENDORED + "src/lib.rs" in files and VENDORED + ".gitignore" not in files  # what cargo vendor drops
    assert VENDORED + "Cargo.toml.orig" in files  # what this cargo keeps (the one of 2023 did not)
    result = stages.verify(publish(world, "pyext", files))
    assert result.verdict is Verdict.FAITHFUL_WITH_BUILD_OUTPUT, (result.reason, result.findings)
    findings = _by_path(result)
    assert findings[VENDORED] == [("OSP203", Severity.INFO)]  # one finding for the crate, none for its files
    assert not any(p.startswith(VENDORED) for p in findings if p != VENDORED), findings
    status = {r.path: r.status for r in result.file_results}
    assert status[VENDORED + "src/lib.rs"] is FileStatus.GENERATED and status[VENDORED + "build.rs"] is FileStatus.GENERATED


def test_vendored_directory_named_without_its_version(vendored: tuple[World, dict[str, bytes]]) -> None:
    """`cargo vendor` without --versioned-dirs names the directory after the crate alone."""
    world, files = vendored
    plain = {p.replace(VENDORED, "include/cargo/vcrate/", 1): d for p, d in files.items()}
    result = stages.verify(publish(world, "pyext-plain", plain))
    assert result.verdict is Verdict.FAITHFUL_WITH_BUILD_OUTPUT, (result.reason, result.findings)
    assert _by_path(result)["include/cargo/vcrate/"] == [("OSP203", Severity.INFO)]


def test_vendored_as_earlier_cargo_writes_it(vendored: tuple[World, dict[str, bytes]]) -> None:
    """The cargo that made orjson 3.9.10's sdist also left out `.cargo_vcs_info.json` and Cargo.toml.orig, and
    a crate's Cargo.lock where it has no binaries (orjson 3.10.7's cc 1.1.8): still the registry's crate."""
    world, files = vendored
    earlier = _relisted({p: d for p, d in files.items() if p not in {
        VENDORED + ".cargo_vcs_info.json", VENDORED + "Cargo.toml.orig", VENDORED + "Cargo.lock"}})
    result = stages.verify(publish(world, "pyext-earlier", earlier))
    assert result.verdict is Verdict.FAITHFUL_WITH_BUILD_OUTPUT, (result.reason, result.findings)
    assert _by_path(result)[VENDORED] == [("OSP203", Severity.INFO)]


def _without_crate(lock: bytes) -> bytes:
    return re.sub(rb'\[\[package\]\]\nname = "vcrate"\n(?:[^\[\n][^\n]*\n)*\n?', b"", lock)


@pytest.mark.parametrize(("twin", "flagged"), [
    ("changed", VENDORED + "src/lib.rs"), ("extra", VENDORED + "src/evil.rs"),
    ("absent-from-lock", VENDORED + "src/lib.rs"), ("lying-checksums", VENDORED + ".cargo-checksum.json"),
    ("file-left-out", VENDORED + ".cargo-checksum.json"), ("nested-fake-crate", VENDORED + "evil-1.0.0/src/lib.rs"),
])
def test_vendored_crate_that_is_not_the_registrys_is_a_mismatch(vendored: tuple[World, dict[str, bytes]],
                                                                 twin: str, flagged: str) -> None:
    world, files = vendored
    evil = b'pub fn answer() -> u32 { std::process::Command::new("sh").status().map(|_| 42).unwrap_or(42) }\n'
    lock = None
    if twin == "changed":
        files = _relisted({**files, VENDORED + "src/lib.rs": evil})
    elif twin == "extra":
        files = _relisted({**files, VENDORED + "src/evil.rs": evil})
    elif twin == "file-left-out":
        files = _relisted({p: d for p, d in files.items() if p != VENDORED + "build.rs"})
    elif twin == "nested-fake-crate":
        fake = VENDORED + "evil-1.0.0/"
        files = {**files, fake + "src/lib.rs": evil, fake + ".cargo-checksum.json": json.dumps(
            {"files": {"src/lib.rs": hashlib.sha256(evil).hexdigest()}, "package": "0" * 64}).encode()}
    elif twin == "absent-from-lock":
        lock = _without_crate(files["Cargo.lock"])
        assert b'name = "vcrate"' not in lock and b'name = "pyext"' in lock
    else:
        files = _relisted(files)
        claims = json.loads(files[VENDORED + ".cargo-checksum.json"])
        claims["files"]["README.md"] = "0" * 64
        files[VENDORED + ".cargo-checksum.json"] = json.dumps(claims).encode()
    result = stages.verify(publish(world, f"pyext-{twin}", files, lock))
    assert result.verdict is Verdict.MISMATCH, (result.reason, result.findings)
    assert ("OSP102", Severity.HIGH) in _by_path(result)[flagged]
    assert not any(f.rule == "OSP203" for f in result.findings)


def test_crate_the_hijacked_registry_serves_with_another_checksum_is_not_vouched_for(
        vendored: tuple[World, dict[str, bytes]]) -> None:
    """The registry rewrites the crate (and its index checksum) and the sdist vendors that crate: what it
    vendors is not what the commit's Cargo.lock pins, and the code stays high."""
    world, files = vendored
    evil = b"pub fn answer() -> u32 { 41 }\n"
    cr.tamper_crate(world, "vcrate", "0.1.0", {"src/lib.rs": evil})
    with_registry = _relisted({**files, VENDORED + "src/lib.rs": evil})
    claims = json.loads(with_registry[VENDORED + ".cargo-checksum.json"])
    claims["package"] = hashlib.sha256(
        (world.root / "registry/cargo/dl/vcrate/0.1.0/download").read_bytes()).hexdigest()
    result = stages.verify(publish(world, "pyext-hijacked", {
        **with_registry, VENDORED + ".cargo-checksum.json": json.dumps(claims).encode()}))
    assert result.verdict is Verdict.MISMATCH
    assert ("OSP102", Severity.HIGH) in _by_path(result)[VENDORED + "src/lib.rs"]
    genuine = stages.verify(publish(world, "pyext-genuine-sdist", files))  # the sdist right, the registry not
    assert ("OSP102", Severity.HIGH) in _by_path(genuine)[VENDORED + ".cargo-checksum.json"]
    assert ("OSP102", Severity.HIGH) in _by_path(genuine)[VENDORED + "src/lib.rs"]


def test_crate_the_registry_does_not_serve_cannot_be_vouched_for(vendored: tuple[World, dict[str, bytes]],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    world, files = vendored
    assert world.server
    point_at({"OSSPROV_CARGO_REGISTRY": f"sparse+{world.server.url}/cargo/elsewhere/"}, monkeypatch)
    result = stages.verify(publish(world, "pyext-unserved", files))
    findings = _by_path(result)
    assert findings[VENDORED + ".cargo-checksum.json"] == [("OSP103", Severity.MEDIUM)]
    assert ("OSP102", Severity.HIGH) in findings[VENDORED + "src/lib.rs"]
    assert any(f.path == VENDORED + "build.rs" for f in highs(result))
    assert findings[VENDORED + "prebuilt/helper.so"] == [("OSP102", Severity.HIGH)]  # no compiled extension of pyext
