"""The results database against real SQLite (and PostgreSQL when configured): URLs, settings, results."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update

from ossprov.errors import InputError
from ossprov.store import Store, StoreError
from ossprov.store.engine import database_url
from ossprov.store.models import Result
from ossprov.store.results import export_rows, index_columns, prune, save_results, stats, stored_stages
from tests.batch.fake_runner import record

PURL = "pkg:npm/%40scope/left-pad@1.3.0"


@pytest.mark.parametrize("given", ["postgresql://u:p@h/db", "postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"])
def test_postgres_urls_use_psycopg3(given: str) -> None:
    assert database_url(given).drivername == "postgresql+psycopg"


@pytest.mark.parametrize("given", ["mysql://h/db", "sqlite://", "sqlite:///:memory:", "not a url", "postgresql+asyncpg://h/d"])
def test_unsupported_urls_are_input_errors(given: str) -> None:
    with pytest.raises(InputError):
        database_url(given)


def test_unreachable_database_is_one_line_without_password() -> None:
    with pytest.raises(StoreError) as caught:
        Store.open("postgresql://user:hunter2@127.0.0.1:9/nodb")
    assert "hunter2" not in str(caught.value) and "***" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_sqlite_is_wal_with_busy_timeout(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'deep' / 'r.sqlite'}")
    with store.read() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 1000
    store.close()


def test_default_database_is_in_the_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OSSPROV_DB", raising=False)
    monkeypatch.setenv("OSSPROV_DATA", str(tmp_path))
    monkeypatch.setenv("OSSPROV_CONFIG", str(tmp_path / "none.toml"))
    Store.open().close()
    assert (tmp_path / "results.sqlite").is_file()


def test_index_columns_come_from_the_record() -> None:
    columns = index_columns(PURL, "verify", record(PURL, "verify"))
    assert columns["ecosystem"] == "npm" and columns["name"] == "@scope/left-pad" and columns["version"] == "1.3.0"
    assert columns["verdict"] == "faithful" and columns["worst_severity"] == "medium"
    assert len(columns["commit"]) == 40 and columns["repository"].endswith("/left-pad")
    assert len(columns["artifact_sha256"]) == 64


def test_index_columns_tolerate_hostile_records() -> None:
    hostile = {"locate": [1, 2], "verdict": 7, "findings": [{"severity": "apocalyptic"}, "x", None]}
    columns = index_columns(PURL, "verify", hostile)
    assert columns["verdict"] is None and columns["worst_severity"] is None and columns["artifact_sha256"] == ""


def _count(store: Store) -> int:
    with store.read() as conn:
        return conn.scalar(select(func.count()).select_from(Result)) or 0


def test_results_are_reused_unless_refreshed(db_url: str) -> None:
    store = Store.open(db_url)
    first = record(PURL, "verify")
    with store.write() as conn:
        save_results(conn, PURL, {"verify": first, "locate": record(PURL, "locate")})
    with store.write() as conn:  # same key again: the stored one stays
        save_results(conn, PURL, {"verify": {**first, "verdict": "mismatch"}})
    with store.read() as conn:
        assert stored_stages(conn, PURL, ["locate", "verify", "rebuild"]) == {"locate", "verify"}
        assert conn.scalar(select(Result.verdict).where(Result.stage == "verify")) == "faithful"
    with store.write() as conn:
        save_results(conn, PURL, {"verify": {**first, "verdict": "mismatch"}}, refresh=True)
    with store.read() as conn:
        assert conn.scalar(select(Result.verdict).where(Result.stage == "verify")) == "mismatch"
    assert _count(store) == 2
    store.close()


def test_a_failing_write_leaves_nothing(db_url: str) -> None:
    store = Store.open(db_url)
    with pytest.raises((StoreError, TypeError), match="not JSON serializable"), store.write() as conn:
        save_results(conn, PURL, {"locate": record(PURL, "locate")})
        save_results(conn, "pkg:npm/other@1", {"verify": {"verdict": object()}})
    assert _count(store) == 0
    store.close()


def test_stats_export_and_prune(db_url: str, tmp_path: Path) -> None:
    store = Store.open(db_url)
    with store.write() as conn:
        save_results(conn, PURL, {"verify": record(PURL, "verify"), "locate": record(PURL, "locate")})
        save_results(conn, "pkg:pypi/requests@2.31.0", {"locate": record("pkg:pypi/requests@2.31.0", "locate")},
                     ossprov_version="0.0.1")
        conn.execute(update(Result).where(Result.stage == "locate", Result.ecosystem == "npm")
                     .values(created_at=datetime.now(UTC) - timedelta(days=40)))
    figures = stats(store)
    assert figures["results"] == 3
    assert figures["ecosystem"] == {"npm": 2, "pypi": 1}
    assert figures["verdict"] == {"none": 2, "faithful": 1}
    rows = list(export_rows(store, stage="verify"))
    assert len(rows) == 1 and rows[0]["result"]["verdict"] == "faithful"
    json.dumps(rows)
    with pytest.raises(InputError):
        prune(store)
    assert prune(store, other_versions=True, dry_run=True) == 1
    assert prune(store, other_versions=True) == 1
    assert prune(store, older_than=datetime.now(UTC) - timedelta(days=30)) == 1
    assert _count(store) == 1
    store.close()


def test_db_command_line(db_url: str, tmp_path: Path) -> None:
    store = Store.open(db_url)
    with store.write() as conn:
        save_results(conn, PURL, {"verify": record(PURL, "verify")})
    store.close()

    def ossprov(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ossprov", "db", *args, "--db", db_url],
                              capture_output=True, text=True, timeout=60, check=False)

    shown = ossprov("stats", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["stage"] == {"verify": 1}
    out = tmp_path / "export.jsonl"
    assert ossprov("export", "-o", str(out)).returncode == 0
    assert [json.loads(line)["purl"] for line in out.read_text().splitlines()] == [PURL]
    refused = ossprov("prune")
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert ossprov("prune", "--older-than", "0").stdout.strip() == "deleted 1 result(s)"
