"""A clone's saved state (its ref listing, its memo of answers) is a shortcut: one that is damaged, of another
shape, or that someone else could have written is ignored and the answers worked out from git again, never a
traceback and never believed."""

from __future__ import annotations

import os
import pickle
import subprocess
from pathlib import Path

import pytest

from ossprov.config import settings
from ossprov.source import git
from ossprov.source.git import MEMO, REF_STATE, Repo, ensure_clone


def _clone(tmp_path: Path) -> tuple[Path, str]:
    """A real repository cloned into the clone cache, with one commit; (clone, commit)."""
    work = tmp_path / "origin"
    subprocess.run(["git", "init", "-q", "-b", "main", str(work)], check=True)
    (work / "index.js").write_text("1;\n")
    subprocess.run(["git", "-C", str(work), "add", "."], check=True)
    subprocess.run(["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm",
                    "one"], check=True)
    sha = subprocess.run(["git", "-C", str(work), "rev-parse", "HEAD"], capture_output=True, text=True,
                         check=True).stdout.strip()
    clone = ensure_clone(f"file://{work}")
    assert clone.parent == settings().clone_cache
    return clone, sha


def _warm(clone: Path, sha: str) -> tuple[str, bytes]:
    """What a later process reads of the clone: a commit by id and a history query (what this process holds of
    the clone dropped first, its reader ended)."""
    shared = git._SHARED.pop(Path(os.path.abspath(clone)), None)
    if shared is not None and shared.reader is not None:
        shared.reader.close()
    return Repo(clone).commit_info(sha).subject, Repo(clone).git("log", "--format=%s", sha)


_UNIMPORTABLE = b"\x80\x04cnosuchmodule_ossprov\nThing\n."


@pytest.mark.parametrize("name", [MEMO, REF_STATE])
@pytest.mark.parametrize("damage", [_UNIMPORTABLE, b"\x80\x05", b"", pickle.dumps([1, 2])])
def test_a_damaged_saved_state_is_worked_out_again(tmp_path: Path, name: str, damage: bytes) -> None:
    clone, sha = _clone(tmp_path)
    assert _warm(clone, sha) == ("one", b"one\n")
    git.save_memos()
    assert (clone / name).is_file()
    (clone / name).write_bytes(damage)
    assert _warm(clone, sha) == ("one", b"one\n")


def test_a_memo_of_the_wrong_shape_is_worked_out_again(tmp_path: Path) -> None:
    clone, sha = _clone(tmp_path)
    _warm(clone, sha)
    git.save_memos()
    (clone / MEMO).write_bytes(pickle.dumps({"refs": Repo(clone).refs(), "entries": 5}))
    assert _warm(clone, sha) == ("one", b"one\n")


def test_a_memo_others_could_write_is_never_believed(tmp_path: Path) -> None:
    clone, sha = _clone(tmp_path)
    _warm(clone, sha)
    git.save_memos()
    saved = pickle.loads((clone / MEMO).read_bytes())
    forged = {k: (b"forged\n" if k[0] == "log" else v) for k, v in saved["entries"].items()}
    (clone / MEMO).write_bytes(pickle.dumps({**saved, "entries": forged}))
    assert _warm(clone, sha)[1] == b"forged\n"  # the user's own memo is the user's own cache: believed
    (clone / MEMO).chmod(0o666)
    assert _warm(clone, sha)[1] == b"one\n"


def test_a_force_pushed_tag_is_seen_after_the_next_fetch(tmp_path: Path) -> None:
    """What a tag names, and the history queries asked through it, are the clone's state before a fetch only:
    the fetch that brings the moved tag drops them (saved or held in this process)."""
    clone, first = _clone(tmp_path)
    work = tmp_path / "origin"
    subprocess.run(["git", "-C", str(work), "tag", "v1"], check=True)
    os.utime(clone / "ossprov-fetched", (1, 1))
    ensure_clone(f"file://{work}")
    assert Repo(clone).tags()["v1"] == first
    assert Repo(clone).git("log", "--format=%s", "v1") == b"one\n"
    git.save_memos()
    (work / "index.js").write_text("steal();\n")
    subprocess.run(["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qam",
                    "two"], check=True)
    subprocess.run(["git", "-C", str(work), "tag", "-f", "v1"], check=True, capture_output=True)
    os.utime(clone / "ossprov-fetched", (1, 1))
    ensure_clone(f"file://{work}")
    moved = Repo(clone).tags()["v1"]
    assert moved != first
    assert Repo(clone).git("log", "--format=%s", "v1") == b"two\none\n"
    assert _warm(clone, moved) == ("two", b"two\none\n")
