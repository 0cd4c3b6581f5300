"""The clone cache: concurrent clones of one repository, credentials kept out of names and messages."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from ossprov.errors import GitError
from ossprov.fixtures.world import World
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


def test_a_revision_that_looks_like_an_option_is_refused(world: World) -> None:
    repo = world.repo("acme/opts")
    repo.commit("one", {"a.txt": "a\n"})
    with pytest.raises(GitError, match="refusing"):
        Repo(ensure_clone(repo.url)).ls_tree("--output=/tmp/x")
