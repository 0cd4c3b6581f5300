"""Where the workers run. `local`: worker processes on this machine. `dask`: one Dask task per job on a
Dask distributed cluster (an existing scheduler, or a LocalCluster). Neither engine schedules anything itself
beyond starting workers: the database queue hands out jobs and makes the batch resumable."""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

from ossprov.batch.worker import WorkOptions, dask_task, local_worker
from ossprov.errors import InputError, OssprovError

ENGINES = ("local", "dask")
TICK = 0.5
"""Seconds between progress updates."""


class ClusterError(OssprovError):
    """The Dask scheduler cannot be reached (a network failure: exit code 3)."""

    exit_code = 3


class WorkerError(OssprovError):
    """A worker stopped on an error; carries that error's exit code."""

    def __init__(self, message: str, exit_code: int = 4) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def run_local(opts: WorkOptions, workers: int, tick: Callable[[], None]) -> None:
    """Start `workers` processes (spawned: no inherited database connections) and wait for them. On any
    exit from here (Ctrl-C included) the workers are terminated, which also kills their runner processes."""
    context = multiprocessing.get_context("spawn")
    errors = context.SimpleQueue()
    procs = [context.Process(target=local_worker, args=(opts, errors), name=f"ossprov-batch-{i}", daemon=True)
             for i in range(workers)]
    for proc in procs:
        proc.start()
    try:
        while alive := [p.sentinel for p in procs if p.is_alive()]:
            tick()
            multiprocessing.connection.wait(alive, timeout=TICK)
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        for proc in procs:
            proc.join()
    if not errors.empty():
        code, message = errors.get()
        raise WorkerError(message, code)
    crashed = [p.exitcode for p in procs if p.exitcode]
    if crashed:
        raise WorkerError(f"{len(crashed)} batch worker(s) died (exit code {crashed[0]})")


NO_WORKER_WAIT = 120.0
"""Seconds the batch waits for a Dask cluster that has no worker left (OSSPROV_DASK_WORKER_WAIT)."""


def _no_worker_wait() -> float:
    raw = os.environ.get("OSSPROV_DASK_WORKER_WAIT")
    try:
        return float(raw) if raw else NO_WORKER_WAIT
    except ValueError:
        raise InputError(f"OSSPROV_DASK_WORKER_WAIT must be a number of seconds, got {raw!r}") from None


def _ship_environment(client: Any) -> None:
    """Register the plugin carrying the shell's settings. Its module travels by value, so workers running
    another ossprov version (or none importable under that name) still apply it."""
    import cloudpickle

    from ossprov.batch import dask_env

    cloudpickle.register_pickle_by_value(dask_env)
    try:
        client.register_plugin(dask_env.ShippedEnvironment(dask_env.shipped_environment()))
    except Exception as exc:  # raised on the workers, re-raised here: any type
        raise ClusterError(f"the Dask workers cannot take this shell's settings: {exc}") from None


def run_dask(
    opts: WorkOptions, job_ids: Sequence[int], workers: int, scheduler: str | None, tick: Callable[[], None]
) -> None:
    """Submit one task per queued job to a Dask cluster and wait for all of them. A task whose worker is lost
    is resubmitted by Dask; the job's lease lapses within seconds (`ossprov.store.jobs`), so the new task
    claims it. ClusterError when the scheduler cannot be reached, or when no worker is left for longer than
    OSSPROV_DASK_WORKER_WAIT seconds (the batch stays resumable)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError("--engine dask needs the dask extra: pip install 'ossprov[dask]'") from None
    patience = _no_worker_wait()
    cluster = None
    if scheduler is None:
        logging.getLogger("distributed").setLevel(logging.CRITICAL)  # shutdown chatter is not the user's news
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=logging.CRITICAL)
    try:
        with Client(scheduler or cluster, timeout=30) as client:
            _ship_environment(client)
            futures = client.map(dask_task, list(job_ids), opts=opts, pure=False, retries=3)
            alone_since: float | None = None
            while not all(f.done() for f in futures):
                tick()
                time.sleep(TICK)
                if client.scheduler_info(n_workers=-1).get("workers"):
                    alone_since = None
                elif alone_since is None:
                    alone_since = time.monotonic()
                elif time.monotonic() - alone_since > patience:
                    unfinished = sum(not f.done() for f in futures)
                    raise ClusterError(f"the Dask cluster has had no worker for {patience:g}s with {unfinished} "
                                       "package(s) unfinished: start workers and run again with --resume")
            client.gather(futures, errors="skip")  # a task Dask gave up on leaves its job unfinished: see run
    except OSError as exc:
        raise ClusterError(f"cannot use the Dask scheduler {scheduler}: {exc}") from None
    finally:
        if cluster is not None:
            cluster.close()
