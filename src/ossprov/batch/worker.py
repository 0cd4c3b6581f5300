"""What a worker does with one claimed job, and the two ways workers get jobs: the local engine's worker
processes loop claiming the next queued job; the Dask engine's tasks each claim the one job they were given."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.queues import SimpleQueue
from types import FrameType

from packageurl import PackageURL

from ossprov.batch.executor import ItemExecutor
from ossprov.errors import OssprovError
from ossprov.store import Store, jobs, ratelimit
from ossprov.store.jobs import Claim

IDLE_POLL = 0.5
"""Seconds an idle worker waits while other workers still hold jobs (one of them may be abandoned)."""


@dataclass(frozen=True)
class WorkOptions:
    """Everything a worker needs, picklable so that it can travel to a process or a Dask worker."""

    db_url: str
    batch_id: str
    runner: str
    timeout: float
    refresh: bool
    limited: frozenset[str] = frozenset()
    """Registries (purl types) with a rate-limit bucket."""
    lease_grace: float = 60.0

    @property
    def lease(self) -> float:
        """A lease outlives the time limit: a worker that is still alive has finished or failed by then."""
        return self.timeout + self.lease_grace


def process(store: Store, executor: ItemExecutor, claim: Claim, opts: WorkOptions) -> str:
    """Run the stages of a claimed job that have no stored result yet and record the outcome; returns
    `reused`, `done`, `failed` or `lost` (the lease was taken over, nothing written)."""
    todo = [s for s in claim.stages if opts.refresh or s not in claim.stored]
    if not todo:
        return "reused" if jobs.finish(store, claim, {}, refresh=False, reused=True) else "lost"
    registry = PackageURL.from_string(claim.purl).type
    if registry in opts.limited:
        executor.ready()  # a slow child start must not eat into the time the token was granted for
        if ratelimit.acquire(store, registry) > 1.0:
            jobs.renew(store, claim, opts.lease)
    outcome = executor.run(claim.purl, todo, opts.timeout)
    missing = [s for s in todo if not isinstance(outcome.results.get(s), dict)]
    if outcome.ok and not missing:
        records = {s: outcome.results[s] for s in todo}
        held = jobs.finish(store, claim, records, refresh=opts.refresh, seconds=outcome.seconds)
        return "done" if held else "lost"
    error = outcome.error if not outcome.ok else f"stage runner gave no record for {', '.join(missing)}"
    return "failed" if jobs.fail(store, claim, error, seconds=outcome.seconds) else "lost"


def _terminate(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(143)


def local_worker(opts: WorkOptions, errors: SimpleQueue[tuple[int, str]]) -> None:
    """Body of a local worker process: claim and process jobs until none is queued or running. Ctrl-C is
    the parent's business (it terminates the workers); SIGTERM unwinds so that the child is killed too. A
    failure is reported to the parent as one line through `errors` (a SimpleQueue)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _terminate)
    parent = os.getppid()
    store = Store.open(opts.db_url, upgrade=False)
    executor = ItemExecutor(opts.runner)
    owner = jobs.new_owner()
    try:
        while os.getppid() == parent:  # an orphan stops after its current job
            claim = jobs.claim_next(store, opts.batch_id, owner, opts.lease)
            if claim is not None:
                process(store, executor, claim, opts)
            elif jobs.counts(store, opts.batch_id)["running"]:
                jobs.reclaim_abandoned(store, opts.batch_id)
                time.sleep(IDLE_POLL)
            else:
                break
    except OssprovError as exc:
        errors.put((exc.exit_code, str(exc)))
        sys.exit(1)
    finally:
        executor.close()
        store.close()


_local = threading.local()


def dask_task(job_id: int, opts: WorkOptions) -> str:
    """A Dask task: process one job if it is still to be done. Each worker thread keeps its own database
    engine, child process and lease owner between tasks."""
    key = (opts.db_url, opts.runner)
    state = getattr(_local, "state", None)
    if state is None or state[0] != key:
        state = (key, Store.open(opts.db_url, upgrade=False), ItemExecutor(opts.runner), jobs.new_owner())
        _local.state = state
    _, store, executor, owner = state
    claim = jobs.claim_job(store, job_id, owner, opts.lease)
    if claim is None:
        return "skipped"
    return process(store, executor, claim, opts)
