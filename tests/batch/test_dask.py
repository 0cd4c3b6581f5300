"""The Dask engine on a real LocalCluster (two worker processes) gives the local engine's results."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from ossprov.batch.run import BatchRequest, run_batch
from ossprov.store import Store
from ossprov.store.models import Result

pytest.importorskip("distributed")

FAKE = "tests.batch.fake_runner:run"


def _table(db_url: str) -> set[tuple[str | None, ...]]:
    store = Store.open(db_url)
    with store.read() as conn:
        rows = conn.execute(select(Result.purl, Result.stage, Result.verdict, Result.artifact_sha256,
                                   Result.commit, Result.worst_severity))
        table = {tuple(row) for row in rows}
    store.close()
    return table


@pytest.mark.slow
def test_dask_local_cluster_matches_local_engine(any_db_url: str, tmp_path: Path) -> None:
    purls = [f"pkg:npm/d{i}@1.0.0" for i in range(20)] + ["pkg:npm/fail-d@1", "pkg:pypi/hang@1"]
    local_db = f"sqlite:///{tmp_path / 'local.sqlite'}"
    common = {"purls": purls, "stages": ("locate", "verify"), "runner": FAKE, "workers": 2, "timeout": 3.0}
    local = run_batch(BatchRequest(db_url=local_db, **common))
    dask = run_batch(BatchRequest(db_url=any_db_url, engine="dask", **common))
    assert dask.counts == local.counts and dask.counts["done"] == 20
    assert {f["purl"] for f in dask.failures} == {"pkg:npm/fail-d@1", "pkg:pypi/hang@1"}
    assert "timed out" in next(f["error"] for f in dask.failures if "hang" in f["purl"])
    assert _table(any_db_url) == _table(local_db) and len(_table(local_db)) == 40
    again = run_batch(BatchRequest(db_url=any_db_url, engine="dask", retry_failed=True, **common))
    assert again.resumed and again.processed == 2 and again.counts["done"] == 20
