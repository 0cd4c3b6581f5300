"""`Store`: one opened results database, with the two kinds of transaction the rest of the code uses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import URL

from ossprov.config import settings
from ossprov.store.engine import WRITE, database_errors, database_url, make_engine, migrate, redacted


class Store:
    """An opened database. `write()` and `read()` each yield a connection inside one transaction that commits
    when the block ends and rolls back on any exception, so nothing is ever half-written."""

    def __init__(self, url: URL, engine: Engine) -> None:
        self.url = url
        self.engine = engine

    @classmethod
    def open(cls, url: str | None = None, *, upgrade: bool = True) -> Store:
        """Open `url` (default: `settings().db_url`) and, unless told not to, migrate it to the newest schema."""
        parsed = database_url(url or settings().db_url)
        store = cls(parsed, make_engine(parsed))
        if upgrade:
            with database_errors(parsed):
                migrate(store.engine)
        return store

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def display_url(self) -> str:
        return redacted(self.url)

    @property
    def connect_url(self) -> str:
        """The full URL (with password) for handing to worker processes; never print it."""
        return self.url.render_as_string(hide_password=False)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        with database_errors(self.url), self.engine.connect() as conn:
            conn.execution_options(**{WRITE: True})
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with database_errors(self.url), self.engine.connect() as conn, conn.begin():
            yield conn

    def close(self) -> None:
        self.engine.dispose()
