"""Where the workers run. `local`: worker processes on this machine. `dask`: one Dask task per job on a
Dask distributed cluster (an existing scheduler, or a LocalCluster). Neither engine schedules anything itself
beyond starting workers: the database queue hands out jobs and makes the batch resumable."""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import time
from collections.abc import Callable, Sequence

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


def run_dask(
    opts: WorkOptions, job_ids: Sequence[int], workers: int, scheduler: str | None, tick: Callable[[], None]
) -> None:
    """Submit one task per queued job to a Dask cluster and wait for all of them."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError("--engine dask needs the dask extra: pip install 'ossprov[dask]'") from None
    cluster = None
    if scheduler is None:
        logging.getLogger("distributed").setLevel(logging.CRITICAL)  # shutdown chatter is not the user's news
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=logging.CRITICAL)
    try:
        with Client(scheduler or cluster, timeout=30) as client:
            futures = client.map(dask_task, list(job_ids), opts=opts, pure=False)
            while not all(f.done() for f in futures):
                tick()
                time.sleep(TICK)
            client.gather(futures)
    except OSError as exc:
        raise ClusterError(f"cannot use the Dask scheduler {scheduler}: {exc}") from None
    finally:
        if cluster is not None:
            cluster.close()
