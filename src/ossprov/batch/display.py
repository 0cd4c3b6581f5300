"""What a person sees of a batch: a live progress line on stderr while it runs, then a summary table (or the
same summary as JSON on stdout)."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ossprov.batch.inputs import InvalidLine
from ossprov.batch.run import BatchSummary

FAILURES_SHOWN = 20


class LiveProgress:
    """A rich progress bar fed with job counts (done/failed/remaining and the rate since it started)."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("[bold]batch"),
            BarColumn(),
            TextColumn("{task.fields[line]}"),
            TimeElapsedColumn(),
            console=console,
            disable=not console.is_terminal,
        )
        self._task = self._progress.add_task("batch", total=None, line="starting")
        self._first: int | None = None

    def __enter__(self) -> LiveProgress:
        self._progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._progress.stop()

    def update(self, counts: dict[str, int]) -> None:
        finished = counts["done"] + counts["failed"]
        if self._first is None:
            self._first = finished
        elapsed = self._progress.tasks[0].elapsed or 0.0
        rate = 60.0 * (finished - self._first) / elapsed if elapsed > 0 else 0.0
        remaining = counts["queued"] + counts["running"]
        line = (f"done {counts['done']}  failed {counts['failed']}  remaining {remaining}"
                f"  ({counts['running']} running)  {rate:.0f}/min")
        self._progress.update(self._task, total=counts["total"], completed=finished, line=line)


def summary_json(summary: BatchSummary, invalid: list[InvalidLine]) -> dict[str, Any]:
    return {
        "batch": summary.batch,
        "resumed": summary.resumed,
        "engine": summary.engine,
        "workers": summary.workers,
        "database": summary.database,
        "counts": summary.counts,
        "processed": summary.processed,
        "seconds": round(summary.seconds, 3),
        "per_minute": round(summary.per_minute, 1),
        "failures": summary.failures,
        "invalid": [{"line": i.line, "text": i.text, "reason": i.reason} for i in invalid],
    }


def summary_table(summary: BatchSummary, invalid: list[InvalidLine]) -> list[Table]:
    counts = summary.counts
    table = Table(title=f"batch {summary.batch}{' (resumed)' if summary.resumed else ''}", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for label, value in (
        ("packages", counts["total"]),
        ("done", counts["done"]),
        ("  of which reused", counts["reused"]),
        ("failed", counts["failed"]),
        ("not finished", counts["queued"] + counts["running"]),
        ("invalid lines", len(invalid)),
        ("processed this run", summary.processed),
        ("time", f"{summary.seconds:.1f}s"),
        ("rate", f"{summary.per_minute:.1f}/min with {summary.workers} {summary.engine} worker(s)"),
        ("database", summary.database),
    ):
        table.add_row(label, str(value))
    tables = [table]
    if summary.failures:
        failed = Table(title=f"failed ({len(summary.failures)}; retry with --retry-failed)")
        for column in ("purl", "attempts", "reason"):
            failed.add_column(column)
        for item in summary.failures[:FAILURES_SHOWN]:
            failed.add_row(item["purl"], str(item["attempts"]), item["error"] or "")
        tables.append(failed)
    return tables
