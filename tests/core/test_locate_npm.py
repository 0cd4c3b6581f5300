"""locate on npm packages served by the loopback registry, one test per evidence path."""

from __future__ import annotations

import json

import pytest

from ossprov import stages
from ossprov.fixtures.world import World
from tests.conftest import npm_project


def kinds(result) -> set[str]:
    return {e.kind for e in result.evidence if e.supports}


def test_git_head_pins_the_commit_through_insteadof(world: World) -> None:
    repo, _ = npm_project(world, "acme/lefty", "lefty", "1.0.0")
    sha = repo.commit("release 1.0.0")
    repo.commit("later work", {"index.js": "module.exports = 2;\n"})
    purl = world.publish_npm(world.npm_pack_at(repo, sha), git_head=sha)
    result = stages.locate(purl)
    assert result.repository and result.repository.url == "https://github.com/acme/lefty"
    assert result.commit == sha
    assert "gitHead" in kinds(result) and "content-match" in kinds(result)
    assert result.confidence >= 0.9
    assert result.repository_claim == "verified"



@pytest.mark.parametrize("tag", ["v2.1.0", "2.1.0", "tagged@2.1.0", "tagged-v2.1.0", "release-2.1.0"])
def test_tag_conventions(world: World, tag: str) -> None:
    repo, pkg = npm_project(world, "acme/tagged", "tagged", "2.1.0")
    sha = repo.commit("2.1.0")
    repo.tag(tag)
    tarball = world.npm_pack(pkg)
    repo.commit("after release", {"index.js": "module.exports = 3;\n"})
    result = stages.locate(world.publish_npm(tarball))
    assert result.commit == sha
    tags = [e for e in result.evidence if e.kind == "tag" and e.supports]
    assert tags and tags[0].data["tag"] == tag


def test_manifest_version_history(world: World) -> None:
    repo, pkg = npm_project(world, "acme/bumped", "bumped", "0.9.0")
    repo.commit("0.9.0")
    manifest = json.loads((pkg / "package.json").read_text())
    manifest["version"] = "1.0.0"
    sha = repo.commit("bump to 1.0.0", {"package.json": json.dumps(manifest, indent=2) + "\n"})
    tarball = world.npm_pack(pkg)
    repo.commit("more", {"lib.js": "x\n"})
    result = stages.locate(world.publish_npm(tarball))
    assert result.commit == sha
    assert "manifest-version" in kinds(result)


def test_content_search_without_git_head(world: World) -> None:
    repo, pkg = npm_project(world, "acme/nohead", "nohead", "1.0.0", {"util.js": "exports.a = 1;\n"})
    repo.commit("one")
    sha = repo.commit("two", {"util.js": "exports.a = 2;\n"})
    tarball = world.npm_pack(pkg)
    repo.commit("three", {"util.js": "exports.a = 3;\n"})
    result = stages.locate(world.publish_npm(tarball))
    assert result.commit == sha
    assert "content-match" in kinds(result)
    assert any(e.kind == "registry-missing-field" and e.data["field"] == "gitHead" for e in result.evidence)


def test_unpushed_git_head_falls_back_to_content(world: World) -> None:
    repo, pkg = npm_project(world, "acme/unpushed", "unpushed", "1.0.0")
    sha = repo.commit("release")
    tarball = world.npm_pack(pkg)
    result = stages.locate(world.publish_npm(tarball, git_head="f" * 40))
    assert result.commit == sha
    assert any(e.kind == "gitHead" and not e.supports and "not in the repository" in e.detail
               for e in result.evidence)


def test_moved_tag_is_reported_as_contradicting(world: World) -> None:
    repo, pkg = npm_project(world, "acme/moved", "moved", "1.0.0", {"a.js": "1\n"})
    sha = repo.commit("real release")
    tarball = world.npm_pack(pkg)
    repo.commit("unrelated", {"a.js": "2\n", "index.js": "changed\n"})
    repo.tag("v1.0.0")
    result = stages.locate(world.publish_npm(tarball))
    assert result.commit == sha
    assert any(e.kind == "tag" and not e.supports for e in result.evidence)


def test_found_through_readme_when_no_repository_is_declared(world: World) -> None:
    repo, pkg = npm_project(world, "acme/quiet", "quiet", "1.0.0", repository=None,
                            files={"README.md": "# quiet\nSource: https://github.com/acme/quiet\n"})
    sha = repo.commit("release")
    result = stages.locate(world.publish_npm(world.npm_pack(pkg)))
    assert result.repository and result.repository.url == "https://github.com/acme/quiet"
    assert result.commit == sha
    assert result.repository_claim is None


def test_found_through_homepage(world: World) -> None:
    repo, pkg = npm_project(world, "acme/homed", "homed", "1.0.0", repository=None,
                            extra={"homepage": "https://github.com/acme/homed#readme"})
    sha = repo.commit("release")
    result = stages.locate(world.publish_npm(world.npm_pack(pkg)))
    assert result.commit == sha


def test_monorepo_subdirectory(world: World) -> None:
    repo, pkg = npm_project(world, "acme/mono", "@acme/widget", "3.0.0", subdir="packages/widget")
    repo.write({"packages/other/package.json": '{"name": "other", "version": "1.0.0"}\n',
                "packages/other/index.js": "module.exports = 'other';\n"})
    sha = repo.commit("release widget")
    result = stages.locate(world.publish_npm(world.npm_pack(pkg)))
    assert result.repository and result.repository.subdir == "packages/widget"
    assert result.commit == sha
    assert result.purl == "pkg:npm/%40acme/widget@3.0.0"


def test_monorepo_without_directory_is_found_by_content(world: World) -> None:
    repo, pkg = npm_project(world, "acme/mono2", "gadget", "1.0.0", subdir="libs/gadget",
                            files={"gadget.js": "exports.gadget = true;\n"})
    manifest = json.loads((pkg / "package.json").read_text())
    manifest["repository"].pop("directory")
    repo.write({"libs/gadget/package.json": json.dumps(manifest, indent=2) + "\n"})
    repo.commit("release")
    result = stages.locate(world.publish_npm(world.npm_pack(pkg)))
    assert result.repository and result.repository.subdir == "libs/gadget"


def test_wrong_declared_repository_ranks_below_the_right_one(world: World) -> None:
    other, _ = npm_project(world, "someone/famous", "famous", "9.9.9")
    other.commit("famous code")
    repo, pkg = npm_project(world, "acme/real", "copycat", "1.0.0", repository="someone/famous",
                            files={"README.md": "# copycat\nhttps://github.com/acme/real\n"})
    sha = repo.commit("release")
    result = stages.locate(world.publish_npm(world.npm_pack(pkg)))
    assert result.repository and result.repository.url == "https://github.com/acme/real"
    assert result.commit == sha
    assert result.repository_claim == "unverified-other-package"
    famous = next(c for c in result.candidates if c.url.endswith("someone/famous"))
    assert famous.validated is False and famous.claim == "famous"


def test_digest_mismatch_is_evidence_not_a_crash(world: World) -> None:
    repo, pkg = npm_project(world, "acme/tampered", "tampered", "1.0.0")
    repo.commit("release")
    purl = world.publish_npm(world.npm_pack(pkg), integrity_of=b"something else")
    result = stages.locate(purl)
    assert result.artifact and result.artifact.digest_ok is False
    assert any(e.kind == "artifact-digest" and not e.supports for e in result.evidence)


def test_local_artifact_is_used_instead_of_download(world: World) -> None:
    repo, pkg = npm_project(world, "acme/local", "local", "1.0.0")
    sha = repo.commit("release")
    tarball = world.npm_pack(pkg)
    purl = world.publish_npm(tarball)
    result = stages.locate(purl, artifact=tarball)
    assert result.commit == sha
    assert result.artifact and result.artifact.source.startswith("local:") and result.artifact.digest_ok is True
    assert not any("npm-tarballs/local" in r[1] for r in world.server.requests)
