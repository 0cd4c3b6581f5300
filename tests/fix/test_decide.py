"""The decision: a fix only towards a content-verified repository, and only when the declaration is off."""

from __future__ import annotations

import pytest

from ossprov.fix.decide import decide
from ossprov.model import SourceHint
from tests.fix.fixhelpers import UPSTREAM, located


def declared(url: str, subdir: str = "") -> SourceHint:
    return SourceHint(url, "declared-repository", subdir=subdir)


@pytest.mark.parametrize(("hints", "fragment"), [
    ([], "names no source repository"),
    ([SourceHint(UPSTREAM, "homepage")], "names no source repository"),
    ([declared("not a url at all")], "does not name a repository"),
    ([declared("git+https://github.com/someone/else.git")], "but its code is in https://github.com/acme/widget"),
])
def test_npm_fix_needed(hints: list[SourceHint], fragment: str) -> None:
    decision = decide(located(), hints, "npm")
    assert decision.needed and fragment in decision.reason
    assert decision.target is not None and decision.target.url == UPSTREAM


@pytest.mark.parametrize("spelling", ["acme/widget", "github:acme/widget", "git+ssh://git@github.com/acme/widget.git",
                                      "git@github.com:Acme/Widget.git", "https://github.com/acme/widget/"])
def test_npm_correct_declaration_in_any_spelling_needs_nothing(spelling: str) -> None:
    decision = decide(located(), [declared(spelling)], "npm")
    assert not decision.needed and "already declares" in decision.reason


def test_monorepo_without_directory_needs_fix_and_with_it_does_not() -> None:
    result = located(subdir="packages/widget")
    missing = decide(result, [declared(UPSTREAM)], "npm")
    assert missing.needed and "without the directory 'packages/widget'" in missing.reason
    wrong = decide(result, [declared(UPSTREAM, "packages/other")], "npm")
    assert wrong.needed and "'packages/other'" in wrong.reason
    assert not decide(result, [declared(UPSTREAM, "packages/widget/")], "npm").needed
    assert not decide(result, [declared(f"{UPSTREAM}/tree/main/packages/widget")], "npm").needed


@pytest.mark.parametrize(("result", "why"), [
    (located(confidence=0.6), "confidence 0.60 is below 0.8"),
    (located(content_match=False), "no content match confirms it"),
])
def test_low_confidence_proposes_nothing(result, why: str) -> None:
    decision = decide(result, [], "npm")
    assert not decision.needed and decision.target is None and why in decision.reason


def test_content_match_that_contradicts_does_not_count() -> None:
    from dataclasses import replace

    from ossprov.model import Evidence

    result = replace(located(content_match=False),
                     evidence=(Evidence("content-match", "0 files match", supports=False),))
    assert decide(result, [], "npm").target is None


def test_pypi_home_page_on_a_forge_counts_as_declaration() -> None:
    from ossprov.ecosystems.pypi.hints import metadata_hints

    assert not decide(located(), metadata_hints({"home-page": [UPSTREAM]}), "pypi").needed
    assert not decide(located(), metadata_hints({"project-url": [f"Homepage, {UPSTREAM}"]}), "pypi").needed
    docs = decide(located(), metadata_hints({"home-page": ["https://widget.example/docs"]}), "pypi")
    assert docs.needed and "names no source repository" in docs.reason


def test_pypi_subdirectory_is_not_required() -> None:
    assert not decide(located(subdir="python"), [declared(UPSTREAM)], "pypi").needed
