"""The job queue: atomic claims under concurrency, leases, exactly one result per job, and rate buckets."""

from __future__ import annotations

import itertools
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from ossprov.store import Store, jobs, ratelimit
from ossprov.store.models import Job, Result
from tests.batch.fake_runner import record

STAGES = ("locate", "verify")


def _purls(n: int) -> list[str]:
    return [f"pkg:npm/p{i}@1.0.{i}" for i in range(n)]


def test_concurrent_claims_hand_out_each_job_once(db_url: str) -> None:
    store = Store.open(db_url)
    batch = jobs.create_batch(store, _purls(120) + _purls(5), STAGES, refresh=False)  # duplicates collapse
    claimed: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        owner = jobs.new_owner()
        while (claim := jobs.claim_next(store, batch, owner, 60)) is not None:
            with lock:
                claimed.append(claim.id)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(claimed) == 120 and len(set(claimed)) == 120
    assert jobs.counts(store, batch)["running"] == 120
    store.close()


def test_a_worker_that_lost_its_lease_writes_nothing(db_url: str) -> None:
    store = Store.open(db_url)
    batch = jobs.create_batch(store, ["pkg:npm/a@1"], STAGES, refresh=False)
    slow = jobs.claim_next(store, batch, "other-host/1/x", 60)
    assert slow is not None and jobs.claim_next(store, batch, "w2", 60) is None
    with store.write() as conn:  # the lease runs out
        conn.execute(update(Job).values(lease_expires=datetime.now(UTC) - timedelta(seconds=1)))
    assert jobs.reclaim_abandoned(store, batch) == 1
    fast = jobs.claim_next(store, batch, "w2", 60)
    assert fast is not None and fast.attempts == 2
    records = {s: record(fast.purl, s) for s in STAGES}
    assert jobs.finish(store, fast, records, refresh=False)
    assert not jobs.finish(store, slow, records, refresh=True)
    assert not jobs.fail(store, slow, "late")
    with store.read() as conn:
        assert conn.scalar(select(func.count()).select_from(Result)) == 2
        assert set(conn.scalars(select(Result.job_id))) == {fast.id}
    assert jobs.counts(store, batch)["done"] == 1
    store.close()


def test_claiming_a_given_job(db_url: str) -> None:
    store = Store.open(db_url)
    batch = jobs.create_batch(store, ["pkg:npm/a@1"], STAGES, refresh=False)
    (job_id,) = jobs.queued_ids(store, batch)
    first = jobs.claim_job(store, job_id, "w1", 60)
    assert first is not None and jobs.claim_job(store, job_id, "w2", 60) is None
    assert jobs.finish(store, first, {}, refresh=False, reused=True)
    assert jobs.claim_job(store, job_id, "w2", 60) is None
    assert jobs.counts(store, batch) == {"queued": 0, "running": 0, "done": 1, "failed": 0, "reused": 1, "total": 1}
    store.close()


def test_leases_of_dead_local_processes_are_reclaimed_at_once(db_url: str) -> None:
    store = Store.open(db_url)
    batch = jobs.create_batch(store, _purls(3), STAGES, refresh=False)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    host = socket.gethostname()
    for owner in (f"{host}/{dead}/n", jobs.new_owner(), f"elsewhere.invalid/{dead}/n"):
        assert jobs.claim_next(store, batch, owner, 3600) is not None
    assert jobs.reclaim_abandoned(store, batch) == 1  # only the dead process of this host
    assert jobs.counts(store, batch)["queued"] == 1
    store.close()


def test_failures_are_recorded_and_retried(db_url: str) -> None:
    store = Store.open(db_url)
    batch = jobs.create_batch(store, _purls(2), STAGES, refresh=False)
    claim = jobs.claim_next(store, batch, "w", 60)
    assert claim is not None and jobs.fail(store, claim, "registry said\n 500  twice")
    assert jobs.failures(store, batch) == [{"purl": claim.purl, "error": "registry said 500 twice", "attempts": 1}]
    assert jobs.retry_failed(store, batch) == 1
    assert jobs.counts(store, batch)["queued"] == 2
    store.close()


def test_resume_finds_the_batch_of_the_same_input(db_url: str) -> None:
    store = Store.open(db_url)
    batch = jobs.create_batch(store, _purls(3), STAGES, refresh=True)
    found = jobs.latest_batch(store, jobs.input_digest(list(reversed(_purls(3))), STAGES))
    assert found is not None and found.id == batch and found.refresh and found.stages == STAGES
    assert jobs.latest_batch(store, jobs.input_digest(_purls(3), ("locate",))) is None
    store.close()


def test_token_bucket_is_shared_between_connections(db_url: str) -> None:
    one, two = Store.open(db_url), Store.open(db_url)
    # one request every 2 s: the waits handed out are not slept here, so the few milliseconds each call takes
    # (more on a loaded machine) are small beside the spacing they are checked against
    ratelimit.configure(one, {"npm": 0.5, "maven": 10.0})
    waits = [ratelimit.reserve(store, "npm") for store in (one, two, one, two, one)]
    assert waits[0] == 0.0  # a full bucket holds one token
    for earlier, later in itertools.pairwise(waits[1:]):
        assert later - earlier == pytest.approx(2.0, abs=0.3)  # queued 1/rate apart, whichever connection asks
    assert ratelimit.reserve(one, "pypi") == 0.0  # no bucket: no limit
    assert ratelimit.reserve(one, "maven") == 0.0
    time.sleep(0.6)  # six tokens' worth of time: the bucket has refilled (to its burst of one)
    assert ratelimit.reserve(two, "maven") == 0.0
    one.close()
    two.close()
