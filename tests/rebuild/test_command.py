"""`ossprov rebuild` end to end with the pipeline's locate stage replaced by a fixture repository: JSON output,
exit codes and the in-toto attestation."""

from __future__ import annotations

import io
import json
import sys
import tarfile
from pathlib import Path

import pytest

from ossprov import cli
from ossprov.fixtures.world import World
from tests.conftest import only_result

pytestmark = pytest.mark.slow


def _main(args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["ossprov", *args])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


@pytest.fixture
def prepared(world: World) -> Path:
    """A fixture npm package published to the loopback registry; its tarball is `npm pack` of the repository."""
    repo, pkg = world.npm_project("acme/cmd-pkg", "cmd-pkg", "1.0.0")
    repo.commit("release")
    tarball = world.npm_pack(pkg)
    world.publish_npm(tarball)
    return tarball


def test_json_and_attestation(prepared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    attest = tmp_path / "out.intoto.jsonl"
    code, out, _ = _main(["rebuild", "pkg:npm/cmd-pkg@1.0.0", "--format", "json", "--attest", str(attest)],
                         monkeypatch, capsys)
    assert code == 0
    doc = only_result(out)
    assert set(doc["rebuild"]) >= {"outcome", "recipe", "stabilizers", "raw_equal", "stabilized_equal",
                                   "differences", "log_tail"}
    assert doc["rebuild"]["outcome"] == "bit-for-bit" and doc["commit"] and doc["verdict"] == "faithful"
    lines = attest.read_text().splitlines()
    assert len(lines) == 1
    statement = json.loads(lines[0])
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == "https://slsa.dev/provenance/v1"
    assert statement["subject"][0]["digest"]["sha256"] == doc["rebuild"]["published_sha256"]
    build = statement["predicate"]["buildDefinition"]
    assert build["resolvedDependencies"][0]["digest"]["gitCommit"] == doc["commit"]
    assert build["externalParameters"]["recipe"]["steps"][-1]["argv"][:2] == ["npm", "pack"]
    byproducts = statement["predicate"]["runDetails"]["byproducts"]
    assert byproducts[0]["digest"]["sha256"] == doc["rebuild"]["rebuilt_sha256"]


def test_tampered_exits_1_without_attestation(prepared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad" / prepared.name
    bad.parent.mkdir()
    with tarfile.open(prepared) as src, tarfile.open(bad, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "package/index.js":
                data, member.size = b"module.exports = evil\n", len(b"module.exports = evil\n")
            dst.addfile(member, io.BytesIO(data))
    attest = tmp_path / "a.jsonl"
    code, out, err = _main(["rebuild", "pkg:npm/cmd-pkg@1.0.0", "--artifact", str(bad), "--attest", str(attest)],
                           monkeypatch, capsys)
    assert code == 1 and not attest.exists()
    assert "no attestation written" in err and "differs" in out and "OSP301" in out


def test_bad_recipe_file_is_a_usage_error(prepared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    recipe = tmp_path / "r.toml"
    recipe.write_text("[[steps]\n")
    code, _, err = _main(["rebuild", "pkg:npm/cmd-pkg@1.0.0", "--recipe", str(recipe)], monkeypatch, capsys)
    assert code == 2 and err.startswith("ossprov: error: recipe") and "Traceback" not in err


def test_user_recipe_and_no_sandbox(prepared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    recipe = tmp_path / "r.toml"
    recipe.write_text('[[steps]]\nphase = "build"\nargv = ["sh", "-c", "echo custom-step; exit 7"]\n')
    code, out, _ = _main(["rebuild", "pkg:npm/cmd-pkg@1.0.0", "--recipe", str(recipe), "--no-sandbox",
                          "--format", "json"], monkeypatch, capsys)
    doc = only_result(out)["rebuild"]
    assert code == 1 and doc["outcome"] == "build-failed" and "custom-step" in doc["log_tail"]
    assert doc["recipe"]["origin"] == str(recipe)


def test_without_bwrap_json_says_unbuildable_and_leaves_nothing(prepared: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    import shutil
    import tempfile

    from ossprov.verify import sandbox

    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "bwrap" else real_which(name, *a, **k))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    sandbox.probe.cache_clear()
    try:
        code, out, _ = _main(["rebuild", "pkg:npm/cmd-pkg@1.0.0", "--format", "json"], monkeypatch, capsys)
    finally:
        sandbox.probe.cache_clear()
    doc = only_result(out)["rebuild"]
    assert code == 1 and doc["outcome"] == "unbuildable"
    assert "bubblewrap (bwrap) is not installed" in doc["reason"] and "--no-sandbox" in doc["reason"]
    if real_which("apt-get"):
        assert "apt-get install bubblewrap slirp4netns" in doc["reason"]
    assert list(scratch.iterdir()) == []
