"""Submodules a commit declares: a rebuild does not fetch them, and says so for the files that come from them."""

from __future__ import annotations

from ossprov.verify.rebuild import submodule_paths
from tests.rebuild.conftest import Make


def test_submodule_paths_from_gitmodules(make_repo: Make) -> None:
    repo, _ = make_repo("with-sub", {".gitmodules": '[submodule "toml-test"]\n\tpath = tests/toml-test\n'
                                                    '\turl = https://example.invalid/toml-test.git\n'
                                                    '[submodule "docs"]\n\tpath = docs/theme/\n\turl = ../theme\n'})
    assert submodule_paths(repo) == ["tests/toml-test", "docs/theme"]


def test_no_gitmodules(make_repo: Make) -> None:
    repo, _ = make_repo("plain", {"a.py": "x = 1\n"})
    assert submodule_paths(repo) == []
