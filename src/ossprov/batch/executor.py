"""The worker's side of `ossprov.batch.child`: hand an item to the child process, wait at most the time
limit, and kill the child (starting a fresh one for the next item) when the limit passes or it dies."""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from ossprov.errors import InputError

READY_TIMEOUT = 120.0
"""Seconds a new child may take to import the runner (the first import of the pipeline is slow)."""


@dataclass(frozen=True)
class Outcome:
    ok: bool
    results: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    seconds: float = 0.0


class _ChildGone(Exception):
    """The child ended or broke the protocol."""


class ItemExecutor:
    """One child process at a time, reused from item to item while it behaves."""

    def __init__(self, runner: str) -> None:
        self.runner = runner
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = bytearray()

    def ready(self) -> subprocess.Popen[bytes]:
        """The running child, started (and waited for) if there is none."""
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)  # the runner imports as it does here
        debug = bool(os.environ.get("OSSPROV_DEBUG"))
        proc = subprocess.Popen(
            [sys.executable, "-m", "ossprov.batch.child", self.runner],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None if debug else subprocess.DEVNULL,
            env=env, bufsize=0, start_new_session=True,  # its own process group: killed with its git children
        )
        self._proc, self._buffer = proc, bytearray()
        ready = self._read(proc, time.monotonic() + READY_TIMEOUT)
        if ready is None or not ready.get("ready"):
            self.close()
            detail = ready.get("error") if ready else "it did not start in time"
            raise InputError(f"stage runner {self.runner!r} cannot run: {detail}")
        return proc

    def _read(self, proc: subprocess.Popen[bytes], deadline: float) -> dict[str, Any] | None:
        """The next message, or None at the deadline; _ChildGone when the child ends or talks nonsense."""
        assert proc.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    return None
                chunk = os.read(proc.stdout.fileno(), 1 << 20)
                if not chunk:
                    raise _ChildGone(f"runner process exited with code {proc.wait()}")
                self._buffer += chunk
        line, _, rest = bytes(self._buffer).partition(b"\n")
        self._buffer = bytearray(rest)
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            raise _ChildGone("runner process sent something that is not JSON") from None
        if not isinstance(message, dict):
            raise _ChildGone("runner process sent something that is not a JSON object")
        return message

    def run(self, purl: str, stages: list[str], timeout: float) -> Outcome:
        """Run one item in the child, killed at `timeout` seconds."""
        proc = self.ready()
        assert proc.stdin is not None
        started = time.monotonic()
        try:
            proc.stdin.write(json.dumps({"purl": purl, "stages": stages}).encode() + b"\n")
            message = self._read(proc, started + timeout)
        except (BrokenPipeError, _ChildGone) as exc:
            self.close()
            return Outcome(False, error=str(exc) or "runner process exited", seconds=time.monotonic() - started)
        elapsed = time.monotonic() - started
        if message is None:
            self.close()
            return Outcome(False, error=f"timed out after {timeout:g}s (runner process killed)", seconds=elapsed)
        if not message.get("ok"):
            return Outcome(False, error=str(message.get("error") or "failed"), seconds=elapsed)
        results = message.get("results")
        if not isinstance(results, dict):
            return Outcome(False, error="stage runner returned no mapping of stage to record", seconds=elapsed)
        return Outcome(True, results=results, seconds=elapsed)

    def close(self) -> None:
        """Kill the child (if any) and reap it."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # the runner and whatever it started (git clone, npm)
        proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()
