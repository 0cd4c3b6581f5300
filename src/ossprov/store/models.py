"""The tables of the results database, declared once; the migrations under `ossprov/migrations` create them.

Three concerns share one database because they must change together in one transaction: a stored result and
the job that produced it are written atomically (no result without a finished job, no finished job without
its result), and the rate-limit buckets are shared by every worker that can reach the database.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

JOB_STATES = ("queued", "running", "done", "failed")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Deterministic constraint names, so that migrations can name what they alter on every backend."""


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend: SQLite has no time zones, so it stores naive UTC and this
    type puts the zone back on the way out; comparisons in SQL then agree across backends."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Batch(Base):
    """One run of `ossprov batch` over an input list; `--resume` finds it again by its input digest."""

    __tablename__ = "batches"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    input_digest: Mapped[str] = mapped_column(String(64), index=True)
    """sha256 of the normalised purl list and stage set: the same input resumes the same batch."""
    stages: Mapped[str] = mapped_column(String(200))
    refresh: Mapped[bool] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Job(Base):
    """One package of a batch, and who (if anyone) is working on it until when."""

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("batch_id", "purl"),
        Index("ix_jobs_claim", "batch_id", "state", "id"),
        CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name="state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"))
    purl: Mapped[str] = mapped_column(Text)
    stages: Mapped[str] = mapped_column(String(200))
    """Comma-separated stage names, in pipeline order."""
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    """How often a worker claimed it; more than one after a resume or --retry-failed."""
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    """host/pid/nonce of the worker holding it while `running`."""
    lease_expires: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """After this a running job is presumed abandoned and `--resume` queues it again."""
    error: Mapped[str | None] = mapped_column(Text)
    """Why the last attempt failed (one line)."""
    reused: Mapped[bool] = mapped_column(default=False)
    """True when every requested stage was already in the database for this ossprov version."""
    seconds: Mapped[float | None] = mapped_column(Float)
    """Wall time the stage runner took on the last attempt."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Result(Base):
    """One stage's record for one artifact, as JSON, plus the columns people filter and count by."""

    __tablename__ = "results"
    __table_args__ = (
        UniqueConstraint("purl", "artifact_sha256", "ossprov_version", "stage"),
        Index("ix_results_lookup", "purl", "ossprov_version", "stage"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purl: Mapped[str] = mapped_column(Text)
    artifact_sha256: Mapped[str] = mapped_column(String(64))
    """sha256 of the artifact examined; empty when the stage examined none (not found, unverifiable)."""
    ossprov_version: Mapped[str] = mapped_column(String(32), index=True)
    stage: Mapped[str] = mapped_column(String(16), index=True)
    ecosystem: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(Text, index=True)
    version: Mapped[str] = mapped_column(Text, index=True)
    verdict: Mapped[str | None] = mapped_column(String(40), index=True)
    worst_severity: Mapped[str | None] = mapped_column(String(8), index=True)
    commit: Mapped[str | None] = mapped_column(String(64), index=True)
    repository: Mapped[str | None] = mapped_column(Text, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    job_id: Mapped[int | None] = mapped_column(Integer)
    """The batch job that produced it (None when stored outside a batch)."""
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    """`ossprov.model.to_json` of the stage's record."""


class RateBucket(Base):
    """A token bucket per registry, shared by all workers through the database (see `ratelimit`)."""

    __tablename__ = "rate_buckets"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    rate: Mapped[float] = mapped_column(Float)
    """Tokens added per second."""
    burst: Mapped[float] = mapped_column(Float)
    """Most tokens the bucket holds."""
    tokens: Mapped[float] = mapped_column(Float)
    """Tokens at `updated`; negative when workers have reserved tokens not yet earned."""
    updated: Mapped[float] = mapped_column(Float)
    """Epoch seconds of the last change."""
