"""The registry's commit (gitHead) holding every file of the artifact pins without content search: the blob index
is not built. Whenever that commit does not settle it alone — a file differs there, or it was made after the
upload — the history is searched as before, and the answer is the one content gives."""

from __future__ import annotations

from pathlib import Path

from ossprov import stages
from ossprov.fixtures.world import World
from ossprov.source.git import clone_dir_for


def _index_built(url: str) -> bool:
    return any(Path(clone_dir_for(url)).glob("ossprov-blobindex-*"))


def test_git_head_holding_every_file_needs_no_blob_index(world: World) -> None:
    repo, pkg = world.npm_project("acme/direct", "direct", "1.0.0")
    release = repo.commit("release")
    purl = world.publish_npm(world.npm_pack(pkg), git_head=release)

    located = stages.locate(purl)

    assert located.commit == release and located.confidence == 1.0
    assert not _index_built(repo.url)
    assert any(e.kind == "content-search" and e.supports for e in located.evidence)
    assert any(e.kind == "gitHead" and e.supports for e in located.evidence)


def test_git_head_whose_files_differ_is_searched_and_content_decides(world: World) -> None:
    repo, pkg = world.npm_project("acme/moved", "moved", "1.0.0")
    release = repo.commit("release")
    tarball = world.npm_pack(pkg)
    later = repo.commit("after the release", {"index.js": "module.exports = () => 'changed';\n"})
    purl = world.publish_npm(tarball, git_head=later)

    located = stages.locate(purl)

    assert _index_built(repo.url)
    assert located.commit == release
    assert not any(e.kind == "content-search" for e in located.evidence)


def test_git_head_made_after_the_upload_is_searched(world: World) -> None:
    """The package's files are unchanged from the release commit to the one gitHead names, which was made hours
    after the upload: content search finds the release commit, made before it, as without the shortcut."""
    repo, pkg = world.npm_project("acme/lateheed", "lateheed", "1.0.0")
    release = repo.commit("release")  # 2024-01-01T01:00
    tarball = world.npm_pack(pkg)
    for n in range(4):
        repo.commit(f"ci {n}", {".github/ci.yml": f"run: {n}\n"})
    named = repo.head()  # 2024-01-01T05:00
    purl = world.publish_npm(tarball, git_head=named, published="2024-01-01T02:00:00+00:00")

    located = stages.locate(purl)

    assert _index_built(repo.url)
    assert located.commit == release
