"""`ossprov db`: look into and tidy the results database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ossprov.atomic import atomic_write
from ossprov.store import Store
from ossprov.store.results import STAGES, export_rows, prune, stats

DB_OPTION = click.option("--db", "db_url", metavar="URL", help="Results database (default: OSSPROV_DB or data dir SQLite).")
FORMAT_OPTION = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)


@click.group("db")
def command() -> None:
    """Inspect, export and prune the results database."""


@command.command("stats")
@DB_OPTION
@FORMAT_OPTION
def stats_command(db_url: str | None, fmt: str) -> None:
    """Result counts by verdict, ecosystem and stage."""
    store = Store.open(db_url)
    try:
        figures = stats(store)
    finally:
        store.close()
    if fmt == "json":
        click.echo(json.dumps({"database": store.display_url, **figures}, indent=2))
        return
    console = Console()
    console.print(f"{figures['results']} results in {store.display_url}", markup=False)
    for group in ("verdict", "ecosystem", "stage"):
        table = Table(title=f"by {group}")
        table.add_column(group)
        table.add_column("results", justify="right")
        for key, count in figures[group].items():
            table.add_row(key, str(count))
        console.print(table)


@command.command("export")
@DB_OPTION
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
@click.option("--stage", type=click.Choice(STAGES), help="Only results of this stage.")
@click.option("--ecosystem", metavar="TYPE", help="Only results of this purl type (npm, pypi, ...).")
def export_command(db_url: str | None, output: Path | None, stage: str | None, ecosystem: str | None) -> None:
    """Every result as JSON lines (indexed columns plus the full record under `result`)."""
    store = Store.open(db_url)
    try:
        lines = (json.dumps(row, separators=(",", ":")) for row in export_rows(store, stage=stage, ecosystem=ecosystem))
        if output is None:
            for line in lines:
                click.echo(line)
        else:
            atomic_write(output, "".join(line + "\n" for line in lines).encode())
    finally:
        store.close()


@command.command("prune")
@DB_OPTION
@click.option("--older-than", type=click.FloatRange(min=0), metavar="DAYS", help="Results created more than DAYS ago.")
@click.option("--other-versions", is_flag=True, help="Results made by an ossprov version other than this one.")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
def prune_command(db_url: str | None, older_than: float | None, other_versions: bool, dry_run: bool) -> None:
    """Delete old results, or those of other ossprov versions (either criterion selects)."""
    cutoff = datetime.now(UTC) - timedelta(days=older_than) if older_than is not None else None
    store = Store.open(db_url)
    try:
        count = prune(store, older_than=cutoff, other_versions=other_versions, dry_run=dry_run)
    finally:
        store.close()
    click.echo(f"{'would delete' if dry_run else 'deleted'} {count} result(s)")
