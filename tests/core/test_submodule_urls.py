"""Submodule URLs from `.gitmodules` (written by a repository's author): relative ones resolve against the
superproject's URL as git resolves them; local, exotic, credentialed or escaping ones are refused."""

from __future__ import annotations

import pytest

from ossprov.source.urls import submodule_url

SUPER = "https://github.com/acme/app"


@pytest.mark.parametrize(("raw", "url"), [
    ("../lib.git", "https://github.com/acme/lib"),
    ("../../other/lib", "https://github.com/other/lib"),
    ("https://github.com/BurntSushi/toml-test.git", "https://github.com/BurntSushi/toml-test"),
    ("git@github.com:acme/lib.git", "https://github.com/acme/lib"),
    ("https://git.example.org/group/lib.git", "https://git.example.org/group/lib.git"),
    ("./sub", "https://git.example.org/group/app/sub"),
])
def test_submodule_urls_resolve_as_git_resolves_them(raw: str, url: str) -> None:
    superproject = "https://git.example.org/group/app" if raw.startswith("./") else SUPER
    assert submodule_url(superproject, raw) == (url, "")


@pytest.mark.parametrize(("raw", "why"), [
    ("../../../lib", "leaves the superproject's host"),
    ("../x/../../../lib", "'..' segment"),
    ("file:///home/user/private", "scheme 'file'"),
    ("/home/user/private", "scheme '(none)'"),
    ("ext::sh -c id", "refused"),
    ("--upload-pack=touch%20/tmp/pwned", "refused"),  # read as an option by a careless git call
    ("https://user:token@github.com/acme/lib", "carries credentials"),
    ("https://github.com/acme/%2e%2e/private", "'..' segment"),
    ("https://github.com/acme/lib/tree/main/sub", "not a remote repository URL"),
    ("./sub", "not a remote repository URL"),  # github.com/acme/app/sub: no repository git could clone
])
def test_hostile_submodule_urls_are_refused(raw: str, why: str) -> None:
    url, reason = submodule_url(SUPER, raw)
    assert url is None and why in reason and "token" not in reason


def test_a_relative_url_needs_a_remote_superproject() -> None:
    assert submodule_url("file:///srv/app", "../lib")[0] is None
