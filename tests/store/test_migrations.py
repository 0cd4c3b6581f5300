"""The schema comes from the migrations, and the migrations match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from ossprov.store import Store
from ossprov.store.engine import alembic_config
from ossprov.store.models import Base


def test_open_upgrades_an_empty_database_to_head(db_url: str) -> None:
    store = Store.open(db_url)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with store.read() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head
        assert {"results", "jobs", "batches", "rate_buckets"} <= set(inspect(conn).get_table_names())
    Store.open(db_url).close()  # opening again is a no-op upgrade
    store.close()


def test_models_match_the_migrations(db_url: str) -> None:
    store = Store.open(db_url)
    with store.read() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    store.close()
    assert diff == []
