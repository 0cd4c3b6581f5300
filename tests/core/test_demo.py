"""`ossprov demo`, the README's first command: offline, and each package comes out as it should."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import only_result, results


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


@pytest.mark.slow
def test_kept_demo_world_is_served_again(tmp_path: Path) -> None:
    """`demo --keep DIR` says how to use the world it leaves; `demo --serve DIR` brings its registry back on the
    port its packuments name and prints the environment that points ossprov at it."""
    kept = subprocess.run([sys.executable, "-m", "ossprov", "demo", "--keep", str(tmp_path / "w")],
                          capture_output=True, text=True, timeout=300)
    assert kept.returncode == 0, kept.stderr
    assert f"ossprov demo --serve {tmp_path / 'w'}" in kept.stdout
    serve = subprocess.Popen([sys.executable, "-m", "ossprov", "demo", "--serve", str(tmp_path / "w")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert serve.stdout is not None
        env = dict(os.environ)
        for line in serve.stdout:
            if line.startswith("export "):
                key, _, value = line.removeprefix("export ").strip().partition("=")
                env[key] = shlex.split(value)[0]
            elif line.startswith("# then"):
                break
        proc = subprocess.run([sys.executable, "-m", "ossprov", "verify", "pkg:npm/stream-merge@3.3.6", "--format",
                               "json"], capture_output=True, text=True, timeout=120, env=env)
        assert proc.returncode == 1, proc.stderr
        assert only_result(proc.stdout)["verdict"] == "mismatch"
    finally:
        serve.send_signal(signal.SIGINT)
        assert serve.wait(timeout=30) == 130


def test_serve_refuses_a_directory_without_a_kept_world(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "ossprov", "demo", "--serve", str(tmp_path)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2 and "holds no demo world" in proc.stderr and "Traceback" not in proc.stderr
