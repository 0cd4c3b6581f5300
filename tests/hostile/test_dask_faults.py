"""The Dask engine under faults, through the CLI against a real LocalCluster (worker processes under nannies)
started before the batch: a worker killed mid-batch costs seconds, not a lease of the package's time limit,
and every result is stored exactly once; settings of the submitting shell reach workers that never had them;
a cluster without workers ends the batch with a message and exit 3 instead of a silent wait."""

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
from sqlalchemy import create_engine, text

from tests.hostile.conftest import limits

distributed = pytest.importorskip("distributed")

RUNNER = "tests.batch.fake_runner:run"
PURLS = [f"pkg:npm/k{i}@1.0.0" for i in range(12)]


def _batch(tmp_path: Path, scheduler: str, env: dict[str, str]) -> subprocess.Popen[str]:
    source = tmp_path / "purls.txt"
    source.write_text("\n".join(PURLS) + "\n")
    return subprocess.Popen(
        [sys.executable, "-m", "ossprov", "batch", str(source), "--engine", "dask", "--scheduler", scheduler,
         "--db", f"sqlite:///{tmp_path / 'results.sqlite'}", "--format", "json", "--timeout", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **env}, preexec_fn=limits)


def _runs(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.fixture
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=50) as c, distributed.Client(c) as client:
        yield c, client


@pytest.mark.slow
def test_a_worker_killed_mid_batch_costs_seconds_and_no_result_twice(cluster, tmp_path: Path) -> None:
    local, client = cluster
    log = tmp_path / "runs.jsonl"
    # set only for the batch: the workers were started without them and get them from the submitting shell
    env = {"OSSPROV_BATCH_RUNNER": RUNNER, "OSSPROV_TEST_RUNLOG": str(log), "OSSPROV_TEST_SLEEP": "1.5"}
    started = time.monotonic()
    proc = _batch(tmp_path, local.scheduler_address, env)
    while len(_runs(log)) < 3 and proc.poll() is None and time.monotonic() - started < 120:
        time.sleep(0.2)
    assert proc.poll() is None, proc.communicate()
    victim = next(iter(client.run(os.getpid).values()))
    os.kill(victim, signal.SIGKILL)  # mid-item: every worker is busy with a 1.5 s item
    out, err = proc.communicate(timeout=240)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, err
    summary = json.loads(out)
    assert summary["counts"]["done"] == len(PURLS) and summary["counts"]["failed"] == 0, summary
    engine = create_engine(f"sqlite:///{tmp_path / 'results.sqlite'}")
    with engine.connect() as conn:
        rows = Counter(conn.execute(text("select purl, stage from results")).all())
    engine.dispose()
    assert set(rows) == {(p, s) for p in PURLS for s in ("locate", "verify")}
    assert set(rows.values()) == {1}
    runs = _runs(log)
    assert {r["purl"] for r in runs} == set(PURLS)  # the runner's settings came from the submitting shell
    assert elapsed < 120, elapsed  # 12 items of 1.5 s on 2 workers, plus the lost one: far below a lease


@pytest.mark.slow
def test_a_cluster_without_workers_ends_the_batch_with_a_message(tmp_path: Path) -> None:
    with distributed.LocalCluster(n_workers=0, processes=True, dashboard_address=":0", silence_logs=50) as local:
        started = time.monotonic()
        proc = _batch(tmp_path, local.scheduler_address,
                      {"OSSPROV_BATCH_RUNNER": RUNNER, "OSSPROV_DASK_WORKER_WAIT": "3"})
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, (out, err)
    assert "no worker" in err and "--resume" in err and len(err.strip().splitlines()) == 1, err
    assert time.monotonic() - started < 90
