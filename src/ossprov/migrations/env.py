"""Alembic environment for the results database. ossprov runs it programmatically (`ossprov.store.engine.
migrate`) with an open connection in `config.attributes["connection"]`; the `alembic` command line works too
when given `-x url=...`."""

from __future__ import annotations

from typing import Literal

from alembic import context
from sqlalchemy import Connection

from ossprov.store.engine import database_url, make_engine
from ossprov.store.models import Base, UTCDateTime


def _render_item(type_: str, obj: object, autogen_context: object) -> str | Literal[False]:
    """Migrations spell column types in plain SQLAlchemy, so that they never depend on today's model code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("give the database with: alembic -x url=sqlite:///PATH ...")
    engine = make_engine(database_url(url))
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run them against a database")
_main()
