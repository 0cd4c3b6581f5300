"""Pinning when tags and metadata mislead, and finding the repository when metadata is silent (issue 15, 14.7)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ossprov.fixtures.world import World
from tests.conftest import only_result
from tests.core import pinning_cases as cases


def kinds(case: cases.Case, supports: bool = True) -> set[str]:
    return {e.kind for e in case.evidence if e.supports is supports}


def details(case: cases.Case, kind: str) -> list[str]:
    return [e.detail for e in case.evidence if e.kind == kind]


def test_tag_for_another_distribution_counts_against_its_commit(world: World) -> None:
    case = cases.flavour_tag(world)
    assert case.pinned == case.commit and case.confidence >= 0.8
    against = [e for e in case.evidence if e.kind == "tag" and not e.supports]
    assert against and against[0].data["flavour"] == "deno"
    assert "not this one" in against[0].detail


def test_only_the_flavour_is_tagged_the_version_change_decides(world: World) -> None:
    case = cases.flavour_tag_only(world)
    assert case.pinned == case.commit
    assert "manifest-version" in kinds(case)
    assert any(e.data.get("flavour") == "deno" for e in case.evidence if e.kind == "tag")


def test_content_shared_by_many_commits_the_tag_decides_and_says_so(world: World) -> None:
    case = cases.shared_content(world)
    assert case.pinned == case.commit and case.confidence >= 0.8
    tie = [e for e in case.evidence if e.kind == "content-tie"]
    assert tie and tie[0].data["count"] == 56 and "the tag decides" in tie[0].detail


def test_content_shared_by_many_commits_the_version_change_decides(world: World) -> None:
    case = cases.shared_content(world, tagged=False, commits=20)
    assert case.pinned == case.commit
    assert any("manifest-version decides" in d for d in details(case, "content-tie"))


def test_nothing_decides_between_commits_says_ambiguous(world: World) -> None:
    case = cases.nothing_decides(world)
    assert case.confidence <= 0.5
    ambiguous = [e for e in case.evidence if e.kind == "ambiguous"]
    assert ambiguous and ambiguous[0].data["count"] == 7
    assert ambiguous[0].detail.startswith("ambiguous between these 7 commits")


def test_sdist_of_the_release_commit_beats_stale_files_of_the_wheel(world: World) -> None:
    case = cases.stale_wheel(world)
    assert case.pinned == case.commit and case.confidence >= 0.8


def test_wheel_with_stale_files_combined_with_its_sdist(world: World) -> None:
    case = cases.stale_wheel(world, wheel_first=True)
    assert case.pinned == case.commit and case.confidence >= 0.8
    per_artifact = [e for e in case.evidence if e.kind == "artifact-content"]
    assert per_artifact and per_artifact[0].data["artifact"] == "stale-1.0.tar.gz"
    assert per_artifact[0].data["matched"] == per_artifact[0].data["total"]
    assert any("before the upload" in d for d in details(case, "upload-time"))


@pytest.mark.parametrize("tagged", [True, False])
def test_wheels_built_from_a_later_commit_are_no_witness_against_the_release(world: World, tagged: bool) -> None:
    case = cases.later_wheels(world, tagged=tagged)
    assert case.pinned == case.commit and case.confidence >= 0.8
    apart = [e for e in case.evidence if e.kind == "artifact-content" and not e.supports]
    assert len(apart) == 2 and all("built from another commit" in e.detail for e in apart)


def test_renamed_repository_in_homepage_packed_on_windows(world: World) -> None:
    case = cases.renamed_windows(world)
    result = case.located
    assert result.repository and result.repository.url == "https://github.com/acme/oldname"
    assert case.pinned == case.commit
    assert 0.8 <= case.confidence <= 0.9  # normalised matches: lower, stated
    norm = [e for e in case.evidence if e.kind == "normalised-match"]
    assert norm and norm[0].data["normalised"] == 5
    # the two CRLF files of the ancient commit do not outrank the tag
    assert any(e.kind == "tag" and e.supports for e in case.evidence)


def test_sources_jar_built_on_windows(world: World) -> None:
    case = cases.windows_jar(world)
    result = case.located
    assert case.pinned == case.commit and result.content_root == "src/main/java/"
    assert result.repository and result.repository.subdir == ""
    assert any(e.kind == "normalised-match" for e in result.evidence)
    assert any(e.kind == "tag" and e.supports and e.data["tag"] == "winjar-1.0.0" for e in result.evidence)


def test_windows_packed_without_tag(world: World) -> None:
    case = cases.windows_untagged(world)
    assert case.pinned == case.commit
    assert case.confidence <= 0.85
    assert "normalised-match" in kinds(case)


@pytest.mark.parametrize(("build", "url", "origin"), [
    (cases.readme_blob_link, "https://github.com/acme/toolbox", "readme-blob-link"),
    (cases.ci_badge, "https://github.com/acme/badged", "ci-badge:travis-ci.org"),
    (cases.docs_clone_command, "https://github.com/olduser/templ", "clone-command"),
])
def test_found_through_a_link_that_does_not_name_the_package(world: World, build, url: str, origin: str) -> None:
    case = build(world)
    result = case.located
    assert result.repository and result.repository.url == url
    assert result.repository.subdir == case.subdir and case.pinned == case.commit
    assert any(e.data.get("origin") == origin for e in result.evidence)


def test_maintainer_account_and_a_wrong_guess_that_costs_only_a_clone(world: World) -> None:
    case = cases.maintainer_account(world)
    result = case.located
    assert result.repository and result.repository.url == "https://github.com/fixture-dev/lonely"
    assert case.pinned == case.commit
    assert any(e.data.get("origin") == "maintainer-account" for e in result.evidence)
    decoy = next(c for c in result.candidates if c.url.endswith("acme/decoy"))
    assert decoy.validated is False
    assert any(e.kind == "guess-rejected" for e in decoy.evidence)


def test_a_guessed_account_that_does_not_exist_is_not_a_clone_failure(world: World) -> None:
    from ossprov import stages
    repo, pkg = world.npm_project("acme/orphan", "orphan", "1.0.0", repository=None)
    repo.commit("release")
    result = stages.locate(world.publish_npm(world.npm_pack(pkg)))
    guess = next(c for c in result.candidates if c.url == "https://github.com/fixture-dev/orphan")
    assert any(e.kind == "guess-not-found" for e in guess.evidence)
    assert not result.located and not result.clone_failed


def test_commit_after_a_real_upload_time_is_not_the_source(world: World) -> None:
    case = cases.reverted_after_upload(world)
    assert case.pinned == case.commit


def test_copy_dates_are_not_upload_times(world: World) -> None:
    case = cases.copy_dates(world)
    assert case.pinned == case.commit
    assert any("copy dates" in d for d in details(case, "registry-missing-field"))


def test_upload_time_before_the_source_is_not_used(world: World) -> None:
    repo, pkg = world.npm_project("acme/early", "early", "1.0.0")
    sha = repo.commit("release")
    result = world.publish_npm(world.npm_pack(pkg), published="2001-01-01T00:00:00+00:00")
    from ossprov import stages
    located = stages.locate(result)
    assert located.commit == sha
    assert any("before every commit" in e.detail for e in located.evidence if e.kind == "registry-missing-field")


def test_same_subdirectory_and_commit_on_every_run(world: World) -> None:
    case = cases.two_layouts(world)
    assert case.pinned == case.commit
    answers = set()
    for seed in ("1", "2", "3", "4", "5"):
        out = subprocess.run([sys.executable, "-m", "ossprov", "locate", case.located.purl, "--format", "json"],
                             env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True, text=True, check=True)
        doc = only_result(out.stdout)
        answers.add((doc["repository"]["subdir"], doc["commit"]))
    assert answers == {(case.located.repository.subdir if case.located.repository else None, case.commit)}
