"""Batch throughput with a fake stage runner that takes a fixed time (default 50 ms, like a warm verify):
packages per minute for 1 and 2 workers, local and Dask engines, SQLite and (when OSSPROV_TEST_PG_URL or
--pg is given) PostgreSQL, and the per-package overhead of queueing + storing as a share of runner time.

    python bench/bench_batch.py [--items 500] [--runner-ms 50] [--pg postgresql://...]

Overhead is measured in the steady state (between the first and the last finished job, so process and
cluster start-up are excluded): overhead = workers × (elapsed / jobs) − runner time.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from ossprov.batch.run import BatchRequest, run_batch
from ossprov.store import Store
from ossprov.store.models import Job

RUNNER_SECONDS_ENV = "OSSPROV_BENCH_RUNNER_SECONDS"


def runner(purl: str, stages: list[str]) -> dict[str, Any]:
    """Sleep the configured time and return records shaped like the pipeline's."""
    time.sleep(float(os.environ.get(RUNNER_SECONDS_ENV, "0.05")))
    digest = hashlib.sha256(purl.encode()).hexdigest()
    locate = {"purl": purl, "commit": digest[:40], "repository": {"url": "https://git.example.test/x"},
              "artifact": {"sha256": digest}}
    return {s: ({"locate": locate, "verdict": "faithful", "findings": []} if s == "verify" else locate)
            for s in stages}


def _pg_database(admin: str) -> str:
    import psycopg

    name = f"ossprov_bench_{secrets.token_hex(4)}"
    base = make_url(admin).set(drivername="postgresql")
    with psycopg.connect(base.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return base.set(database=name).render_as_string(hide_password=False)


def steady(db_url: str, batch: str, workers: int) -> tuple[float, int, float]:
    """The steady state of a batch: seconds between the first and the last finished job, the jobs finished in
    that span, and the mean seconds a job spent in the stage runner (the rest of a worker's time per job is the
    machinery's: claiming, the child's protocol, storing)."""
    store = Store.open(db_url)
    with store.read() as conn:
        first, last, n, runner_seconds = conn.execute(
            select(func.min(Job.updated_at), func.max(Job.updated_at), func.count(), func.avg(Job.seconds))
            .where(Job.batch_id == batch)
        ).one()
    store.close()
    return (last - first).total_seconds(), n - workers, runner_seconds or 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--runner-ms", type=float, default=50.0)
    parser.add_argument("--pg", default=os.environ.get("OSSPROV_TEST_PG_URL"), help="PostgreSQL admin URL")
    parser.add_argument("--engines", default="local,dask")
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    os.environ[RUNNER_SECONDS_ENV] = str(args.runner_ms / 1000)
    runner_s = args.runner_ms / 1000
    tmp = Path(tempfile.mkdtemp(prefix="ossprov-bench-"))
    backends = {"sqlite": lambda: f"sqlite:///{tmp / secrets.token_hex(4)}.sqlite"}
    if args.pg:
        backends["postgresql"] = lambda: _pg_database(args.pg)
    print(f"{args.items} items, runner {args.runner_ms:.0f} ms, stages locate+verify")
    print(f"{'database':<11}{'engine':<7}{'workers':>8}{'wall s':>9}{'pkg/min':>9}{'steady/min':>11}"
          f"{'ideal/min':>10}{'overhead ms':>12}{'overhead %':>11}")
    for backend, make_db in backends.items():
        for engine in args.engines.split(","):
            for workers in (int(w) for w in args.workers.split(",")):
                db_url = make_db()
                purls = [f"pkg:npm/bench{i}@1.0.{i}" for i in range(args.items)]
                request = BatchRequest(purls=purls, stages=("locate", "verify"), runner="bench_batch:runner",
                                       db_url=db_url, workers=workers, engine=engine, timeout=60)
                summary = run_batch(request)
                assert summary.counts["done"] == args.items, summary.counts
                span, jobs, _ = steady(db_url, summary.batch, workers)
                per_item = workers * span / jobs
                overhead = per_item - runner_s
                print(f"{backend:<11}{engine:<7}{workers:>8}{summary.seconds:>9.1f}{summary.per_minute:>9.0f}"
                      f"{60 * jobs / span:>11.0f}{60 * workers / runner_s:>10.0f}{overhead * 1000:>12.2f}"
                      f"{100 * overhead / runner_s:>10.1f}%", flush=True)


if __name__ == "__main__":
    main()
