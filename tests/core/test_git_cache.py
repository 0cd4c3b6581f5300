"""The clone cache: concurrent clones of one repository, credentials kept out of names and messages."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from ossprov.errors import GitError
from ossprov.fixtures.world import World
from ossprov.source import git
from ossprov.source.git import Repo, clone_dir_for, ensure_clone


def test_concurrent_clones_of_one_repository(world: World) -> None:
    repo = world.repo("acme/shared")
    sha = repo.commit("one", {"a.txt": "a\n"})
    with ThreadPoolExecutor(4) as pool:
        paths = list(pool.map(lambda _: ensure_clone(repo.url), range(4)))
    assert len(set(paths)) == 1 and Repo(paths[0]).has_commit(sha)
    assert not list(paths[0].parent.glob(".clone-*"))


def test_credentials_stay_out_of_cache_names_and_errors() -> None:
    url = "https://user:ghp_SECRET@127.0.0.1:9/acme/private"
    assert "SECRET" not in str(clone_dir_for(url))
    with pytest.raises(GitError) as info:
        ensure_clone(url)
    assert "SECRET" not in str(info.value)
    remembered = clone_dir_for(url).with_name(clone_dir_for(url).name + ".failed")
    assert remembered.is_file() and "SECRET" not in remembered.read_text()


def test_a_failed_clone_is_remembered_for_a_while(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A candidate repository that cannot be cloned is not asked for again on every warm run; once the window
    has passed it is, and a repository that appeared in the meantime is cloned."""
    calls: list[list[str]] = []
    real = git.run_git

    def counted(args: list[str], *rest: object, **kwargs: object) -> bytes:
        calls.append(args)
        return real(args, *rest, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(git, "run_git", counted)
    url = "https://github.com/acme/not-yet"
    for _ in range(2):
        with pytest.raises(GitError, match="cannot clone"):
            ensure_clone(url)
    assert [c[0] for c in calls] == ["clone"]
    world.repo("acme/not-yet").commit("now it exists", {"a.txt": "a\n"})
    with pytest.raises(GitError, match=r"failed \d+ s ago"):
        ensure_clone(url)
    monkeypatch.setattr(git, "CLONE_FAILURE_MAX_AGE", -1.0)
    assert Repo(ensure_clone(url)).ls_tree("HEAD") and not clone_dir_for(url).with_name(
        clone_dir_for(url).name + ".failed").exists()


def test_a_revision_that_looks_like_an_option_is_refused(world: World) -> None:
    repo = world.repo("acme/opts")
    repo.commit("one", {"a.txt": "a\n"})
    with pytest.raises(GitError, match="refusing"):
        Repo(ensure_clone(repo.url)).ls_tree("--output=/tmp/x")
