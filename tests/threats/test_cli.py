"""`ossprov squat` end to end through click: output formats, the registry asked only when needed, exit codes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner

from ossprov.commands.squat import command
from ossprov.ecosystems.interface import PackageHistory, VersionInfo
from ossprov.errors import InputError


def _run(*args: str) -> tuple[int, str, BaseException | None]:
    result = CliRunner(env={"COLUMNS": "300"}).invoke(command, list(args))
    return result.exit_code, result.output, result.exception


def test_offline_imitation_is_medium_exit_0() -> None:
    code, out, _ = _run("crossenv", "--ecosystem", "npm", "--offline", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["worst"] == "medium" and doc["hits"][0]["popular"] == "cross-env"


def test_young_squat_is_high_exit_1(fake_registry) -> None:  # type: ignore[no-untyped-def]
    now = dt.datetime.now(dt.UTC).isoformat()
    registry = fake_registry(
        {"mongose": PackageHistory("npm", "mongose", (VersionInfo("1.0.0", now),), ("x",))}
    )
    code, out, _ = _run("pkg:npm/mongose@1.0.0")
    assert code == 1 and "OSP502" in out and registry.asked == ["mongose"]


def test_clean_name_does_not_ask_registry(fake_registry) -> None:  # type: ignore[no-untyped-def]
    registry = fake_registry({})
    code, out, _ = _run("lodash", "--ecosystem", "npm")
    assert code == 0 and registry.asked == [] and "imitates no popular name" in out


def test_not_flagged_pairs_say_why() -> None:
    code, out, _ = _run("types-requests", "--ecosystem", "pypi", "--offline")
    assert code == 0 and "plugin or companion naming" in out


def test_variants_json(fake_registry) -> None:  # type: ignore[no-untyped-def]
    fake_registry({"crossenv": PackageHistory("npm", "crossenv", (), ("a", "b"))})
    code, out, _ = _run(
        "--variants", "cross-env", "--ecosystem", "npm", "--max-queries", "5", "--format", "json"
    )
    doc = json.loads(out)
    assert code == 0 and [v["name"] for v in doc["found"]] == ["crossenv"] and doc["queried"] == 5


def test_update_popular(tmp_path: Path) -> None:
    src = tmp_path / "names.txt"
    src.write_text("my-internal-lib\n")
    code, _, _ = _run("--update-popular", str(src), "--ecosystem", "npm")
    assert code == 0
    code, out, _ = _run("my-internal-lbi", "--ecosystem", "npm", "--offline", "--format", "json")
    assert json.loads(out)["hits"][0]["popular"] == "my-internal-lib"


def test_bad_input_is_input_error() -> None:
    for args in [
        ("lodash",),
        (),
        ("x", "--variants", "y", "--ecosystem", "npm"),
        ("pkg:gem/rails",),
        ("a b", "--ecosystem", "pypi"),
        ("pkg:npm/x", "--ecosystem", "pypi"),
    ]:
        _, _, exc = _run(*args)
        assert isinstance(exc, InputError) and InputError.exit_code == 2, args
