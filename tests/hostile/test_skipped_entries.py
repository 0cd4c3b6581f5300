"""Entries a scan does not verify (a `file:` dependency, an absurd name) are recorded with where and why, in
the JSON form every report format is to carry (`Skipped.record`)."""

from __future__ import annotations

import json
from pathlib import Path

from ossprov.scan.discover import read_path


def test_skipped_entries_are_recorded_with_file_line_and_reason(tmp_path: Path) -> None:
    lock = tmp_path / "package-lock.json"
    lock.write_text(json.dumps({"name": "app", "lockfileVersion": 3, "packages": {
        "": {"name": "app"},
        "node_modules/local-thing": {"version": "1.0.0", "resolved": "file:../local-thing"},
        "node_modules/" + "n" * 5000: {"version": "1.0.0"}}}, indent=2))
    parsed = read_path(lock)
    records = [s.record() for s in parsed.skipped]
    assert not parsed.dependencies
    assert records[0] == {"entry": "local-thing", "file": str(lock), "line": 8, "reason": "local path dependency"}
    assert records[1]["reason"].startswith("package name of 5000 characters") and len(records[1]["entry"]) < 200
