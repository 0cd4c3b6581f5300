"""The real pipeline: a package published without `repository`, found by content through its homepage."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ossprov.cli import cli
from ossprov.fixtures.world import World
from tests.conftest import npm_project


@pytest.mark.slow
def test_fix_proposed_for_a_release_that_omits_its_repository(world: World) -> None:
    repo, pkg = npm_project(world, "acme/quiet", "quiet", "1.0.0", repository=None,
                            extra={"homepage": "https://github.com/acme/quiet#readme"})
    sha = repo.commit("release 1.0.0")
    repo.tag("v1.0.0")
    purl = world.publish_npm(world.npm_pack(pkg), git_head=sha)
    out = CliRunner().invoke(cli, ["fix", purl, "--format", "json"])
    doc = json.loads(out.stdout)
    assert out.exit_code == 0, doc["reason"]
    assert doc["status"] == "proposed" and "names no source repository" in doc["reason"]
    assert '+  "repository": {' in doc["patch"] and f"commit `{sha}`" in doc["body"]
