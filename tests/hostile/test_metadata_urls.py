"""A repository URL from metadata may not walk out of a forge-to-mirror `url.insteadOf` mapping (the setup the
README recommends): `..` segments, plain or percent-encoded, would make git clone any repository on the machine
and ossprov print its files."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from ossprov.errors import RegistryError
from ossprov.fixtures.world import World, _git
from ossprov.source import urls
from tests.hostile.conftest import leaks, ossprov

SECRET = "PRIVATE-REPOSITORY-CONTENT-7f3a"


def _private_repository(world: World) -> Path:
    """A git repository beside the forge directory (not under it), holding a file nobody may read through
    package metadata; it also holds an index.js so that a diff against a package would list its files."""
    work = world.root / "private-work"
    work.mkdir()
    _git(["init", "-q", "-b", "main"], work)
    (work / "index.js").write_text("module.exports = 1;\n")
    (work / "secret.txt").write_text(SECRET + "\n")
    _git(["add", "-A"], work)
    _git(["commit", "-q", "-m", "private"], work)
    bare = world.root / "private"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True, capture_output=True)
    return bare


@pytest.mark.parametrize("url", ["https://github.com/../private", "https://github.com/%2e%2e/private",
                                 "git+https://github.com/acme/%2E%2E/%2e%2e/private.git",
                                 "https://github.com/..%2fprivate"])
def test_dot_segments_behind_an_insteadof_mapping_clone_nothing(world: World, isolated: Path, url: str) -> None:
    _private_repository(world)
    repo, pkg = world.npm_project("acme/escape", "escape", "1.0.0", repository={"type": "git", "url": url})
    repo.commit("release")
    purl = world.publish_npm(world.npm_pack(pkg))
    proc = ossprov("verify", purl, "--format", "json")
    assert proc.returncode in (1, 3), proc.stderr  # not located: unverifiable, never a diff against a clone
    assert "Traceback" not in proc.stderr
    assert not leaks(SECRET, proc, isolated, world.root / "work")
    assert not leaks("secret.txt", proc, isolated)
    doc = json.loads(proc.stdout)
    assert not (doc.get("locate") or {}).get("repository"), doc.get("locate")


def test_the_validator_refuses_what_git_would_resolve_outside_the_mapping() -> None:
    for bad in ("https://github.com/a/../../b", "https://github.com/%2e%2e/b", "https://github.com/a/b?x=/../../c",
                "https://github.com/a/%252e%252e/b", "https://u:pw@github.com/a/b", "https://-oProxyCommand=x/a/b",
                "https://github.com/a\nb/c", "https://github.com/a\u202e/b", "ext::sh -c id",
                "https://github.com/" + "a" * 3000):
        assert urls.unsafe_reason(bad), bad
        assert urls.normalize(bad) is None, bad
    assert urls.unsafe_reason("file:///etc")  # a local path is never a repository metadata may name
    assert urls.unsafe_reason("https://git.example.org/group/project.git") is None
    assert urls.normalize("https://github.com/a/b/tree/main/../../..") is None
    assert urls.normalize("https://github.com/a/b/tree/main/packages/x").subdir == "packages/x"


def test_artifact_locations_are_checked_by_the_same_validator() -> None:
    urls.check_artifact_location("https://__token__:T@127.0.0.1:9/packages/a-1.0.tar.gz")  # the index's own token
    for bad in ("https://127.0.0.1:9/files/../../etc/passwd", "file:///etc/passwd", "ftp://127.0.0.1/a.tgz",
                "https://127.0.0.1:9/x.tgz" + "a" * 5000):
        with pytest.raises(RegistryError) as caught:
            urls.check_artifact_location(bad)
        assert len(str(caught.value)) < 400
    urls.check_artifact_location("file:///srv/m2/g/a/1/a-1.jar", ["file:///srv/m2/"])
    with pytest.raises(RegistryError):
        urls.check_artifact_location("file:///srv/m2/../../etc/passwd", ["file:///srv/m2/"])


def test_an_artifact_url_with_dot_segments_is_refused_through_the_cli(world: World, isolated: Path) -> None:
    repo, pkg = world.npm_project("acme/dotted", "dotted", "1.0.0")
    repo.commit("release")
    world.publish_npm(world.npm_pack(pkg))
    doc = world.packuments["dotted"]
    dist = doc["versions"]["1.0.0"]["dist"]
    dist["tarball"] = dist["tarball"].replace("/npm-tarballs/", "/npm-tarballs/x/%2e%2e/")
    (world.root / "registry" / "npm" / "dotted").write_text(json.dumps(doc))
    proc = ossprov("verify", "pkg:npm/dotted@1.0.0")
    assert proc.returncode == 3 and "'..' segment" in proc.stderr, proc.stderr
