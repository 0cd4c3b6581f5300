"""Fixtures for rebuild tests: real git repositories in tmp_path and a private clone cache."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from ossprov.fixtures.world import World
from ossprov.model import LocateResult, NpmPublication, Release, Repository

GIT = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false"]
Make = Callable[..., tuple[Path, str]]


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSSPROV_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def make_repo(tmp_path: Path) -> Make:
    """make_repo(name, {path: text or bytes}) → (repository path, commit sha), one commit dated in 2023."""

    def make(name: str, files: dict[str, str | bytes]) -> tuple[Path, str]:
        repo = tmp_path / name
        repo.mkdir()
        subprocess.run([*GIT, "init", "-q", "-b", "main"], cwd=repo, check=True)
        for rel, content in files.items():
            target = repo / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content.encode() if isinstance(content, str) else content)
        env = dict(os.environ, GIT_COMMITTER_DATE="2023-06-01T12:00:00Z", GIT_AUTHOR_DATE="2023-06-01T12:00:00Z")
        subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
        subprocess.run([*GIT, "commit", "-qm", "release"], cwd=repo, check=True, env=env)
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True,
                             text=True).stdout.strip()
        return repo, sha

    return make


def package_json(name: str, version: str = "1.0.0", **extra: object) -> str:
    return json.dumps({"name": name, "version": version, **extra}, indent=2) + "\n"


def located(purl: str, repo: Path, sha: str, subdir: str = "") -> LocateResult:
    return LocateResult(purl=purl, repository=Repository(str(repo), subdir), commit=sha, confidence=1.0)


def release(ecosystem: str, name: str, version: str = "1.0.0", published_at: str | None = None,
            npm: NpmPublication | None = None) -> Release:
    return Release(f"pkg:{ecosystem}/{name}@{version}", ecosystem, name, version, published_at=published_at,
                   npm=npm)


@pytest.fixture(scope="session")
def build_tool_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels of the build tools installed here (made once per session)."""
    from tests.rebuild.pyindex import BUILD_TOOLS, wheel_of_installed, with_dependencies

    dest = tmp_path_factory.mktemp("build-tool-wheels")
    for name in with_dependencies(BUILD_TOOLS):
        wheel_of_installed(name, dest)
    return dest


@pytest.fixture
def py_index(world: World, build_tool_wheels: Path) -> World:
    """The World's loopback PyPI index holding the build tools (uploaded in 2020): what a sandboxed rebuild
    installs from."""
    from tests.rebuild.pyindex import publish_files

    publish_files(world, [(w, "2020-01-01T00:00:00Z") for w in sorted(build_tool_wheels.glob("*.whl"))])
    return world
