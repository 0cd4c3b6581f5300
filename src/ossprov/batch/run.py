"""One `ossprov batch` run: find or create the batch in the database, start the engine, and sum up."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ossprov.batch.engines import TICK, run_dask, run_local
from ossprov.batch.runner import load_callable
from ossprov.batch.worker import WorkOptions
from ossprov.errors import OssprovError
from ossprov.store import Store, jobs, ratelimit

DASK_ROUNDS = 3
"""Times the Dask engine submits what is still queued after its tasks ended (a task Dask gave up on after
its worker kept dying leaves its job behind; the next round runs it)."""


class UnfinishedError(OssprovError):
    """Packages of the batch are neither done nor failed when the engine stops (lost workers, a cluster
    gone): exit code 3, like any other environment failure; `--resume` continues the batch."""

    exit_code = 3


@dataclass(frozen=True)
class BatchRequest:
    purls: Sequence[str]
    stages: tuple[str, ...]
    runner: str
    db_url: str | None = None
    workers: int = 2
    engine: str = "local"
    scheduler: str | None = None
    resume: bool = False
    retry_failed: bool = False
    refresh: bool = False
    timeout: float = 900.0
    rates: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchSummary:
    batch: str
    resumed: bool
    engine: str
    workers: int
    database: str
    counts: dict[str, int]
    processed: int
    """Jobs that reached done or failed during this run."""
    seconds: float
    failures: list[dict[str, Any]]

    @property
    def per_minute(self) -> float:
        return 60.0 * self.processed / self.seconds if self.seconds > 0 else 0.0


def _finished(counts: dict[str, int]) -> int:
    return counts["done"] + counts["failed"]


def _settle(store: Store, batch_id: str, tick: Callable[[], None]) -> None:
    """Wait (about a lease) for jobs still marked running after the engine stopped, queueing them again
    once their owner is dead or their lease lapsed."""
    deadline = time.monotonic() + jobs.LIVE_LEASE + 2 * jobs.HEARTBEAT
    while jobs.counts(store, batch_id)["running"] and time.monotonic() < deadline:
        jobs.reclaim_abandoned(store, batch_id)
        tick()
        time.sleep(TICK)
    jobs.reclaim_abandoned(store, batch_id)


def _run_dask(store: Store, opts: WorkOptions, request: BatchRequest, tick: Callable[[], None]) -> None:
    for _ in range(DASK_ROUNDS):
        queued = jobs.queued_ids(store, opts.batch_id)
        if not queued:
            return
        run_dask(opts, queued, request.workers, request.scheduler, tick)
        _settle(store, opts.batch_id, tick)


def run_batch(request: BatchRequest, on_progress: Callable[[dict[str, int]], None] = lambda _c: None) -> BatchSummary:
    """Run (or resume) a batch to the end. `--resume` and `--retry-failed` continue the latest batch made
    from the same input, queueing abandoned (and, with --retry-failed, failed) jobs again; without them, or
    when there is no such batch, a new batch is created. On Ctrl-C the jobs of this run's dead workers are
    queued again before the interruption propagates, so that `--resume` picks them up at once.
    UnfinishedError (exit 3) when the workers stopped with packages neither done nor failed."""
    load_callable(request.runner)  # a wrong runner is an input error now, not N failed items later
    store = Store.open(request.db_url)
    try:
        existing = None
        if request.resume or request.retry_failed:
            existing = jobs.latest_batch(store, jobs.input_digest(request.purls, request.stages))
        if existing is None:
            batch_id = jobs.create_batch(store, request.purls, request.stages, refresh=request.refresh)
        else:
            batch_id = existing.id
            jobs.reclaim_abandoned(store, batch_id)
            if request.retry_failed:
                jobs.retry_failed(store, batch_id)
        ratelimit.configure(store, request.rates)
        opts = WorkOptions(
            db_url=store.connect_url, batch_id=batch_id, runner=request.runner, timeout=request.timeout,
            refresh=request.refresh if existing is None else existing.refresh, limited=frozenset(request.rates),
        )
        before = jobs.counts(store, batch_id)

        def tick() -> None:
            on_progress(jobs.counts(store, batch_id))

        tick()
        started = time.monotonic()
        try:
            if request.engine == "dask":
                _run_dask(store, opts, request, tick)
            else:
                run_local(opts, request.workers, tick)
        except KeyboardInterrupt:
            jobs.reclaim_abandoned(store, batch_id)
            raise
        seconds = time.monotonic() - started
        after = jobs.counts(store, batch_id)
        on_progress(after)
        unfinished = after["queued"] + after["running"]
        if unfinished:
            raise UnfinishedError(f"batch {batch_id}: {unfinished} of {after['total']} package(s) not finished "
                                  f"({after['queued']} queued, {after['running']} running) after the workers "
                                  "stopped: run it again with --resume")
        return BatchSummary(
            batch=batch_id, resumed=existing is not None, engine=request.engine, workers=request.workers,
            database=store.display_url, counts=after, processed=_finished(after) - _finished(before),
            seconds=seconds, failures=jobs.failures(store, batch_id),
        )
    finally:
        store.close()
