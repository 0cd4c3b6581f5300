"""Helpers for the `ossprov fix` tests: real git repositories in tmp_path, LocateResult records built by hand."""

from __future__ import annotations

import difflib
import subprocess
from pathlib import Path

from ossprov.model import ArtifactInfo, Evidence, LocateResult, RepoCandidate, Repository

UPSTREAM = "https://github.com/acme/widget"


def git(cwd: Path, *args: str) -> str:
    env_args = ["-c", "user.name=Test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false",
                "-c", "init.defaultBranch=main", "-c", "core.autocrlf=false"]
    return subprocess.run(["git", *env_args, *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def make_repo(path: Path, files: dict[str, bytes]) -> str:
    """A repository with one commit holding `files`; returns the commit sha."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "--quiet")
    for name, data in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_bytes(data)
    git(path, "add", "-A")
    git(path, "commit", "--quiet", "-m", "initial")
    return git(path, "rev-parse", "HEAD").strip()


def changed_lines(old: str, new: str) -> list[str]:
    """The -/+ lines of a diff, line endings kept visible: what a reviewer of the patch would see change."""
    diff = difflib.ndiff(old.splitlines(keepends=True), new.splitlines(keepends=True))
    return [line for line in diff if line[:1] in "+-"]


def located(url: str = UPSTREAM, subdir: str = "", confidence: float = 0.95, content_match: bool = True,
            commit: str = "a" * 40) -> LocateResult:
    evidence = [Evidence("artifact-digest", "widget-1.0.0.tgz matches the registry's published digest")]
    if content_match:
        evidence.append(Evidence("content-match", f"12 of 12 artifact files are in commit {commit[:12]} unchanged",
                                 {"commit": commit, "matched": 12, "total": 12}))
    return LocateResult(
        purl="pkg:npm/widget@1.0.0", repository=Repository(url, subdir), commit=commit, confidence=confidence,
        evidence=tuple(evidence), candidates=(RepoCandidate(url, subdir, 0.9, validated=True),),
        artifact=ArtifactInfo("widget-1.0.0.tgz", "b" * 64, "registry"), repository_claim=None,
        content_root=f"{subdir}/" if subdir else "",
    )
