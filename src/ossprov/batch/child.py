"""The process that runs the stage function, one item at a time: `python -m ossprov.batch.child RUNNER`.

It exists so that an item can be stopped at its time limit by killing a process (a thread cannot be killed)
without losing the worker that holds the database connection and the lease. Protocol: JSON lines. The child
writes `{"ready": true}` once the runner is imported, then reads `{"purl", "stages"}` and answers
`{"ok": true, "results": ...}` or `{"ok": false, "error": "..."}` per line. The child never touches the
database; when its parent dies, stdin closes and it exits.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Any, BinaryIO

from ossprov.batch.runner import load_callable
from ossprov.errors import OssprovError
from ossprov.model import to_json


def _send(out: BinaryIO, message: dict[str, Any]) -> None:
    out.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")
    out.flush()


def _answer(runner: Any, request: dict[str, Any]) -> dict[str, Any]:
    try:
        results = to_json(runner(request["purl"], list(request["stages"])))
        json.dumps(results)  # refuse what cannot be stored before claiming success
    except OssprovError as exc:
        return {"ok": False, "error": f"{exc}"}
    except Exception as exc:  # the runner's bug is the item's failure, not the batch's
        return {"ok": False, "error": f"internal error: {exc.__class__.__name__}: {exc}"}
    return {"ok": True, "results": results}


def main(runner_path: str) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the worker decides when this process ends
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # whatever the runner prints cannot corrupt the protocol
    sys.stdout = sys.stderr
    try:
        runner = load_callable(runner_path)
    except OssprovError as exc:
        _send(protocol, {"ready": False, "error": str(exc)})
        return 2
    _send(protocol, {"ready": True})
    for line in sys.stdin.buffer:
        _send(protocol, _answer(runner, json.loads(line)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
