"""`ossprov fix` end to end: the real git clone cache and worktree, with locate and the registry faked."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from ossprov import stages
from ossprov.cli import cli
from ossprov.fix import run
from ossprov.model import LocateResult, SourceHint
from ossprov.source.git import clone_dir_for
from tests.fix.fixhelpers import UPSTREAM, git, located, make_repo

PURL = "pkg:npm/widget@1.0.0"
MANIFEST = b'{\n    "name": "widget",\n    "version": "1.0.0",\n    "description": "A widget",\n    "main": "index.js"\n}\n'


def fake(monkeypatch: pytest.MonkeyPatch, result: LocateResult, hints: list[SourceHint]) -> None:
    monkeypatch.setattr(stages, "locate", lambda purl, artifact=None, progress=None: result)
    monkeypatch.setattr(run, "release_hints", lambda purl: tuple(hints))


def invoke(*args: str) -> tuple[int, dict]:
    out = CliRunner().invoke(cli, ["fix", *args, "--format", "json"])
    assert out.exception is None or isinstance(out.exception, SystemExit), out.exception
    return out.exit_code, json.loads(out.stdout)


def patch_changes(patch: str) -> list[str]:
    """The +/- lines of the diff part of a format-patch."""
    diff = patch[patch.index("\ndiff --git"):patch.rindex("\n-- \n")]
    return [line for line in diff.split("\n") if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))]


def test_missing_repository_gives_one_commit_patch_and_pr_text(forge: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    base = make_repo(forge / "acme" / "widget", {"package.json": MANIFEST, "index.js": b"module.exports = 1;\n"})
    fake(monkeypatch, located(commit=base), [])
    code, doc = invoke(PURL, "--out", str(tmp_path / "out"))
    assert code == 0
    assert doc["needed"] is True and doc["status"] == "proposed" and doc["manifest"] == "package.json"
    assert doc["pull_request"] is None
    assert patch_changes(doc["patch"]) == [
        '+    "repository": {', '+        "type": "git",', '+        "url": "git+https://github.com/acme/widget.git"',
        "+    },"]
    assert "From: ossprov <ossprov@users.noreply.invalid>" in doc["patch"]
    assert doc["title"] == "Declare the source repository in package.json"
    paragraphs = doc["body"].split("\n\n")
    assert "names no source repository" in paragraphs[0] and "verify" in paragraphs[0]
    assert "`package.json`" in paragraphs[1]
    assert f"commit `{base}`" in doc["body"] and "12 of 12 artifact files" in doc["body"]
    assert (tmp_path / "out" / "0001-declare-repository.patch").read_text() == doc["patch"]
    assert (tmp_path / "out" / "pr-body.md").read_text() == doc["body"]
    clone = clone_dir_for(UPSTREAM)
    assert git(clone, "rev-parse", f"{doc['branch']}~1").strip() == base
    assert git(clone, "worktree", "list").count("\n") == 1, "the temporary worktree is removed"


def test_author_is_configurable_and_validated(forge: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_repo(forge / "acme" / "widget", {"package.json": MANIFEST})
    fake(monkeypatch, located(), [])
    code, doc = invoke(PURL, "--author", "Jane Doe <jane@example.org>")
    assert code == 0 and "From: Jane Doe <jane@example.org>" in doc["patch"]
    bad = CliRunner().invoke(cli, ["fix", PURL, "--author", "nobody"])
    assert "--author must look like" in str(bad.exception)


def test_monorepo_crlf_package_gets_directory(forge: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_repo(forge / "acme" / "widget", {"packages/widget/package.json": MANIFEST.replace(b"\n", b"\r\n"),
                                          "package.json": b'{"private": true}\n'})
    fake(monkeypatch, located(subdir="packages/widget"),
         [SourceHint("git+https://github.com/acme/widget.git", "declared-repository")])
    code, doc = invoke(PURL)
    assert code == 0 and doc["manifest"] == "packages/widget/package.json"
    assert "without the directory 'packages/widget'" in doc["reason"]
    assert patch_changes(doc["patch"]) == [
        '+    "repository": {\r', '+        "type": "git",\r',
        '+        "url": "git+https://github.com/acme/widget.git",\r', '+        "directory": "packages/widget"\r',
        "+    },\r"]


def test_already_fixed_upstream(forge: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fixed = MANIFEST.replace(b'"main"', b'"repository": "github:acme/widget",\n    "main"')
    make_repo(forge / "acme" / "widget", {"package.json": fixed})
    fake(monkeypatch, located(), [])
    code, doc = invoke(PURL)
    assert code == 0 and doc["status"] == "already-fixed-upstream" and doc["patch"] is None
    assert "already fixed upstream" in doc["reason"] and "awaiting a release" in doc["reason"]


def test_wrong_declared_repository_is_replaced(forge: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = MANIFEST.replace(b'"main"', b'"repository": "someone/fork",\n    "main"')
    make_repo(forge / "acme" / "widget", {"package.json": wrong})
    fake(monkeypatch, located(), [SourceHint("someone/fork", "declared-repository")])
    code, doc = invoke(PURL)
    assert code == 0 and "declares https://github.com/someone/fork, but its code is in" in doc["reason"]
    assert patch_changes(doc["patch"])[0] == '-    "repository": "someone/fork",'


def test_low_confidence_proposes_nothing_and_touches_no_repository(forge: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    fake(monkeypatch, located(confidence=0.5), [])
    code, doc = invoke(PURL)
    assert code == 1 and doc["needed"] is False and doc["status"] == "not-located" and doc["patch"] is None
    assert not clone_dir_for(UPSTREAM).exists()


def test_nothing_to_fix(forge: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake(monkeypatch, located(), [SourceHint("https://github.com/acme/widget", "declared-repository")])
    code, doc = invoke(PURL)
    assert code == 0 and doc["status"] == "not-needed" and "already declares" in doc["reason"]


def test_setup_py_only_gets_a_snippet(forge: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_repo(forge / "acme" / "widget", {"setup.py": b"from setuptools import setup\nsetup(name='widget')\n"})
    fake(monkeypatch, located(), [])
    code, doc = invoke("pkg:pypi/widget@1.0.0")
    assert code == 0 and doc["status"] == "manual" and doc["patch"] is None and doc["manifest"] == "setup.py"
    assert 'project_urls={"Source": "https://github.com/acme/widget"}' in doc["body"]


def test_pyproject_with_comments_survives(forge: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pyproject = b'[project]  # metadata\nname = "widget"\nversion = "1.0"  # keep\n\n[tool.x]\na = 1\n'
    make_repo(forge / "acme" / "widget", {"pyproject.toml": pyproject})
    fake(monkeypatch, located(), [SourceHint("https://widget.example", "homepage")])
    code, doc = invoke("pkg:pypi/widget@1.0.0")
    assert code == 0 and doc["manifest"] == "pyproject.toml"
    assert patch_changes(doc["patch"]) == ["+[project.urls]", '+Source = "https://github.com/acme/widget"', "+"]


def test_check_reports_declared_and_confirmed(monkeypatch: pytest.MonkeyPatch) -> None:
    fake(monkeypatch, located(), [SourceHint("git+https://github.com/acme/widget.git", "declared-repository")])
    code, doc = invoke("pkg:npm/widget@1.0.1", "--check")
    assert code == 0 and doc["declares"] and doc["confirmed"] and doc["ok"]
    fake(monkeypatch, located(), [])
    code, doc = invoke("pkg:npm/widget@1.0.1", "--check")
    assert code == 1 and not doc["declares"] and "still declares no source repository" in doc["reason"]
    fake(monkeypatch, located(confidence=0.3), [SourceHint(UPSTREAM, "declared-repository")])
    code, doc = invoke("pkg:npm/widget@1.0.1", "--check")
    assert code == 1 and doc["declares"] and not doc["confirmed"]


@pytest.mark.parametrize("args", [["not-a-purl"], ["pkg:npm/widget"], [PURL, "--check", "--open-pr"]])
def test_bad_input_is_one_line_exit_2(args: list[str]) -> None:
    out = CliRunner().invoke(cli, ["fix", *args])
    assert getattr(out.exception, "exit_code", None) == 2, out.exception


def test_hostile_symlinked_manifest_is_not_followed(forge: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text('{"name": "secret"}\n')
    repo = forge / "acme" / "widget"
    make_repo(repo, {"index.js": b"1;\n"})
    (repo / "package.json").symlink_to(secret)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "link")
    fake(monkeypatch, located(), [])
    _, doc = invoke(PURL)
    assert doc["status"] == "manual" and "no manifest was found" in doc["reason"]
    assert secret.read_text() == '{"name": "secret"}\n'
    assert not re.search("secret", doc["reason"])
