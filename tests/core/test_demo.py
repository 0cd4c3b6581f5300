"""`ossprov demo`, the README's first command: offline, and each package comes out as it should."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import results


def test_demo_verdicts() -> None:
    proc = subprocess.run([sys.executable, "-m", "ossprov", "demo", "--format", "json"], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    verdicts = {d["purl"]: d["verdict"] for d in results(proc.stdout)}
    assert verdicts == {
        "pkg:npm/tiny-pad@1.0.0": "faithful",
        "pkg:npm/typed-greet@2.0.0": "faithful-with-build-output",
        "pkg:npm/stream-merge@3.3.6": "mismatch",
        "pkg:npm/quiet-util@0.4.0": "faithful",
        "pkg:pypi/snakeoil@1.0": "faithful",
    }
    evil = next(d for d in results(proc.stdout) if d["purl"] == "pkg:npm/stream-merge@3.3.6")
    rules = {(f["rule"], f["path"]) for f in evil["findings"] if f["severity"] == "high"}
    assert {("OSP111", "package.json"), ("OSP113", "package.json"), ("OSP102", "lib/setup.js")} <= rules
