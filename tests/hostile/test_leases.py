"""A claim lives as long as its process beats: a live worker keeps its job past LIVE_LEASE, a lost one (a
machine gone, so no dead pid to see) lets it go after LIVE_LEASE, and the task Dask hands out again takes it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from ossprov.store import Store, jobs
from ossprov.store.models import Job


@pytest.fixture
def quick_leases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "LIVE_LEASE", 1.5)
    monkeypatch.setattr(jobs, "HEARTBEAT", 0.3)


def test_a_beating_claim_outlives_the_short_lease_and_a_lost_one_is_taken_over(tmp_path: Path,
                                                                               quick_leases: None) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'q.sqlite'}")
    batch = jobs.create_batch(store, ["pkg:npm/a@1.0.0"], ("locate",), refresh=False)
    remote = "other-host.example/4242/cafe"  # not this host: only the lease can tell it is gone
    held = jobs.claim_next(store, batch, remote, lease=600)
    assert held is not None
    time.sleep(3 * jobs.LIVE_LEASE)  # heartbeats keep it
    assert jobs.claim_job(store, held.id, jobs.new_owner(), 600) is None  # waited, the holder still beats
    with store.read() as conn:
        assert conn.scalar(select(Job.lease_owner).where(Job.id == held.id)) == remote
    jobs._let_go(held)  # the machine is lost: no more heartbeats
    successor = jobs.new_owner()
    taken = jobs.claim_job(store, held.id, successor, 600)  # waits for the lease to lapse, then claims
    assert taken is not None and taken.owner == successor and taken.attempts == 2
    assert not jobs.finish(store, held, {"locate": {}}, refresh=False)  # the lost worker can never write
    assert jobs.finish(store, taken, {"locate": {"purl": "pkg:npm/a@1.0.0"}}, refresh=False)
    store.close()
