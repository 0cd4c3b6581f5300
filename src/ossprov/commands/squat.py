"""`ossprov squat`: is a name imitating a popular package (reverse lookup), which imitations of a popular
name exist (forward lookup, `--variants`), and loading a newer popular-names list (`--update-popular`).

Exit codes: 0 nothing high, 1 a high finding (usable as a gate), 2 bad input, 3 registry failure.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ossprov import ecosystems
from ossprov.errors import InputError
from ossprov.model import Severity, to_json
from ossprov.purls import package_name, parse_purl
from ossprov.threats import names
from ossprov.threats.popular import install_update
from ossprov.threats.squat import SquatReport, reverse_lookup
from ossprov.threats.variants import DEFAULT_MAX_QUERIES, VariantReport, forward_lookup

NOT_FLAGGED_SHOWN = 10


def _target(text: str, ecosystem: str | None) -> tuple[str, str]:
    """(ecosystem, name) from a purl or a name plus --ecosystem."""
    if text.startswith("pkg:"):
        purl = parse_purl(text, require_version=False)
        if purl.type not in names.ECOSYSTEMS:
            raise InputError(f"squat checks cover {', '.join(names.ECOSYSTEMS)}, not {purl.type!r}")
        if ecosystem and ecosystem != purl.type:
            raise InputError(f"--ecosystem {ecosystem} contradicts the purl's type {purl.type}")
        return purl.type, names.validate(purl.type, package_name(purl))
    if not ecosystem:
        raise InputError("give --ecosystem (npm, pypi, nuget, maven) or a purl such as pkg:npm/NAME")
    return ecosystem, names.validate(ecosystem, text)


def _reverse(ecosystem: str, name: str, offline: bool) -> SquatReport:
    """Judge the name; ask the registry about it only when some popular name is imitated."""
    report = reverse_lookup(ecosystem, name)
    if offline or not any(h.flagged for h in report.hits):
        return report
    try:
        registry = ecosystems.get(ecosystem)
    except InputError as exc:
        return reverse_lookup(ecosystem, name, registry={"asked": False, "note": str(exc)})
    history = registry.history(report.canonical)
    facts: dict[str, object] = {"asked": True, "exists": history is not None}
    if history is not None:
        facts.update(
            first_release=history.first_release,
            maintainers=list(history.maintainers),
            repository=history.repository,
        )
    repo = history.repository if history else None
    return reverse_lookup(ecosystem, name, history, repo, facts)


def _ratio(value: float | None, lower_bound: bool) -> str:
    if value is None:
        return "unknown"
    text = f"{value:,.0f}" if value >= 10 else f"{value:.1f}"
    return ("≥" if lower_bound else "") + text + "×"


def _print_reverse(report: SquatReport, console: Console) -> None:
    flagged = [h for h in report.hits if h.flagged]
    passed = [h for h in report.hits if not h.flagged]
    if flagged:
        table = Table(title=f"{report.canonical} ({report.ecosystem}) imitates")
        for col in ("popular name", "family", "distance", "popularity ratio", "why"):
            table.add_column(col)
        for h in flagged:
            table.add_row(
                h.popular, h.family.value, str(h.distance), _ratio(h.ratio, h.ratio_is_lower_bound), h.reason
            )
        console.print(table)
    else:
        console.print(f"{report.canonical} ({report.ecosystem}): imitates no popular name")
    if passed:
        table = Table(title="near popular names, not flagged")
        for col in ("popular name", "family", "why not"):
            table.add_column(col)
        for h in passed[:NOT_FLAGGED_SHOWN]:
            table.add_row(h.popular, h.family.value, h.reason)
        console.print(table)
        if len(passed) > NOT_FLAGGED_SHOWN:
            console.print(f"… and {len(passed) - NOT_FLAGGED_SHOWN} more (--format json lists all)")
    if report.registry.get("asked") and not report.registry.get("exists"):
        console.print("The registry does not know this name.")
    elif report.registry.get("note"):
        console.print(f"Registry not asked: {report.registry['note']}")
    for f in report.findings:
        console.print(f"[bold]{f.severity.value}[/bold] {f.rule}: {f.message}")
    _footnote(report.snapshot.source, report.snapshot.date, report.snapshot.origin, console)


def _print_forward(report: VariantReport, console: Console) -> None:
    table = Table(title=f"variants of {report.popular} ({report.ecosystem}) that exist")
    for col in ("variant", "family", "first release", "maintainers", "same repository", "severity"):
        table.add_column(col)
    for v in report.found:
        same = {True: "yes", False: "no", None: "unknown"}[v.same_repository]
        table.add_row(
            v.name,
            v.family.value,
            v.first_release or "unknown",
            ", ".join(v.maintainers) or "-",
            same,
            v.worst.value if v.worst else "-",
        )
    console.print(table)
    console.print(
        f"{report.generated} variants generated, {report.queried} registry look-ups (limit {report.max_queries});"
        f" popular variants not queried: {', '.join(report.popular_peers) or 'none'}"
    )
    for v in report.found:
        for f in v.findings:
            console.print(f"[bold]{f.severity.value}[/bold] {f.rule}: {f.message}")


def _footnote(source: str, date: str, origin: str, console: Console) -> None:
    console.print(f"[dim]popular names: {source}, {date} ({origin})[/dim]")


@click.command("squat")
@click.argument("name", required=False)
@click.option("--ecosystem", type=click.Choice(names.ECOSYSTEMS), help="Needed unless NAME is a purl.")
@click.option(
    "--variants",
    "variants_of",
    metavar="POPULAR_NAME",
    help="Forward lookup: the variants of POPULAR_NAME that exist in the registry.",
)
@click.option(
    "--max-queries",
    type=click.IntRange(2, 1000),
    default=DEFAULT_MAX_QUERIES,
    show_default=True,
    help="Registry look-ups a forward lookup may make.",
)
@click.option(
    "--update-popular",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Load a newer popular-names list (JSON rows or one name a line) for --ecosystem.",
)
@click.option("--offline", is_flag=True, help="Judge the name alone; do not ask the registry.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def command(
    name: str | None,
    ecosystem: str | None,
    variants_of: str | None,
    max_queries: int,
    update_popular: Path | None,
    offline: bool,
    fmt: str,
) -> None:
    """Typo-squat check: is NAME (or PURL) imitating a popular package? Exit 1 on a high finding."""
    if sum(x is not None for x in (name, variants_of, update_popular)) != 1:
        raise InputError("give exactly one of NAME/PURL, --variants POPULAR_NAME or --update-popular FILE")
    console = Console()
    if update_popular is not None:
        if not ecosystem:
            raise InputError("--update-popular needs --ecosystem")
        info = install_update(update_popular, ecosystem)
        if fmt == "json":
            click.echo(json.dumps(to_json(info), indent=2))
        else:
            console.print(f"loaded {info.count} {ecosystem} names ({info.metric}) into {info.origin}")
        return
    if variants_of is not None:
        eco, popular = _target(variants_of, ecosystem)
        forward = forward_lookup(eco, popular, max_queries)
        worst = forward.worst
        if fmt == "json":
            click.echo(json.dumps(to_json(forward), indent=2))
        else:
            _print_forward(forward, console)
    else:
        eco, target = _target(name or "", ecosystem)
        report = _reverse(eco, target, offline)
        worst = report.worst
        if fmt == "json":
            doc = to_json(report)
            doc["worst"] = worst.value if worst else None
            click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        else:
            _print_reverse(report, console)
    if worst is Severity.HIGH:
        sys.exit(1)
