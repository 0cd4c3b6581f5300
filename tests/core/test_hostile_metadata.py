"""Registry answers and metadata are hostile: they may not point ossprov at this machine's files, and odd
answers give one-line errors, not tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ossprov import stages
from ossprov.errors import RegistryError
from ossprov.fixtures.server import RegistryServer
from ossprov.fixtures.world import World
from ossprov.http import HttpClient, retry_after, without_credentials
from tests.conftest import npm_project


def _rewrite_packument(world: World, name: str, change) -> None:
    doc = world.packuments[name]
    change(doc["versions"]["1.0.0"])
    (world.root / "registry" / "npm" / name).write_text(json.dumps(doc))


def test_a_packument_cannot_point_the_download_at_a_local_file(world: World, tmp_path: Path) -> None:
    repo, pkg = npm_project(world, "acme/localfile", "localfile", "1.0.0")
    repo.commit("release")
    tarball = world.npm_pack(pkg)
    world.publish_npm(tarball)
    secret = tmp_path / "secret.tgz"
    secret.write_bytes(tarball.read_bytes())
    _rewrite_packument(world, "localfile", lambda v: v["dist"].update(tarball=secret.as_uri()))
    with pytest.raises(RegistryError, match="only http"):
        stages.locate("pkg:npm/localfile@1.0.0")


def test_a_repository_field_cannot_make_ossprov_clone_a_local_directory(world: World) -> None:
    repo, pkg = npm_project(world, "acme/localrepo", "localrepo", "1.0.0",
                            repository={"type": "git", "url": "/etc"})
    repo.commit("release")
    world.publish_npm(world.npm_pack(pkg))
    result = stages.locate("pkg:npm/localrepo@1.0.0")
    assert result.repository is None and not result.candidates


@pytest.fixture
def server(tmp_path: Path):
    srv = RegistryServer(tmp_path).start()
    yield srv
    srv.stop()


def test_deeply_nested_json_is_a_registry_error(server: RegistryServer) -> None:
    (server.root / "deep.json").write_text("[" * 100_000)
    with pytest.raises(RegistryError, match="nested too deeply"):
        HttpClient(retries=0).get_json(f"{server.url}/deep.json")


def test_unparseable_retry_after_falls_back_to_backoff() -> None:
    import httpx

    assert retry_after(httpx.Response(429, headers={"retry-after": "soon"})) is None
    assert retry_after(httpx.Response(429, headers={"retry-after": "3"})) == 3.0


def test_credentials_are_removed_before_a_url_is_handed_to_build_code() -> None:
    assert without_credentials("https://u:TOKEN@idx.example/simple/?x=1") == "https://idx.example/simple/?x=1"
    assert without_credentials("https://idx.example/simple/") == "https://idx.example/simple/"


def test_deeply_nested_lockfile_is_an_input_error(tmp_path: Path) -> None:
    lock = tmp_path / "pnpm-lock.yaml"
    lock.write_text("lockfileVersion: '9.0'\npackages: " + "[" * 20_000 + "\n")
    proc = subprocess.run([sys.executable, "-m", "ossprov", "scan", str(lock), "--no-db"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "pnpm-lock.yaml" in proc.stderr
