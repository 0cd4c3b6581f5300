"""Run the real CLI in a subprocess bounded in time and memory, and look for a secret everywhere it could leak."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

MEMORY_LIMIT = 2 << 30
"""Address space for the ossprov process (git children inherit it): far above a normal run, far below what
reading /dev/zero into memory or parsing a hostile document without bounds would take."""


def limits() -> None:
    """preexec_fn of every process a hostile test starts: the address-space bound."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def ossprov(*args: str, timeout: float = 120, env: dict[str, str] | None = None,
            stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m ossprov ARGS` as a user runs it, killed if it outlives `timeout` or its memory bound."""
    return subprocess.run([sys.executable, "-m", "ossprov", *args], capture_output=True, text=True,
                          timeout=timeout, preexec_fn=limits, env={**os.environ, **(env or {})}, input=stdin)


def leaks(secret: str, proc: subprocess.CompletedProcess[str], *roots: Path, served: bool = False) -> list[str]:
    """Where `secret` shows up: the process's output, or the name or bytes of any file under `roots` (caches,
    databases, logs, exports). `served`: the registry itself serves the secret inside its documents, which the
    metadata cache (`cache/http/`) keeps verbatim as the artifact cache keeps files; only their names count."""
    found = [stream for stream, text in (("stdout", proc.stdout), ("stderr", proc.stderr)) if secret in text]
    needle = secret.encode()
    for root in roots:
        for path in root.rglob("*") if root.exists() else ():
            if secret in path.name:
                found.append(f"name {path}")
            elif served and "http" in path.relative_to(root).parts[:2]:
                continue
            elif path.is_file() and not path.is_symlink() and needle in path.read_bytes():
                found.append(f"content {path}")
    return found
