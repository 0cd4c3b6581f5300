"""Deadlines: how long a request, a git call and a whole package may take, whatever the other side does.

A per-read timeout does not bound a server that sends one byte every second; a deadline does. The package
deadline is set once around the work for one package (`package_deadline()`); every request and git call takes
the earlier of its own deadline and the package's, so a package never runs past its budget.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from ossprov.errors import DeadlineError

_package_end: ContextVar[float | None] = ContextVar("ossprov_package_deadline", default=None)


@contextmanager
def package_deadline(seconds: float | None = None) -> Iterator[None]:
    """Everything inside ends by `seconds` from now (default: the configured `package_deadline`).
    Nested deadlines only shorten, never extend."""
    if seconds is None:
        from ossprov.config import settings
        seconds = settings().package_deadline
    end = time.monotonic() + seconds
    outer = _package_end.get()
    token = _package_end.set(end if outer is None else min(end, outer))
    try:
        yield
    finally:
        _package_end.reset(token)


def end_of(seconds: float) -> float:
    """The monotonic time by which an operation allowed `seconds` must end, the package deadline included."""
    end = time.monotonic() + seconds
    outer = _package_end.get()
    return end if outer is None else min(end, outer)


def left(end: float, what: str) -> float:
    """Seconds until `end`; DeadlineError naming `what` once it has passed."""
    remaining = end - time.monotonic()
    if remaining <= 0:
        raise DeadlineError(f"{what} did not finish within its deadline")
    return remaining
