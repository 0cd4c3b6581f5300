"""Files a user or a repository names are read only when regular, and only up to a byte limit: a FIFO named
like a lockfile, a lockfile that is a symlink to /dev/zero (git commits symlinks), `/dev/zero` itself."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import results
from tests.hostile.conftest import ossprov


def _one_line_input_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr[-2000:]
    assert all(n in proc.stderr for n in needles), proc.stderr


def test_a_fifo_named_like_a_lockfile_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "package-lock.json"
    os.mkfifo(fifo)
    _one_line_input_error(ossprov("scan", str(fifo), "--no-db", timeout=60), "a FIFO")


def test_a_fifo_inside_a_scanned_directory_is_passed_over(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "yarn.lock")
    (tmp_path / "requirements.txt").write_text("")
    proc = ossprov("scan", str(tmp_path), "--no-db", "--format", "json", timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert results(proc.stdout) == []


def test_a_lockfile_symlinked_to_dev_zero_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "package-lock.json").symlink_to("/dev/zero")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    assert subprocess.run(["git", "-C", str(repo), "ls-files", "-s"], capture_output=True, text=True,
                          check=True).stdout.startswith("120000")  # committed as a symlink, as git allows
    _one_line_input_error(ossprov("scan", str(repo / "package-lock.json"), "--no-db", timeout=60), "a device")


@pytest.mark.parametrize("args", [("scan", "/dev/zero", "--no-db"),
                                  ("squat", "--update-popular", "/dev/zero", "--ecosystem", "npm")])
def test_dev_zero_is_refused_within_the_memory_bound(args: tuple[str, ...]) -> None:
    _one_line_input_error(ossprov(*args, timeout=60), "/dev/zero")


def test_a_large_regular_file_stops_at_the_limit_whatever_its_claimed_size(tmp_path: Path) -> None:
    from ossprov.scan.parsers.base import MAX_FILE_BYTES

    big = tmp_path / "requirements.txt"
    with big.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk
    _one_line_input_error(ossprov("scan", str(big), "--no-db", timeout=120), "larger than")


def test_a_purl_list_is_read_up_to_a_limit() -> None:
    from ossprov.batch.inputs import read_lines
    from ossprov.errors import InputError

    with open("/dev/zero", encoding="utf-8") as endless, pytest.raises(InputError, match="longer than 1 MiB"):
        read_lines(endless, limit=1 << 20)


def test_batch_dev_zero_is_refused_within_the_memory_bound() -> None:
    _one_line_input_error(ossprov("batch", "/dev/zero", timeout=60), "longer than")
