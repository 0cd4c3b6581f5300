"""The stage work of one batch item, and how a batch finds the function that does it.

The function is named by a dotted path (`module:function`), so that tests and benchmarks can put a fake in
its place (OSSPROV_BATCH_RUNNER) and so that it can be imported by name in a fresh process on any machine.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

from ossprov.errors import InputError

DEFAULT_RUNNER = "ossprov.batch.runner:run_item"
RUNNER_ENV = "OSSPROV_BATCH_RUNNER"

Runner = Callable[[str, list[str]], dict[str, Any]]
"""run(purl, stages) -> {stage: JSON-ready record}, one entry per requested stage."""


def load_callable(path: str) -> Callable[..., Any]:
    """The object named by `module:attr` (or `module.attr`); InputError when it cannot be had."""
    module_name, sep, attr = path.partition(":")
    if not sep:
        module_name, _, attr = path.rpartition(".")
    if not module_name or not attr:
        raise InputError(f"not a dotted path to a function: {path!r} (use module:function)")
    try:
        target = getattr(importlib.import_module(module_name), attr)
    except ImportError as exc:
        raise InputError(f"cannot import {module_name!r} for {path!r}: {exc}") from None
    except AttributeError:
        raise InputError(f"{module_name!r} has no {attr!r}") from None
    if not callable(target):
        raise InputError(f"{path!r} is not callable")
    return target


def run_item(purl: str, stages: Sequence[str]) -> dict[str, Any]:
    """Run the requested stages for one purl through the stage runner (each stage's work done once)."""
    from ossprov.stages import documents, run_stages  # the stages load in the child, not the parent

    return documents(run_stages(purl, stages))
