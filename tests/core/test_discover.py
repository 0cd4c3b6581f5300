"""Candidate discovery from README links, badges, docs pages and accounts (source/discover.py)."""

from __future__ import annotations

import pytest

from ossprov.model import SourceHint
from ossprov.source import discover


@pytest.mark.parametrize(("text", "url", "origin", "subdir"), [
    ("![logo](https://github.com/acme/toolbox/blob/main/projects/widget/docs/logo.png)",
     "https://github.com/acme/toolbox", "readme-blob-link", "projects/widget"),
    ("![x](https://raw.githubusercontent.com/o2/r2/main/packages/foo/img/a.png)",
     "https://github.com/o2/r2", "readme-blob-link", "packages/foo"),
    ("see https://github.com/o/r/blob/main/README.md", "https://github.com/o/r", "readme-blob-link", ""),
    ("[![Build](https://travis-ci.org/acme/badged.svg?branch=main)](https://travis-ci.org/acme/badged)",
     "https://github.com/acme/badged", "ci-badge:travis-ci.org", ""),
    ("https://api.travis-ci.org/o1/r1.svg", "https://github.com/o1/r1", "ci-badge:api.travis-ci.org", ""),
    ("https://circleci.com/gh/o4/r4.svg?style=svg", "https://github.com/o4/r4", "ci-badge:circleci.com", ""),
    ("https://dl.circleci.com/status-badge/img/gh/o7/r7/tree/main.svg", "https://github.com/o7/r7",
     "ci-badge:dl.circleci.com", ""),
    ("https://coveralls.io/repos/github/o5/r5/badge.svg", "https://github.com/o5/r5", "ci-badge:coveralls.io", ""),
    ("https://coveralls.io/r/o5/r5", "https://github.com/o5/r5", "ci-badge:coveralls.io", ""),
    ("https://codecov.io/gh/o3/r3/branch/main/graph/badge.svg", "https://github.com/o3/r3", "ci-badge:codecov.io", ""),
    ("https://img.shields.io/github/actions/workflow/status/own/rep/ci.yml", "https://github.com/own/rep",
     "ci-badge:img.shields.io", ""),
    ("//img.shields.io/github/license/o6/r6.svg", "https://github.com/o6/r6", "ci-badge:img.shields.io", ""),
])
def test_links_and_badges(text: str, url: str, origin: str, subdir: str) -> None:
    assert discover.hints_in_text(text) == [SourceHint(url, origin, subdir=subdir)]


@pytest.mark.parametrize("text", [
    "https://img.shields.io/npm/v/thing.svg",  # a registry badge names no repository
    "https://travis-ci.org/",
    "https://coveralls.io/repos/github/../x/badge.svg",
    "https://example.org/acme/thing/blob/main/x.js",
])
def test_links_that_name_no_repository(text: str) -> None:
    assert discover.hints_in_text(text) == []


def test_docs_pages_and_clone_commands() -> None:
    files = {"docs/intro.rst": b"2. ``git clone git://github.com/mitsuhiko/jinja2.git``\n",
             "INSTALL": b"git clone --depth 1 https://github.com/o/r.git\n", "lib/x.js": b"// git clone evil\n"}
    hints = discover.hints_in_docs(files)
    assert SourceHint("git://github.com/mitsuhiko/jinja2.git", "docs-link") in hints
    assert SourceHint("git://github.com/mitsuhiko/jinja2.git", "clone-command") in hints
    assert SourceHint("https://github.com/o/r.git", "clone-command") in hints
    assert all(h.url != "evil" for h in hints)


def test_account_guesses_only_without_a_declared_repository() -> None:
    badge = SourceHint("https://github.com/acme/other", "ci-badge:travis-ci.org")
    guesses = discover.account_hints("@scope/thing", ["dev-one", "not a login"], [badge])
    assert guesses == [SourceHint("https://github.com/acme/thing", "owner-account"),
                       SourceHint("https://github.com/dev-one/thing", "maintainer-account")]
    declared = SourceHint("https://github.com/acme/thing", "declared-repository")
    assert discover.account_hints("thing", ["dev-one"], [declared]) == []


@pytest.mark.parametrize("text", [
    "https://github.com/../x/blob/main/a.png",
    "https://github.com/o/r/blob/main/../../etc/a.png",
])
def test_links_that_walk_the_url_are_refused(text: str) -> None:
    assert discover.hints_in_text(text) == []
