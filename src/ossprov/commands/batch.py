"""`ossprov batch`: verify a list of packages, resumably, on this machine or a Dask cluster."""

from __future__ import annotations

import json
import os
import sys
from typing import IO

import click
from rich.console import Console

from ossprov.batch.display import LiveProgress, summary_json, summary_table
from ossprov.batch.engines import ENGINES
from ossprov.batch.inputs import parse_rates, parse_stages, read_lines, read_purls
from ossprov.batch.run import BatchRequest, run_batch
from ossprov.batch.runner import DEFAULT_RUNNER, RUNNER_ENV
from ossprov.errors import InputError


@click.command("batch")
@click.argument("source", metavar="FILE|-", type=click.File("r", encoding="utf-8"))
@click.option("--db", "db_url", metavar="URL", help="Results database (default: OSSPROV_DB or data dir SQLite).")
@click.option("--workers", type=click.IntRange(1, 512), default=min(4, os.cpu_count() or 1), show_default=True)
@click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True)
@click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler, e.g. tcp://host:8786 (default: a local cluster).")
@click.option("--stages", default="locate,verify", show_default=True, help="Comma-separated: locate,verify,rebuild,practices.")
@click.option("--resume", is_flag=True, help="Continue the latest batch of this same input.")
@click.option("--retry-failed", is_flag=True, help="Continue it and run its failed packages again.")
@click.option("--refresh", is_flag=True, help="Recompute results already in the database.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=900.0, show_default=True,
              help="Seconds one package may take; its runner process is killed after that.")
@click.option("--rate", "rates", multiple=True, metavar="NAME=REQ/S",
              help="Packages started per second for registry NAME (npm, pypi, ...), shared by all workers.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def command(
    source: IO[str], db_url: str | None, workers: int, engine: str, scheduler: str | None, stages: str,
    resume: bool, retry_failed: bool, refresh: bool, timeout: float, rates: tuple[str, ...], fmt: str,
) -> None:
    """Run the stages for every package URL in FILE (one per line, # comments; - for stdin).

    Work is queued in the results database: an interrupted batch (Ctrl-C, kill, lost machine) continues
    with --resume, without losing or repeating a result. Exit code 1 when a package failed.
    """
    if scheduler and engine != "dask":
        raise InputError("--scheduler needs --engine dask")
    purls, invalid = read_purls(read_lines(source))
    err = Console(stderr=True)
    for item in invalid:
        click.echo(f"ossprov: line {item.line}: skipped invalid purl {item.text!r}: {item.reason}", err=True)
    if not purls:
        raise InputError("no valid package URL in the input")
    request = BatchRequest(
        purls=purls, stages=parse_stages(stages), runner=os.environ.get(RUNNER_ENV) or DEFAULT_RUNNER,
        db_url=db_url, workers=workers, engine=engine, scheduler=scheduler, resume=resume,
        retry_failed=retry_failed, refresh=refresh, timeout=timeout, rates=parse_rates(rates),
    )
    with LiveProgress(err) as progress:
        summary = run_batch(request, progress.update)
    if fmt == "json":
        click.echo(json.dumps(summary_json(summary, invalid), indent=2))
    else:
        for table in summary_table(summary, invalid):
            Console().print(table)
    if summary.counts["failed"]:
        sys.exit(1)  # SystemExit passes through click's non-standalone main unchanged
