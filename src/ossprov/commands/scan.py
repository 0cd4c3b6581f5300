"""`ossprov scan`: verify every package of a lockfile, SBOM or directory of them."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ossprov.commands._common import FAIL_ON, format_option, reaches
from ossprov.document import verify_document
from ossprov.model import Finding, Severity
from ossprov.report.cyclonedx import render_cyclonedx
from ossprov.report.html import render_html
from ossprov.report.sarif import sarif
from ossprov.scan.discover import read_path
from ossprov.scan.items import CATEGORIES, ScanItem
from ossprov.scan.run import ScanOptions, scan
from ossprov.store.database import Store


def _worst(item: ScanItem) -> Severity | None:
    return max((f.severity for f in item.findings), key=lambda s: s.rank, default=None)


def _summary(items: list[ScanItem]) -> None:
    console = Console()
    counts = {c: sum(1 for i in items if i.category == c) for c in CATEGORIES}
    console.print("  ".join(f"{c}: {n}" for c, n in counts.items() if n) or "no packages")
    table = Table("package", "verdict", "high", "medium", "first finding", header_style="bold")
    ordered = sorted(items, key=lambda i: (-(worst.rank if (worst := _worst(i)) else -1), i.dependency.purl))
    for item in ordered:
        highs = sum(f.severity is Severity.HIGH for f in item.findings)
        mediums = sum(f.severity is Severity.MEDIUM for f in item.findings)
        first = next(iter(sorted(item.findings, key=lambda f: -f.severity.rank)), None)
        table.add_row(item.dependency.purl, item.category, str(highs), str(mediums),
                      (first.message if first else item.error or "")[:90])
    console.print(table)


def _json(items: list[ScanItem]) -> str:
    out = []
    for item in items:
        doc = verify_document(item.result, item.stages) if item.result else {"purl": item.dependency.purl,
                                                                             "verdict": None, **item.stages}
        doc["lockfile"] = {"file": item.dependency.location.file, "line": item.dependency.location.line}
        doc["error"] = item.error
        doc["reused"] = item.reused
        doc["findings"] = [*doc.get("findings", []), *({"severity": f.severity.value, "rule": f.rule, "path": f.path,
                                                         "message": f.message} for f in item.extra_findings)]
        out.append(doc)
    return json.dumps(out, indent=2)


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@format_option("table", "json", "sarif", "cyclonedx", "html")
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write the report here instead of stdout.")
@click.option("--fail-on", type=FAIL_ON, default="high", show_default=True,
              help="Exit 1 when any package has a finding at this severity.")
@click.option("--rebuild", is_flag=True, help="Also rebuild every package in the sandbox.")
@click.option("--practices", is_flag=True, help="Also score every package's repository practices.")
@click.option("--db", "db_url", metavar="URL", help="Results database (default: OSSPROV_DB or the data dir SQLite).")
@click.option("--no-db", is_flag=True, help="Neither read nor store results in the database.")
@click.option("--refresh", is_flag=True, help="Verify again packages whose result is already in the database.")
def command(path: Path, fmt: str, output: Path | None, fail_on: str, rebuild: bool, practices: bool,
            db_url: str | None, no_db: bool, refresh: bool) -> None:
    """Verify every package (transitive ones included) of a lockfile, SBOM, or a directory holding them.

    Reads package-lock.json, npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml, requirements.txt, poetry.lock,
    uv.lock, Pipfile.lock, pylock.toml, packages.lock.json, CycloneDX and SPDX SBOMs. Digests the lockfile
    records are checked against the artifacts served now.
    """
    parsed = read_path(path)
    deps = list(parsed.dependencies)
    store = None if no_db else Store.open(db_url)
    options = ScanOptions(stages=tuple(s for s, on in (("rebuild", rebuild), ("practices", practices)) if on),
                          refresh=refresh)
    with Progress(TextColumn("[bold]scan"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                  TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("", total=len(deps))
        items = scan(deps, lambda item: bar.update(task, advance=1, description=item.dependency.purl), store, options)
    if store is not None:
        store.close()
    if fmt == "table":
        _summary(items)
        text = None
    elif fmt == "json":
        text = _json(items)
    elif fmt == "sarif":
        rows: list[tuple[Finding, str, str | None, int | None]] = [
            (f, i.dependency.purl, i.dependency.location.file, i.dependency.location.line)
            for i in items for f in i.findings]
        text = json.dumps(sarif(rows), indent=2)
    elif fmt == "cyclonedx":
        text = render_cyclonedx(items)
    else:
        text = render_html(items, skipped=parsed.skipped)
    if text is not None:
        if output:
            output.write_text(text, encoding="utf-8")
        else:
            click.echo(text)
    raise SystemExit(1 if any(reaches(_worst(i), fail_on) for i in items) else 0)
