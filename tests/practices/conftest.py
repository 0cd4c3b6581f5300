"""Fixtures of the practices tests: real git repositories with commits at chosen dates, and a way to run
one check on them."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from ossprov.practices.context import Context
from ossprov.practices.interface import Check
from ossprov.practices.records import CheckResult
from ossprov.source.git import Repo

DAY = 86400


def git(path: Path, *args: str, env: dict[str, str] | None = None) -> str:
    full = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", **(env or {})}
    return subprocess.run(["git", *args], cwd=path, env=full, check=True, capture_output=True, text=True).stdout


class FixtureRepo:
    """A non-bare repository in tmp_path; `commit` writes files and commits them at `days_ago`."""

    def __init__(self, path: Path, origin: str | None = None) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        git(path, "init", "-q", "-b", "main")
        if origin:
            git(path, "remote", "add", "origin", origin)

    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        return git(self.path, *args, env=env)

    def commit(self, files: dict[str, str | bytes] | None = None, *, days_ago: float = 0.0,
               message: str = "change", author: str = "Ann Dev", email: str = "ann@acme.org",
               extra_env: dict[str, str] | None = None, args: tuple[str, ...] = ()) -> str:
        for name, content in (files or {}).items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content.encode() if isinstance(content, str) else content)
        git(self.path, "add", "-A")
        stamp = f"@{int(time.time() - days_ago * DAY)} +0000"
        env = {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_NAME": author,
               "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": email,
               **(extra_env or {})}
        git(self.path, "commit", "-q", "--allow-empty", "-m", message, *args, env=env)
        return git(self.path, "rev-parse", "HEAD").strip()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("OSSPROV_GITHUB_API", raising=False)
    monkeypatch.setenv("OSSPROV_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


@pytest.fixture
def make_repo(tmp_path: Path):
    counter = iter(range(1000))

    def make(origin: str | None = None) -> FixtureRepo:
        return FixtureRepo(tmp_path / f"repo{next(counter)}", origin)

    return make


def _run_check(check: Check, fixture: FixtureRepo, **kwargs) -> CheckResult:
    repo = Repo(fixture.path)
    head = repo.resolve("HEAD")
    assert head
    return check.run(Context(repo, head, **kwargs))


@pytest.fixture
def run_check():
    return _run_check


@pytest.fixture
def tree_check(make_repo):
    """Run a check on a one-commit repository holding `files`."""

    def run(check: Check, files: dict[str, str | bytes]) -> CheckResult:
        fixture = make_repo()
        fixture.commit(files)
        return _run_check(check, fixture)

    return run
