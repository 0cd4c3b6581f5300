"""Per-registry rate limits shared by every worker of every machine, as token buckets in the database.

Why the database: it is the one thing all workers already share (the local process pool and Dask workers on
other machines alike), so no extra service (Redis, a Dask semaphore tied to one scheduler) is needed and the
limit survives restarts. Why a token bucket with reservation: one short write transaction per request, no
polling. A worker takes a token even when the bucket is empty, driving it negative, and sleeps until that
token would have been earned; concurrent takers queue up behind each other in order. With PostgreSQL the
database clock is used, so machines with skewed clocks still share one timeline.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from sqlalchemy import Connection, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from ossprov.store.database import Store
from ossprov.store.models import RateBucket


def _clock(conn: Connection) -> float:
    if conn.dialect.name == "postgresql":
        return float(conn.scalar(text("SELECT extract(epoch FROM clock_timestamp())")))
    return time.time()


def configure(store: Store, rates: Mapping[str, float]) -> None:
    """Create or update the buckets: `rate` requests per second, evenly spaced (a burst of one: registries
    punish bursts, and a batch gains nothing from them over its hours)."""
    if not rates:
        return
    with store.write() as conn:
        now = _clock(conn)
        rows = [{"name": n, "rate": r, "burst": 1.0, "tokens": 1.0, "updated": now}
                for n, r in rates.items()]
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(RateBucket)
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["name"], set_={"rate": statement.excluded.rate, "burst": statement.excluded.burst}
            ),
            rows,
        )


def reserve(store: Store, name: str) -> float:
    """Take one token from bucket `name`; the seconds to wait before using it (0 when none is configured)."""
    with store.write() as conn:
        bucket = conn.execute(
            select(RateBucket).where(RateBucket.name == name).with_for_update()
        ).mappings().first()
        if bucket is None:
            return 0.0
        now = _clock(conn)
        rate = bucket["rate"]
        tokens = min(bucket["burst"], bucket["tokens"] + max(0.0, now - bucket["updated"]) * rate) - 1.0
        conn.execute(update(RateBucket).where(RateBucket.name == name).values(tokens=tokens, updated=now))
    return -tokens / rate if tokens < 0 else 0.0


def acquire(store: Store, name: str) -> float:
    """Wait for a token of bucket `name`; returns the seconds waited."""
    wait = reserve(store, name)
    if wait > 0:
        time.sleep(wait)
    return wait
