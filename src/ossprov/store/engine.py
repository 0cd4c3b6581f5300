"""Opening the results database: URL rules, connection settings per backend, and migrations on open.

SQLite is the default (one file, many processes of one machine): WAL so that readers never block the writer,
a busy timeout so that concurrent writers wait instead of failing, and `BEGIN IMMEDIATE` for write
transactions so that a transaction takes the write lock before it reads (a deferred transaction that reads
first can fail with SQLITE_BUSY when it upgrades, without waiting). PostgreSQL (psycopg 3) is for many
machines. The schema is brought to the newest migration every time a database is opened.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ossprov.errors import InputError, OssprovError
from ossprov.purls import shown
from ossprov.redaction import redact_url
from ossprov.source.urls import valid_host

BUSY_TIMEOUT_MS = 60_000
WRITE = "ossprov_write"
"""Execution option marking a connection whose transaction writes (SQLite: BEGIN IMMEDIATE)."""
MIGRATION_LOCK = 0x05590B
"""PostgreSQL advisory lock key held while migrating, so that workers opening at once migrate once."""


class StoreError(OssprovError):
    """The results database cannot be reached or used (exit code 3, like any other service failure)."""

    exit_code = 3


def database_url(raw: str) -> URL:
    """The SQLAlchemy URL for a user-given database URL: plain `postgresql://` (or `postgres://`) uses the
    psycopg 3 driver; only SQLite and PostgreSQL are supported."""
    try:
        url = make_url(raw)
        url.port  # noqa: B018 -- parsed lazily: a non-numeric port fails here, not at connect time
        if url.host and not valid_host(url.host.lower()):
            raise ValueError(url.host)
    except (ArgumentError, ValueError):
        raise InputError(f"not a database URL: {shown(redact_url(raw))} (use sqlite:///PATH or "
                         "postgresql://USER@HOST:PORT/DB)") from None
    backend, _, driver = url.drivername.partition("+")
    if backend in ("postgresql", "postgres") and driver in ("", "psycopg"):
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        if not url.database or url.database == ":memory:":
            raise InputError("an SQLite results database must be a file: sqlite:///PATH")
        return url.set(drivername="sqlite")
    raise InputError(f"unsupported database {url.drivername!r}: use sqlite:///PATH or postgresql://...")


def redacted(url: URL) -> str:
    """The URL fit for messages: the password is never shown."""
    return url.render_as_string(hide_password=True)


def _sqlite_engine(url: URL) -> Engine:
    Path(url.database or "").expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a crash loses no committed transaction
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE) else "BEGIN")

    return engine


def make_engine(url: URL) -> Engine:
    """The engine for `url`; StoreError (exit 3) when this environment cannot open it: the PostgreSQL driver
    is not installed, or the SQLite file's directory cannot be made."""
    if url.get_backend_name() == "sqlite":
        try:
            return _sqlite_engine(url)
        except OSError as exc:
            raise StoreError(f"database {redacted(url)}: cannot create its directory: {exc.strerror or exc}") from None
    try:
        # no pool_pre_ping: it costs a round trip per transaction, a third of a batch job's database time
        return create_engine(url, pool_recycle=1800, connect_args={"connect_timeout": 10})
    except ImportError:
        raise StoreError(f"database {redacted(url)}: the PostgreSQL driver psycopg is not installed "
                         "(pip install 'ossprov[postgres]')") from None


def alembic_config() -> Config:
    """Alembic configured for the migrations shipped inside the package (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", "ossprov:migrations")
    return config


def migrate(engine: Engine) -> None:
    """Upgrade the schema to head in one write transaction (serialised between processes)."""
    with engine.connect() as conn:
        conn.execution_options(**{WRITE: True})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            config = alembic_config()
            config.attributes["connection"] = conn
            command.upgrade(config, "head")


@contextmanager
def database_errors(url: URL) -> Iterator[None]:
    """Turn driver failures into a one-line StoreError naming the (redacted) database."""
    try:
        yield
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        message = detail[0] if detail else exc.__class__.__name__
        raise StoreError(f"database {redacted(url)}: {message}") from None
