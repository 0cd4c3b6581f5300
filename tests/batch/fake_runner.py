"""Fake stage runners for batch tests: records shaped like the pipeline's, with behaviour chosen by purl or
environment (sleep, fail, hang, crash, noisy stdout). Loaded by dotted path in the batch's runner processes."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any


def record(purl: str, stage: str) -> dict[str, Any]:
    """A JSON record like `to_json(VerifyResult)` (verify) or `to_json(LocateResult)` (other stages)."""
    sha = hashlib.sha256(purl.encode()).hexdigest()
    locate = {
        "purl": purl,
        "repository": {"url": f"https://git.example.test/{purl.split('/')[-1].split('@')[0]}", "subdir": ""},
        "commit": hashlib.sha1(purl.encode()).hexdigest(),
        "artifact": {"filename": "pkg.tgz", "sha256": sha, "source": "test"},
    }
    if stage == "verify":
        return {"locate": locate, "verdict": "faithful", "findings": [
            {"severity": "low", "rule": "OSP1", "path": None, "message": "m"},
            {"severity": "medium", "rule": "OSP2", "path": None, "message": "m"}]}
    return locate


def _log(purl: str) -> None:
    """Append the start of a run to OSSPROV_TEST_RUNLOG: tests count runs and measure spacing."""
    path = os.environ.get("OSSPROV_TEST_RUNLOG")
    if path:
        with Path(path).open("a") as log:
            log.write(json.dumps({"purl": purl, "t": time.time(), "pid": os.getpid()}) + "\n")


def run(purl: str, stages: list[str]) -> dict[str, Any]:
    """Sleeps OSSPROV_TEST_SLEEP seconds; misbehaves when the purl's name says so."""
    _log(purl)
    time.sleep(float(os.environ.get("OSSPROV_TEST_SLEEP", "0")))
    if "fail" in purl and not os.environ.get("OSSPROV_TEST_HEAL"):
        raise ValueError(f"cannot handle {purl}")
    if "hang" in purl:
        time.sleep(3600)
    if "crash" in purl:
        os._exit(9)
    if "noisy" in purl:
        print("not json at all")
        sys.stdout.flush()
    return {stage: record(purl, stage) for stage in stages}
