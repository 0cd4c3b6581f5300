"""Reading batch input, and the runner process: results, failures, time limits, crashes, stray output."""

from __future__ import annotations

import os
import time

import pytest

from ossprov.batch.executor import ItemExecutor
from ossprov.batch.inputs import parse_rates, parse_stages, read_purls
from ossprov.batch.runner import load_callable
from ossprov.errors import InputError

FAKE = "tests.batch.fake_runner:run"


def test_read_purls_skips_comments_and_reports_invalid_lines() -> None:
    lines = ["# header", "", "pkg:npm/a@1 # trailing", "pkg:npm/a@1", "pkg:npm/b@2#sub/path",
             "pkg:npm/noversion", "npm/left-pad@1", "\x00\xff garbage"]
    purls, invalid = read_purls(lines)
    assert purls == ["pkg:npm/a@1", "pkg:npm/b@2#sub/path"]
    assert [i.line for i in invalid] == [6, 7, 8]
    assert "version" in invalid[0].reason


def test_stage_and_rate_options() -> None:
    assert parse_stages("verify, locate") == ("locate", "verify")
    with pytest.raises(InputError, match="unknown stage"):
        parse_stages("verify,deploy")
    assert parse_rates(["npm=2.5", "pypi=10"]) == {"npm": 2.5, "pypi": 10.0}
    for bad in ("npm", "npm=0", "=3", "npm=fast", "npm=inf", "npm=-1"):
        with pytest.raises(InputError):
            parse_rates([bad])


def test_runner_paths() -> None:
    assert load_callable(FAKE).__name__ == "run"
    assert load_callable("tests.batch.fake_runner.run").__name__ == "run"
    for bad in ("nonexistent.module:run", "tests.batch.fake_runner:missing", "run", "tests.batch.fake_runner:os"):
        with pytest.raises(InputError):
            load_callable(bad)


def test_executor_runs_items_in_one_reused_child() -> None:
    executor = ItemExecutor(FAKE)
    try:
        first = executor.run("pkg:npm/a@1", ["locate", "verify"], 30)
        pid = executor._proc.pid if executor._proc else None
        noisy = executor.run("pkg:npm/noisy@1", ["locate"], 30)  # prints to stdout: protocol unharmed
        failed = executor.run("pkg:npm/fail@1", ["locate"], 30)
        assert first.ok and set(first.results) == {"locate", "verify"}
        assert noisy.ok and failed.error == "internal error: ValueError: cannot handle pkg:npm/fail@1"
        assert executor._proc is not None and executor._proc.pid == pid
    finally:
        executor.close()


def test_executor_kills_an_item_at_its_time_limit() -> None:
    executor = ItemExecutor(FAKE)
    try:
        assert executor.run("pkg:npm/warm@1", ["locate"], 30).ok
        pid = executor._proc.pid if executor._proc else 0
        started = time.monotonic()
        outcome = executor.run("pkg:npm/hang@1", ["locate"], 1.0)
        assert not outcome.ok and "timed out after 1s" in outcome.error
        assert time.monotonic() - started < 5
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
        assert executor.run("pkg:npm/after@1", ["locate"], 30).ok  # a fresh child takes over
    finally:
        executor.close()


def test_executor_survives_a_crashing_runner() -> None:
    executor = ItemExecutor(FAKE)
    try:
        outcome = executor.run("pkg:npm/crash@1", ["locate"], 30)
        assert not outcome.ok and "exited with code 9" in outcome.error
        assert executor.run("pkg:npm/ok@1", ["locate"], 30).ok
    finally:
        executor.close()


def test_executor_reports_a_runner_that_cannot_load() -> None:
    executor = ItemExecutor("tests.batch.fake_runner:missing")
    with pytest.raises(InputError, match="cannot run"):
        executor.run("pkg:npm/a@1", ["locate"], 30)
