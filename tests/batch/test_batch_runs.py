"""Whole batches with real worker processes and a real database: results, reuse, failures, retries, time
limits, rate limits, the command line, and a batch killed with SIGKILL then resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ossprov.batch.run import BatchRequest, BatchSummary, run_batch
from ossprov.store import Store
from ossprov.store.models import Job, Result

FAKE = "tests.batch.fake_runner:run"
REPO = Path(__file__).resolve().parents[2]


def _batch(db_url: str, purls: list[str], **kwargs: object) -> BatchSummary:
    options: dict = {"stages": ("locate", "verify"), "runner": FAKE, "db_url": db_url, "workers": 2, **kwargs}
    return run_batch(BatchRequest(purls=purls, **options))


def _results(db_url: str) -> Counter[tuple[str, str]]:
    store = Store.open(db_url)  # the batch under test may not have created the tables yet
    with store.read() as conn:
        keys = Counter((purl, stage) for purl, stage in conn.execute(select(Result.purl, Result.stage)))
    store.close()
    return keys


def _runs(log: Path) -> Counter[str]:
    return Counter(json.loads(line)["purl"] for line in log.read_text().splitlines()) if log.exists() else Counter()


@pytest.fixture
def runlog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "runs.jsonl"
    monkeypatch.setenv("OSSPROV_TEST_RUNLOG", str(log))
    return log


def test_batch_stores_every_result_and_reuses_them(db_url: str, runlog: Path) -> None:
    purls = [f"pkg:npm/p{i}@1.0.0" for i in range(12)]
    first = _batch(db_url, purls)
    assert first.counts["done"] == 12 and first.processed == 12 and not first.resumed
    assert set(_results(db_url).values()) == {1} and len(_results(db_url)) == 24
    second = _batch(db_url, purls)  # a new batch: everything is already stored
    assert second.counts["reused"] == 12
    assert sum(_runs(runlog).values()) == 12
    refreshed = _batch(db_url, purls[:2], refresh=True)
    assert refreshed.counts["done"] == 2 and sum(_runs(runlog).values()) == 14
    assert set(_results(db_url).values()) == {1}


def test_failures_time_limits_and_retry(db_url: str, runlog: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    purls = ["pkg:npm/good@1", "pkg:npm/fail-me@1", "pkg:npm/hang@1", "pkg:npm/crash@1"]
    started = time.monotonic()
    summary = _batch(db_url, purls, timeout=2.0)
    assert time.monotonic() - started < 30
    reasons = {f["purl"]: f["error"] for f in summary.failures}
    assert summary.counts["done"] == 1 and set(reasons) == set(purls[1:])
    assert "cannot handle" in reasons["pkg:npm/fail-me@1"]
    assert "timed out after 2s" in reasons["pkg:npm/hang@1"]
    assert "exited with code 9" in reasons["pkg:npm/crash@1"]
    monkeypatch.setenv("OSSPROV_TEST_HEAL", "1")
    again = _batch(db_url, purls, timeout=2.0, resume=True)  # --resume alone leaves failures alone
    assert again.resumed and again.processed == 0 and again.counts["failed"] == 3
    retried = _batch(db_url, purls, timeout=2.0, retry_failed=True)
    assert retried.resumed and retried.counts["done"] == 2 and retried.counts["failed"] == 2
    assert {f["purl"]: f["attempts"] for f in retried.failures} == {"pkg:npm/hang@1": 2, "pkg:npm/crash@1": 2}
    assert _runs(runlog)["pkg:npm/good@1"] == 1


def test_rate_limit_spaces_item_starts_across_workers(db_url: str, runlog: Path) -> None:
    purls = [f"pkg:npm/r{i}@1" for i in range(8)] + ["pkg:pypi/free@1"]
    _batch(db_url, purls, rates={"npm": 5.0}, workers=2)
    starts = sorted(json.loads(line)["t"] for line in runlog.read_text().splitlines() if "npm" in line)
    assert len(starts) == 8
    assert starts[-1] - starts[0] >= 7 / 5.0 * 0.9  # 8 starts at 5/s across two processes
    busiest = max(sum(1 for t in starts if s <= t < s + 1.0) for s in starts)
    assert busiest <= 6  # never more than rate + the one token a full bucket holds, in any second


def _ossprov(args: list[str], env: dict[str, str], **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "ossprov", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"PYTHONPATH": str(REPO), "OSSPROV_BATCH_RUNNER": FAKE, **extra})
    return env


def test_command_line_json_summary_and_exit_codes(any_db_url: str, tmp_path: Path) -> None:
    listing = tmp_path / "purls.txt"
    listing.write_text("# packages\npkg:npm/a@1\nnot-a-purl\npkg:npm/fail@2\n")
    proc = _ossprov(["batch", str(listing), "--db", any_db_url, "--workers", "1", "--format", "json"], _env())
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    summary = json.loads(out)
    assert summary["counts"]["done"] == 1 and summary["counts"]["failed"] == 1
    assert summary["invalid"][0]["line"] == 3 and "line 3" in err
    for args, code in ((["-"], 2), (["-", "--scheduler", "tcp://127.0.0.1:1"], 2), (["-", "--stages", "x"], 2)):
        proc = _ossprov(["batch", *args, "--db", any_db_url], _env(), stdin=subprocess.PIPE)
        out, err = proc.communicate("pkg:npm/a@1\n" if "--stages" in args else "# nothing\n", timeout=60)
        assert proc.returncode == code and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.slow
def test_batch_killed_with_sigkill_resumes_without_loss_or_duplicates(
    db_url: str, tmp_path: Path, runlog: Path
) -> None:
    purls = [f"pkg:npm/k{i}@1.0.0" for i in range(30)]
    listing = tmp_path / "purls.txt"
    listing.write_text("\n".join(purls) + "\n")
    args = ["batch", str(listing), "--db", db_url, "--workers", "2", "--format", "json"]
    env = _env(OSSPROV_TEST_SLEEP="0.15")
    victim = _ossprov(args, env, start_new_session=True)
    deadline = time.monotonic() + 60
    while sum(1 for (_p, stage) in _results(db_url) if stage == "verify") < 6:
        assert time.monotonic() < deadline and victim.poll() is None
        time.sleep(0.05)
    os.killpg(victim.pid, signal.SIGKILL)  # the whole machine's worth: main, workers, runner processes
    victim.communicate()
    store = Store.open(db_url, upgrade=False)
    with store.read() as conn:
        states = Counter(conn.scalars(select(Job.state)))
        assert conn.scalar(select(func.count()).select_from(Result)) < 60
    store.close()
    assert states["running"] > 0 and states["done"] < 30  # interrupted mid-run, leases held by the dead

    resumed = _ossprov([*args, "--resume"], env)
    out, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    summary = json.loads(out)
    assert summary["resumed"] and summary["counts"]["done"] == 30
    results = _results(db_url)
    assert len(results) == 60 and set(results.values()) == {1}
    assert set(_runs(runlog)) == set(purls)
