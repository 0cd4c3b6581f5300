"""What the commands share: output-format options, a progress spinner on stderr, per-package error capture."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import click
from rich.console import Console

from ossprov.errors import OssprovError
from ossprov.model import Severity, VerifyResult

T = TypeVar("T")
stderr = Console(stderr=True)

FAIL_ON = click.Choice(["high", "medium", "low", "never"])


def format_option(*choices: str, default: str = "table") -> Callable:
    return click.option("--format", "fmt", type=click.Choice(list(choices)), default=default, show_default=True,
                        help="Output format.")


@contextmanager
def progress(enabled: bool) -> Iterator[Callable[[str], None]]:
    """A spinner on stderr showing the current step (only on a terminal)."""
    if not enabled or not sys.stderr.isatty():
        yield lambda _msg: None
        return
    with stderr.status("starting") as status:
        yield lambda msg: status.update(msg)


def run_each(items: list[str], fn: Callable[[str], T]) -> tuple[list[T], list[tuple[str, OssprovError]], int]:
    """Apply `fn` to every item; errors are collected (one line each on stderr) instead of stopping the run.
    Returns results, errors, and the highest error exit code (0 when none)."""
    results, errors, code = [], [], 0
    for item in items:
        try:
            results.append(fn(item))
        except OssprovError as exc:
            click.echo(f"ossprov: error: {item}: {exc}", err=True)
            errors.append((item, exc))
            code = max(code, exc.exit_code)
    return results, errors, code


def reaches(severity: Severity | None, fail_on: str) -> bool:
    """Whether a finding of `severity` fails a gate set at `fail_on`."""
    if severity is None or fail_on == "never":
        return False
    return severity.rank >= Severity(fail_on).rank


def artifact_verdicts(results: list[VerifyResult]) -> None:
    """One line per verified file, for releases with several (the panel shows the primary one's files)."""
    for result in results:
        if len(result.artifacts) < 2:
            continue
        click.echo(f"{result.locate.purl}: {result.verdict.value} overall, the worst of {len(result.artifacts)} files")
        for a in result.artifacts:
            shared = f", {a.shared} file(s) shared with an earlier file" if a.shared else ""
            click.echo(f"  {a.artifact.filename:60} {a.verdict.value}{shared}" + (f" ({a.reason})" if a.reason else ""))
