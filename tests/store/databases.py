"""Real databases for store and batch tests: a fresh SQLite file always, and a fresh PostgreSQL database
per test when OSSPROV_TEST_PG_URL names a server (its database is only used to create and drop others)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_ENV = "OSSPROV_TEST_PG_URL"
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=[
        pytest.mark.postgres,
        pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} not set"),
    ]),
]


def _pg_database(admin_url: str) -> Iterator[str]:
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"ossprov_t_{secrets.token_hex(6)}"
    base = make_url(admin_url).set(drivername="postgresql")
    conninfo = base.render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'results.sqlite'}"
    else:
        yield from _pg_database(os.environ[PG_ENV])


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database, on each backend available."""
    yield from database_url(request.param, tmp_path)


@pytest.fixture
def any_db_url(tmp_path: Path) -> Iterator[str]:
    """One empty database: PostgreSQL when available (the backend made for many workers), else SQLite."""
    yield from database_url("postgresql" if os.environ.get(PG_ENV) else "sqlite", tmp_path)
