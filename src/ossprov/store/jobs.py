"""The batch job queue, kept in the results database so that a batch survives anything that kills its
processes. A worker claims a job atomically and holds it under a lease (owner + expiry); finishing stores the
results and marks the job done in one transaction, and only while the worker still holds the lease, so a job
whose lease was taken over can never produce a second result. Claiming is one UPDATE ... RETURNING: with
PostgreSQL the candidate row is picked with FOR UPDATE SKIP LOCKED, so concurrent workers never wait for each
other; with SQLite the statement runs under BEGIN IMMEDIATE, which serialises writers.

A lease is short (LIVE_LEASE) and kept alive by a heartbeat thread of the claiming process, up to the lease
the caller asked for (the package's time limit and a grace): a worker that dies, or a machine that is lost,
lets its job go within seconds, while a worker that is alive but stuck past its limit lets it go too.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select, update

from ossprov.errors import OssprovError
from ossprov.redaction import redact_text
from ossprov.store.database import Store
from ossprov.store.models import Batch, Job
from ossprov.store.results import save_results, stored_stages

INSERT_CHUNK = 5000
LIVE_LEASE = 20.0
"""Seconds a claim stays valid without a heartbeat: how soon a lost worker's job is claimed again."""
HEARTBEAT = 4.0
"""Seconds between lease renewals while the claiming process lives."""


@dataclass(frozen=True)
class Claim:
    """A job a worker holds: it may work on it until the lease expires."""

    id: int
    purl: str
    stages: tuple[str, ...]
    attempts: int
    owner: str
    stored: frozenset[str] = frozenset()
    """Stages of this purl already in the database for this ossprov version, read in the claim's own
    transaction (one round trip fewer per job)."""


@dataclass(frozen=True)
class BatchInfo:
    id: str
    stages: tuple[str, ...]
    refresh: bool


def new_owner() -> str:
    """A lease owner name: host and pid (so that a resume on this host can tell a dead worker) and a nonce
    (so that a reused pid is not mistaken for the old worker)."""
    return f"{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(4)}"


def _pid_alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rpartition(")")[2].split()[0] != "Z"  # a zombie is dead, just not reaped
    except FileNotFoundError:
        return False
    except (OSError, IndexError):
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_is_dead(owner: str) -> bool:
    """True when the lease owner is a process of this host that no longer runs."""
    host, _, rest = owner.partition("/")
    pid = rest.partition("/")[0]
    return host == socket.gethostname() and pid.isdigit() and not _pid_alive(int(pid))


def _now() -> datetime:
    return datetime.now(UTC)


def input_digest(purls: Sequence[str], stages: Sequence[str]) -> str:
    """Identifies a batch's input: the same purls (any order) with the same stages."""
    text = "\n".join(sorted(set(purls))) + "\0" + ",".join(stages)
    return hashlib.sha256(text.encode()).hexdigest()


def create_batch(store: Store, purls: Sequence[str], stages: Sequence[str], *, refresh: bool) -> str:
    """A new batch with one queued job per distinct purl, created in one transaction."""
    batch_id = secrets.token_hex(8)
    now = _now()
    unique = list(dict.fromkeys(purls))
    joined = ",".join(stages)
    with store.write() as conn:
        conn.execute(
            insert(Batch).values(
                id=batch_id, input_digest=input_digest(unique, stages), stages=joined, refresh=refresh, created_at=now
            )
        )
        for start in range(0, len(unique), INSERT_CHUNK):
            rows = [
                {"batch_id": batch_id, "purl": p, "stages": joined, "state": "queued", "attempts": 0,
                 "reused": False, "updated_at": now}
                for p in unique[start : start + INSERT_CHUNK]
            ]
            conn.execute(insert(Job), rows)
    return batch_id


def latest_batch(store: Store, digest: str) -> BatchInfo | None:
    """The most recent batch made from this input, for `--resume`."""
    with store.read() as conn:
        row = conn.execute(
            select(Batch).where(Batch.input_digest == digest).order_by(Batch.created_at.desc()).limit(1)
        ).mappings().first()
    if row is None:
        return None
    return BatchInfo(row["id"], tuple(row["stages"].split(",")), row["refresh"])


def _claim(conn: Connection, condition: Any, owner: str, lease: float) -> Claim | None:
    now = _now()
    statement = (
        update(Job)
        .where(condition)
        .values(state="running", lease_owner=owner, lease_expires=now + timedelta(seconds=lease),
                attempts=Job.attempts + 1, updated_at=now, error=None)
        .returning(Job.id, Job.purl, Job.stages, Job.attempts)
    )
    row = conn.execute(statement).first()
    if row is None:
        return None
    stages = tuple(row.stages.split(","))
    return Claim(row.id, row.purl, stages, row.attempts, owner, frozenset(stored_stages(conn, row.purl, stages)))


class _Heartbeat(threading.Thread):
    """Renews one claim every HEARTBEAT seconds until it is finished, lost, or `until` (monotonic) passes."""

    def __init__(self, store: Store, claim: Claim, until: float) -> None:
        super().__init__(name=f"ossprov-lease-{claim.id}", daemon=True)
        self.store, self.claim, self.until = store, claim, until
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(HEARTBEAT) and time.monotonic() < self.until:
            try:
                if not renew(self.store, self.claim, LIVE_LEASE):
                    return  # finished, failed or taken over
            except OssprovError:
                continue  # a database hiccup: the next beat tries again, the lease has slack for it


_beats: dict[tuple[int, str], _Heartbeat] = {}
_beats_lock = threading.Lock()


def _held_alive(store: Store, claim: Claim | None, lease: float) -> Claim | None:
    """Start the claim's heartbeat (the claim was written with the short LIVE_LEASE)."""
    if claim is not None:
        beat = _Heartbeat(store, claim, time.monotonic() + lease)
        with _beats_lock:
            _beats[(claim.id, claim.owner)] = beat
        beat.start()
    return claim


def _let_go(claim: Claim) -> None:
    with _beats_lock:
        beat = _beats.pop((claim.id, claim.owner), None)
    if beat is not None:
        beat.stopped.set()


def claim_next(store: Store, batch_id: str, owner: str, lease: float) -> Claim | None:
    """Take the oldest queued job of the batch, or None when none is queued. `lease` is the longest the
    claim may be held (heartbeats keep it alive until then)."""
    candidate = (
        select(Job.id)
        .where(Job.batch_id == batch_id, Job.state == "queued")
        .order_by(Job.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    with store.write() as conn:
        claim = _claim(conn, (Job.id == candidate) & (Job.state == "queued"), owner, min(lease, LIVE_LEASE))
    return _held_alive(store, claim, lease)


def claim_job(store: Store, job_id: int, owner: str, lease: float) -> Claim | None:
    """Take one given job if it is queued or abandoned (lease expired, or its owner a dead process of this
    host). A scheduler hands a job out again after losing the worker that had it, maybe before the lease
    lapsed: while another owner holds it, wait (at most about LIVE_LEASE, the time a dead owner's lease takes
    to lapse). None when someone else finishes or keeps it, or it is finished."""
    deadline = time.monotonic() + LIVE_LEASE + 2 * HEARTBEAT
    while True:
        with store.write() as conn:
            row = conn.execute(select(Job.state, Job.lease_owner).where(Job.id == job_id)).first()
            if row is None or row.state in ("done", "failed"):
                return None
            stale = Job.lease_expires < _now()
            if row.lease_owner and owner_is_dead(row.lease_owner):
                stale = stale | (Job.lease_owner == row.lease_owner)
            abandoned = (Job.state == "running") & stale
            claim = _claim(conn, (Job.id == job_id) & ((Job.state == "queued") | abandoned), owner,
                           min(lease, LIVE_LEASE))
        if claim is not None:
            return _held_alive(store, claim, lease)
        if time.monotonic() > deadline:
            return None
        time.sleep(HEARTBEAT / 2)


def _held(claim: Claim) -> Any:
    return (Job.id == claim.id) & (Job.state == "running") & (Job.lease_owner == claim.owner)


def renew(store: Store, claim: Claim, lease: float) -> bool:
    """Push the lease expiry forward; False when the lease was lost."""
    with store.write() as conn:
        result = conn.execute(update(Job).where(_held(claim)).values(lease_expires=_now() + timedelta(seconds=lease)))
        return result.rowcount == 1


def finish(
    store: Store,
    claim: Claim,
    records: Mapping[str, Mapping[str, Any]],
    *,
    refresh: bool,
    reused: bool = False,
    seconds: float | None = None,
) -> bool:
    """Mark the job done and store its results in one transaction; False (and nothing written) when the
    worker no longer holds the lease."""
    _let_go(claim)
    with store.write() as conn:
        done = conn.execute(
            update(Job).where(_held(claim)).values(
                state="done", lease_owner=None, lease_expires=None, reused=reused, seconds=seconds,
                updated_at=_now(), error=None,
            )
        )
        if done.rowcount != 1:
            return False  # nothing was written: the transaction commits empty
        save_results(conn, claim.purl, records, refresh=refresh, job_id=claim.id)
    return True


def fail(store: Store, claim: Claim, error: str, *, seconds: float | None = None) -> bool:
    """Mark the job failed with a one-line reason; False when the lease was lost."""
    reason = redact_text(" ".join(error.split()))[:2000] or "failed"
    _let_go(claim)
    with store.write() as conn:
        result = conn.execute(
            update(Job).where(_held(claim)).values(
                state="failed", lease_owner=None, lease_expires=None, error=reason, seconds=seconds,
                updated_at=_now(),
            )
        )
        return result.rowcount == 1


def reclaim_abandoned(store: Store, batch_id: str) -> int:
    """Queue again the running jobs whose lease expired or whose owner is a dead process of this host."""
    running = (Job.batch_id == batch_id) & (Job.state == "running")
    with store.write() as conn:
        owners = conn.scalars(select(Job.lease_owner).distinct().where(running))
        dead = [o for o in owners if o and owner_is_dead(o)]
        stale = or_(Job.lease_expires < _now(), Job.lease_owner.in_(dead))
        result = conn.execute(
            update(Job).where(running & stale).values(
                state="queued", lease_owner=None, lease_expires=None, updated_at=_now()
            )
        )
        return result.rowcount


def retry_failed(store: Store, batch_id: str) -> int:
    """Queue the failed jobs of the batch again (their reason is kept until a worker claims them)."""
    with store.write() as conn:
        result = conn.execute(
            update(Job).where(Job.batch_id == batch_id, Job.state == "failed").values(state="queued", updated_at=_now())
        )
        return result.rowcount


def counts(store: Store, batch_id: str) -> dict[str, int]:
    """Jobs of the batch by state, plus `reused` (done without running) and `total`."""
    with store.read() as conn:
        rows = conn.execute(select(Job.state, func.count()).where(Job.batch_id == batch_id).group_by(Job.state))
        result = {state: 0 for state in ("queued", "running", "done", "failed")}
        result.update({state: n for state, n in rows})
        result["reused"] = conn.scalar(
            select(func.count()).where(Job.batch_id == batch_id, Job.reused.is_(True))
        ) or 0
    result["total"] = sum(result[s] for s in ("queued", "running", "done", "failed"))
    return result


def failures(store: Store, batch_id: str) -> list[dict[str, Any]]:
    """The failed jobs of the batch with their reasons, in input order."""
    with store.read() as conn:
        rows = conn.execute(
            select(Job.purl, Job.error, Job.attempts).where(Job.batch_id == batch_id, Job.state == "failed").order_by(Job.id)
        )
        return [{"purl": purl, "error": error, "attempts": attempts} for purl, error, attempts in rows]


def queued_ids(store: Store, batch_id: str) -> list[int]:
    with store.read() as conn:
        return list(conn.scalars(select(Job.id).where(Job.batch_id == batch_id, Job.state == "queued").order_by(Job.id)))
