"""One process scanning many packages keeps a bounded number of `git cat-file` readers: the least recently used
is ended when another repository needs one, and reopened when it is read again."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ossprov.source import git


def _repo(path: Path, text: str) -> Path:
    path.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    (path / "a.txt").write_text(text)
    subprocess.run(["git", "-C", str(path), "add", "a.txt"], check=True)
    subprocess.run(["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@example.test", "commit", "-qm",
                    "one"], check=True)
    return path


def test_readers_are_bounded_and_reopened(tmp_path: Path) -> None:
    paths = [_repo(tmp_path / f"r{i}", f"content {i}\n") for i in range(git.MAX_READERS + 4)]
    for path in paths:
        repo = git.Repo(path)
        assert repo.read_file("HEAD", "a.txt") == f"content {path.name[1:]}\n".encode()
    running = [s for s in git._SHARED.values() if s.reader is not None]
    assert len(running) <= git.MAX_READERS
    first = git.Repo(paths[0])
    assert first._shared.reader is None  # ended to make room
    assert first.read_file("HEAD", "a.txt") == b"content 0\n"  # and reopened on demand
