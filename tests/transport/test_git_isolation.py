"""Git never runs a program that a repository's own config (or a hostile user-level key) names (issue 21.2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAM_KEYS = ("gpg.program", "gpg.openpgp.program", "gpg.ssh.program", "core.fsmonitor", "core.pager",
                "core.sshCommand", "core.editor", "diff.external", "credential.helper",
                "filter.evil.clean", "filter.evil.smudge", "filter.evil.process", "diff.evil.textconv",
                "diff.evil.command", "core.alternateRefsCommand", "uploadpack.packObjectsHook")
HOOKS = ("pre-commit", "post-checkout", "post-merge", "reference-transaction", "post-index-change",
         "pre-auto-gc", "post-rewrite", "fsmonitor-watchman")


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
           "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@example.org",
           "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@example.org"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def hostile_repo(tmp_path: Path) -> tuple[Path, Path]:
    """A repository whose .git/config names a marker-writing program in every program-running key, with
    attributes that select its filter and diff drivers, hooks that write markers, and a tag whose signature
    block makes a signature check call gpg."""
    markers = tmp_path / "markers"
    markers.mkdir()
    evil = tmp_path / "evil.sh"
    evil.write_text(f'#!/bin/sh\ntouch "{markers}/$(basename "$0")-$$"\ncat >/dev/null 2>&1\nexit 0\n')
    evil.chmod(0o755)
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / ".gitattributes").write_text("* filter=evil diff=evil\n")
    (repo / "package.json").write_text('{"name": "x", "version": "1.0.0"}\n')
    (repo / ".github").mkdir()
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "first")
    signed = "release 1.0\n-----BEGIN PGP SIGNATURE-----\n\niQEzBAABCAAdFiEE\n-----END PGP SIGNATURE-----\n"
    _git(repo, "tag", "-a", "v1.0", "-m", signed)
    _git(repo, "remote", "add", "origin", "https://forge.example/acme/x")
    for key in PROGRAM_KEYS:
        _git(repo, "config", key, str(evil))
    _git(repo, "config", "core.hooksPath", str(tmp_path / "hooks"))
    (tmp_path / "hooks").mkdir()
    for hook in HOOKS:
        (tmp_path / "hooks" / hook).symlink_to(evil)
        (repo / ".git" / "hooks" / hook).symlink_to(evil)
    return repo, markers


def test_practices_on_a_hostile_repository_runs_none_of_its_programs(hostile_repo: tuple[Path, Path]) -> None:
    repo, markers = hostile_repo
    proc = subprocess.run([sys.executable, "-m", "ossprov", "practices", str(repo), "--format", "json"],
                          capture_output=True, text=True, timeout=120, env=os.environ)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Signed-Releases" in proc.stdout  # the signed tag was looked at
    assert sorted(p.name for p in markers.iterdir()) == []


def test_the_reader_sees_the_repository_through_its_own_refs_and_objects(hostile_repo: tuple[Path, Path]) -> None:
    from ossprov.source.git import Repo

    repo_path, markers = hostile_repo
    repo = Repo(repo_path)
    head = repo.resolve("HEAD")
    assert head and repo.default_branch() == "main"
    assert set(repo.tags()) == {"v1.0"} and repo.tags()["v1.0"] == head
    assert repo.read_file(head, "package.json") == b'{"name": "x", "version": "1.0.0"}\n'
    assert repo.git("config", "--get", "remote.origin.url").strip() == b"https://forge.example/acme/x"
    assert repo.git("config", "--get", "gpg.program", check=False).strip() != str(markers.parent / "evil.sh").encode()
    with pytest.raises(Exception):  # noqa: B017 - git refuses to verify: there is no gpg key, and no evil program
        repo.git("verify-tag", "v1.0")
    repo.close()
    assert list(markers.iterdir()) == []
