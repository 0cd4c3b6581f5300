"""A broken environment is one clean line and a documented exit code (2 usage/input, 3 environment/network),
never exit 4, and a password in a database URL is never echoed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.hostile.conftest import ossprov

PASSWORD = "DBPASSWORD-91c2"


def _one_line(proc, code: int, *needles: str) -> None:
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert all(n in proc.stderr for n in needles), proc.stderr
    assert PASSWORD not in proc.stderr + proc.stdout


@pytest.mark.parametrize("url", [f"postgresql://u:{PASSWORD}@db.example:notaport/results",
                                 f"postgresql://u:{PASSWORD}@[db.example/results"])
def test_a_malformed_postgresql_url_is_an_input_error(url: str) -> None:
    _one_line(ossprov("db", "stats", "--db", url, timeout=60), 2, "not a database URL")


def test_a_missing_psycopg_says_how_to_install_it(tmp_path: Path) -> None:
    stub = tmp_path / "stub" / "psycopg"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text("raise ImportError(\"No module named 'psycopg'\")\n")
    env = {"PYTHONPATH": os.pathsep.join([str(stub.parent), os.environ.get("PYTHONPATH", "")])}
    proc = ossprov("db", "stats", "--db", f"postgresql://u:{PASSWORD}@127.0.0.1:1/results", env=env, timeout=60)
    _one_line(proc, 3, "pip install 'ossprov[postgres]'")


def test_an_sqlite_database_in_an_unwritable_place_is_an_environment_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    _one_line(ossprov("db", "stats", "--db", f"sqlite:///{blocker}/sub/results.db", timeout=60), 3, "cannot create")


def test_a_bad_timeout_setting_is_an_input_error() -> None:
    _one_line(ossprov("verify", "pkg:npm/x@1.0.0", env={"OSSPROV_TIMEOUT": "soon"}, timeout=60), 2,
              "OSSPROV_TIMEOUT")
