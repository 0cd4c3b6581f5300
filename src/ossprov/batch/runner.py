"""The stage work of one batch item, and how a batch finds the function that does it.

The function is named by a dotted path (`module:function`), so that tests and benchmarks can put a fake in
its place (OSSPROV_BATCH_RUNNER) and so that it can be imported by name in a fresh process on any machine.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

from ossprov.errors import InputError
from ossprov.model import to_json

DEFAULT_RUNNER = "ossprov.batch.runner:run_item"
RUNNER_ENV = "OSSPROV_BATCH_RUNNER"

Runner = Callable[[str, list[str]], dict[str, Any]]
"""run(purl, stages) -> {stage: JSON-ready record}, one entry per requested stage."""

STAGE_FUNCTIONS = {
    "locate": "ossprov.pipeline:locate",
    "verify": "ossprov.pipeline:verify",
    "rebuild": "ossprov.pipeline:rebuild",
    "practices": "ossprov.pipeline:practices",
}
"""Each stage is a pipeline entry point `f(purl) -> record`."""


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
    """Run the requested stages for one purl. Verify already locates, so when both are asked the locate
    record is taken from the verify record instead of locating twice."""
    records: dict[str, Any] = {}
    for stage in stages:
        if stage == "locate" and "verify" in stages:
            continue
        records[stage] = load_callable(STAGE_FUNCTIONS[stage])(purl)
    if "locate" in stages and "verify" in stages:
        records["locate"] = records["verify"].locate
    return {stage: to_json(records[stage]) for stage in stages}
