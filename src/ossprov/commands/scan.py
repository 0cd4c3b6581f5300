"""`ossprov scan`: verify every package of a lockfile, SBOM or directory of them."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ossprov import gate
from ossprov.commands._common import format_option, gate_options
from ossprov.config import PROJECT_DIR
from ossprov.document import verify_document
from ossprov.model import Finding, Severity, Verdict, to_json
from ossprov.report.cyclonedx import render_cyclonedx
from ossprov.report.html import render_html
from ossprov.report.jsonout import dumps, envelope, error_record
from ossprov.report.sarif import Row, Unchecked, sarif
from ossprov.scan.discover import read_path
from ossprov.scan.items import CATEGORIES, ScanItem
from ossprov.scan.parsers.base import ParseResult
from ossprov.scan.run import ScanOptions, scan
from ossprov.store.database import Store
from ossprov.suppress import Suppressions
from ossprov.suppress import find as find_suppressions
from ossprov.suppress import load as load_suppressions
from ossprov.suppress import summary as suppression_summary
from ossprov.verdict import worst


def _unchecked(item: ScanItem) -> str | None:
    """Why a package counts as not checked (the gate fails closed on it), or None when it was checked."""
    if item.result is None:
        return item.error or "not verified"
    if item.result.verdict is Verdict.UNVERIFIABLE:
        return item.result.reason or "no source repository or commit could be established"
    return None


def _suppress(item: ScanItem, rules: Suppressions) -> tuple[ScanItem, list[tuple[Finding, str]]]:
    """The item without the findings a reviewed suppression covers, and those findings with its justification."""
    if not rules.active:
        return item, []
    kept_result, gone_result = rules.split(item.dependency.purl, item.result.findings if item.result else ())
    kept_extra, gone_extra = rules.split(item.dependency.purl, item.extra_findings)
    result = replace(item.result, findings=tuple(kept_result)) if item.result else None
    return replace(item, result=result, extra_findings=tuple(kept_extra)), gone_result + gone_extra


def _summary(items: list[ScanItem], suppressed: int, note: str | None) -> None:
    console = Console()
    counts = {c: sum(1 for i in items if i.status == c) for c in CATEGORIES}
    console.print("  ".join(f"{c}: {n}" for c, n in counts.items() if n) or "no packages")
    table = Table("package", "status", "high", "med", "first finding", header_style="bold")
    table.columns[0].overflow = "fold"  # a purl is never cut: its version is what the reader needs
    table.columns[0].min_width = 24
    table.columns[4].overflow = "ellipsis"
    ordered = sorted(items, key=lambda i: (-max((f.severity.rank for f in i.findings), default=-1),
                                           i.dependency.purl))
    for item in ordered:
        highs = sum(f.severity is Severity.HIGH for f in item.findings)
        mediums = sum(f.severity is Severity.MEDIUM for f in item.findings)
        first = next(iter(sorted(item.findings, key=lambda f: -f.severity.rank)), None)
        table.add_row(item.dependency.purl, item.status, str(highs), str(mediums),
                      (first.message if first else _unchecked(item) or "")[:200])
    console.print(table)
    for line in (f"{suppressed} finding(s) suppressed" if suppressed else None, note):
        if line:
            console.print(line, style="dim")


def _result_doc(item: ScanItem) -> dict[str, Any]:
    doc: dict[str, Any] = verify_document(item.result, item.stages) if item.result else {
        "purl": item.dependency.purl, "verdict": None, "error": item.error, **item.stages}
    doc["status"] = item.status
    doc["lockfile"] = {"file": item.dependency.location.file, "line": item.dependency.location.line}
    doc["reused"] = item.reused
    doc["findings"] = [*doc.get("findings", []), *(to_json(f) for f in item.extra_findings)]
    return doc


def _json(items: list[ScanItem], suppressed: list[tuple[str, Finding, str]], parsed: ParseResult,
          rules: Suppressions) -> str:
    errors = [error_record(i.dependency.purl, i.error or "", gate.NOT_CHECKED) for i in items if i.result is None]
    return dumps(envelope(
        "scan", [_result_doc(i) for i in items], errors,
        suppressed=[{"purl": p, "finding": to_json(f), "justification": j} for p, f, j in suppressed],
        expired_suppressions=[s.origin for s in rules.expired],
        skipped=[s.record() for s in parsed.skipped],
        summary={c: sum(1 for i in items if i.status == c) for c in CATEGORIES},
    ))


def _repository_root(path: Path) -> Path:
    """The folder code scanning resolves SARIF paths against: the enclosing git work tree, else the cwd."""
    start = (path if path.is_dir() else path.parent).resolve()
    return next((p for p in (start, *start.parents) if (p / ".git").exists()), Path.cwd().resolve())


def _sarif_path(scanned: Path, file: str) -> str:
    base = (scanned if scanned.is_dir() else scanned.parent).resolve()
    target = (base / file).resolve() if not Path(file).is_absolute() else Path(file)
    try:
        return target.relative_to(_repository_root(scanned)).as_posix()
    except ValueError:
        return target.as_uri()


def _skipped_lines(parsed: ParseResult) -> list[str]:
    return [f"{s.location.file}{':' + str(s.location.line) if s.location.line else ''}: {s.entry} ({s.reason})"
            for s in parsed.skipped]


def _sarif(items: list[ScanItem], suppressed: list[tuple[str, Finding, str]], scanned: Path,
           parsed: ParseResult) -> str:
    where = {i.dependency.purl: i.dependency.location for i in items}

    def at(purl: str) -> tuple[str | None, int | None]:
        location = where.get(purl)
        return (_sarif_path(scanned, location.file), location.line) if location else (None, None)

    rows = [Row(f, i.dependency.purl, *at(i.dependency.purl)) for i in items for f in i.findings]
    rows += [Row(f, purl, *at(purl), suppressed=why) for purl, f, why in suppressed]
    unchecked = [Unchecked(i.dependency.purl, reason, *at(i.dependency.purl))
                 for i in items if (reason := _unchecked(i))]
    return json.dumps(sarif(rows, unchecked, _skipped_lines(parsed)), indent=2)


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@format_option("table", "json", "sarif", "cyclonedx", "html")
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write the report here instead of stdout.")
@gate_options
@click.option("--rebuild", is_flag=True, help="Also rebuild every package in the sandbox.")
@click.option("--practices", is_flag=True, help="Also score every package's repository practices.")
@click.option("--db", "db_url", metavar="URL", help="Results database (default: OSSPROV_DB or the data dir SQLite).")
@click.option("--no-db", is_flag=True, help="Neither read nor store results in the database.")
@click.option("--refresh", is_flag=True, help="Verify again packages whose result is already in the database.")
def command(path: Path, fmt: str, output: Path | None, fail_on: str, fail_on_unverifiable: str,
            suppressions: Path | None, rebuild: bool, practices: bool, db_url: str | None, no_db: bool,
            refresh: bool) -> None:
    """Verify every package (transitive ones included) of a lockfile, SBOM, or a directory holding them.

    Reads package-lock.json, npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml, requirements.txt, poetry.lock,
    uv.lock, Pipfile.lock, pylock.toml, packages.lock.json, CycloneDX and SPDX SBOMs. Digests the lockfile
    records are checked against the artifacts served now.

    Exit status: 0 passed the gate; 1 an unsuppressed finding reached --fail-on; 5 a package could not be
    checked (unless --fail-on-unverifiable never); 2 bad input; 4 internal error.
    """
    rules = load_suppressions(suppressions or find_suppressions(path))
    parsed = read_path(path)
    deps = list(parsed.dependencies)
    store = None if no_db else Store.open(db_url)
    options = ScanOptions(stages=tuple(s for s, on in (("rebuild", rebuild), ("practices", practices)) if on),
                          refresh=refresh)
    with Progress(TextColumn("[bold]scan"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                  TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("", total=len(deps))
        project = PROJECT_DIR.set((path if path.is_dir() else path.parent).resolve())  # its .npmrc applies
        try:
            items = scan(deps, lambda item: bar.update(task, advance=1, description=item.dependency.purl), store,
                         options)
        finally:
            PROJECT_DIR.reset(project)
    if store is not None:
        store.close()
    suppressed: list[tuple[str, Finding, str]] = []
    for n, item in enumerate(items):
        items[n], gone = _suppress(item, rules)
        suppressed += [(item.dependency.purl, f, why) for f, why in gone]
    note = suppression_summary(rules, [len(suppressed)])
    if note:
        click.echo(f"ossprov: {note}", err=True)
    if fmt == "table":
        skipped = _skipped_lines(parsed)
        _summary(items, len(suppressed), f"{len(skipped)} entries not verified (not registry packages): "
                 + "; ".join(skipped[:5]) if skipped else None)
        text = None
    elif fmt == "json":
        text = _json(items, suppressed, parsed, rules)
    elif fmt == "sarif":
        text = _sarif(items, suppressed, path, parsed)
    elif fmt == "cyclonedx":
        text = render_cyclonedx(items, project=path.resolve().name)
    else:
        text = render_html(items, skipped=parsed.skipped)
    if text is not None:
        if output:
            output.write_text(text, encoding="utf-8")
        else:
            click.echo(text)
    unchecked = [i for i in items if _unchecked(i)]
    if unchecked:
        click.echo(f"ossprov: could not check {len(unchecked)} package(s): "
                   + ", ".join(i.dependency.purl for i in unchecked[:5]), err=True)
    raise SystemExit(gate.exit_code((worst(i.findings) for i in items), len(unchecked), fail_on, fail_on_unverifiable))
