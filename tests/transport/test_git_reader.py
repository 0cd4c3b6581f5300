"""The long-lived reader answers what the one-process-per-question plumbing answered."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ossprov.fixtures.world import World
from ossprov.source.git import Repo, ensure_clone, git_blob_id


def _show(path: Path, rev: str) -> str:
    return subprocess.run(["git", "show", "-s", "--format=%H%x00%ct%x00%s", rev], cwd=path, check=True,
                          capture_output=True, text=True).stdout.rstrip("\n")


def test_reader_matches_git_plumbing(world: World) -> None:
    repo = world.repo("acme/reader")
    first = repo.commit("add files", {"a.txt": "alpha\n", "dir/b.bin": b"\x00\x01", "with space.txt": "s\n"})
    second = repo.commit("a subject\nwrapped on two lines\n\nand a body", {"a.txt": "beta\n"})
    repo.tag("v1", first)
    clone = Repo(ensure_clone(repo.url))
    info = clone.commit_info(second)
    assert "\0".join([info.sha, str(info.time), info.subject]) == _show(repo.path, second)
    assert clone.resolve("v1") == first and clone.resolve("main") == second and clone.resolve("nope") is None
    assert clone.resolve("-c") is None and clone.has_commit(first) and not clone.has_commit("0" * 40)
    assert clone.read_file(first, "a.txt") == b"alpha\n" and clone.read_file(second, "a.txt") == b"beta\n"
    assert clone.read_file(first, "with space.txt") == b"s\n" and clone.read_file(first, "missing") is None
    assert clone.resolve_path(first, "dir/b.bin") == git_blob_id(b"\x00\x01")
    assert dict(clone.read_blobs([git_blob_id(b"\x00\x01"), "0" * 40])) == {git_blob_id(b"\x00\x01"): b"\x00\x01"}
    assert clone.tags() == {"v1": first} and clone.default_branch() == "main"
    assert set(clone.ls_tree(second)) == {"a.txt", "dir/b.bin", "with space.txt"}


def test_a_fetch_brings_new_tags_to_a_repository_already_open(world: World,
                                                                monkeypatch) -> None:
    repo = world.repo("acme/moving")
    first = repo.commit("one", {"a": "1\n"})
    clone = Repo(ensure_clone(repo.url))
    assert clone.tags() == {} and len(clone.ls_tree(first)) == 1
    second = repo.commit("two", {"b": "2\n"})
    repo.tag("v2", second)
    monkeypatch.setattr("ossprov.source.git.FETCH_MAX_AGE", -1.0)
    again = Repo(ensure_clone(repo.url))
    assert again.tags() == {"v2": second} and again.resolve("main") == second
    assert set(again.ls_tree(second)) == {"a", "b"}
    assert clone.tags() == {"v2": second} and clone.resolve("main") == second  # the older handle too


def test_a_file_listing_is_the_callers_to_change(world: World) -> None:
    """Listings of a commit are kept parsed for the run; each caller still gets its own copy."""
    repo = world.repo("acme/listing")
    sha = repo.commit("files", {"a.txt": "a\n", "b/c.txt": "c\n"})
    clone = Repo(ensure_clone(repo.url))
    first = clone.ls_tree(sha)
    first["a.txt"] = "0" * 40
    first.pop("b/c.txt")
    assert clone.ls_tree(sha) == {"a.txt": git_blob_id(b"a\n"), "b/c.txt": git_blob_id(b"c\n")}
    assert clone.ls_tree(sha, "b") == {"b/c.txt": git_blob_id(b"c\n")}
