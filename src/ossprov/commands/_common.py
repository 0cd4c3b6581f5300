"""What the commands share: output-format options, a progress spinner on stderr, per-package error capture."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import click

from ossprov import gate
from ossprov.errors import OssprovError
from ossprov.model import Finding, VerifyResult
from ossprov.purls import shorten
from ossprov.suppress import Suppressions

T = TypeVar("T")

FAIL_ON = click.Choice(list(gate.FAIL_ON))


def gate_options(fn: Callable) -> Callable:
    """`--fail-on`, `--fail-on-unverifiable` and `--suppressions`: the CI-gate options every checking command
    shares (exit codes in `ossprov.gate`)."""
    fn = click.option("--suppressions", type=click.Path(path_type=Path, dir_okay=False), default=None,
                      help="Reviewed exceptions (TOML); default: .ossprov.toml in the project, up to the "
                           "repository root.")(fn)
    fn = click.option("--fail-on-unverifiable", type=click.Choice(list(gate.FAIL_ON_UNVERIFIABLE)),
                      default="always", show_default=True,
                      help=f"Exit {gate.NOT_CHECKED} when a package could not be checked (no source found, "
                           "registry or clone failure); `never` lets such packages pass.")(fn)
    return click.option("--fail-on", type=FAIL_ON, default="high", show_default=True,
                        help=f"Exit {gate.FINDINGS} when an unsuppressed finding reaches this severity.")(fn)


def format_option(*choices: str, default: str = "table") -> Callable:
    return click.option("--format", "fmt", type=click.Choice(list(choices)), default=default, show_default=True,
                        help="Output format.")


@contextmanager
def progress(enabled: bool) -> Iterator[Callable[[str], None]]:
    """A spinner on stderr showing the current step (only on a terminal)."""
    if not enabled or not sys.stderr.isatty():
        yield lambda _msg: None
        return
    from rich.console import Console  # imported only for a terminal: a CI log or a pipe has no spinner

    with Console(stderr=True).status("starting") as status:
        yield lambda msg: status.update(msg)


def run_each(items: list[str], fn: Callable[[str], T]) -> tuple[list[T], list[tuple[str, OssprovError]], int]:
    """Apply `fn` to every item; errors are collected (one line each on stderr) instead of stopping the run.
    Returns results, errors, and the highest error exit code (0 when none)."""
    results, errors, code = [], [], 0
    for item in items:
        try:
            results.append(fn(item))
        except OssprovError as exc:
            click.echo(f"ossprov: error: {shorten(item)}: {exc}", err=True)
            errors.append((item, exc))
            code = max(code, exc.exit_code)
    return results, errors, code


def artifact_verdicts(results: list[VerifyResult]) -> None:
    """One line per verified file, for releases with several (the panel shows the primary one's files)."""
    for result in results:
        if len(result.artifacts) < 2:
            continue
        click.echo(f"{result.locate.purl}: {result.verdict.value} overall, the worst of {len(result.artifacts)} files")
        for a in result.artifacts:
            shared = f", {a.shared} file(s) shared with an earlier file" if a.shared else ""
            click.echo(f"  {a.artifact.filename:60} {a.verdict.value}{shared}" + (f" ({a.reason})" if a.reason else ""))


def suppress_results(results: list[VerifyResult], rules: Suppressions
                     ) -> tuple[list[VerifyResult], list[tuple[str, Finding, str]]]:
    """The results without the findings reviewed suppressions cover, and those findings (purl, finding,
    justification), which every output reports."""
    kept: list[VerifyResult] = []
    gone: list[tuple[str, Finding, str]] = []
    for result in results:
        standing, covered = rules.split(result.locate.purl, result.findings)
        kept.append(replace(result, findings=tuple(standing)) if covered else result)
        gone += [(result.locate.purl, f, why) for f, why in covered]
    return kept, gone
