"""`ossprov practices`: score a repository's practices with the OpenSSF Scorecard checks, from a local clone."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ossprov.model import to_json
from ossprov.practices.records import INCONCLUSIVE, PracticesResult
from ossprov.practices.runner import assess, osv_export
from ossprov.report.jsonout import dumps, envelope
from ossprov.stages import Settings, run_stages

DETAILS_SHOWN = 3


def _table(result: PracticesResult) -> None:
    console = Console(highlight=False)
    where = f"files at {result.commit[:12]}"
    if result.head and result.head != result.commit:
        where += f" (the release), history up to {result.head[:12]} (the default branch)"
    console.print(f"[bold]{result.repository}[/bold]: {where}")
    table = Table("Check", "Score", "Risk", "Reason")
    for check in result.checks:
        score = "?" if check.score == INCONCLUSIVE else str(check.score)
        reason = check.reason
        for detail in check.details[:DETAILS_SHOWN]:
            at = f"{detail.path}:{detail.line}" if detail.path and detail.line else detail.path
            reason += f"\n  · {at + ': ' if at else ''}{detail.message}"
        if len(check.details) > DETAILS_SHOWN:
            reason += f"\n  · … {len(check.details) - DETAILS_SHOWN} more (--format json)"
        table.add_row(check.name, score, check.risk.value, reason)
    console.print(table)
    overall = "n/a" if result.score is None else f"{result.score}/10"
    console.print(f"Aggregate score: [bold]{overall}[/bold]"
                  + (f" (left out: {', '.join(result.excluded)})" if result.excluded else ""))
    if result.package:
        pkg = result.package
        console.print(f"Package {pkg.name}: latest release {pkg.latest_release or 'unknown'}, "
                      f"{len(pkg.maintainers)} maintainer(s), deprecated: {pkg.deprecated}, yanked: {pkg.yanked}")
        for change in pkg.maintainer_changes:
            console.print(f"  maintainers changed {change.previous_version} → {change.version}: "
                          f"+{', '.join(change.added) or '-'} −{', '.join(change.removed) or '-'}")


@click.command(name="practices")
@click.argument("target")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--github-token-env", "token_env", default="GITHUB_TOKEN", show_default=True, metavar="NAME",
              help="Environment variable holding a GitHub token; enables the checks that need the GitHub API.")
@click.option("--osv", "osv", type=click.Path(path_type=Path), default=None, metavar="PATH",
              help="OSV export (directory or zip of OSV JSON) for the Vulnerabilities check [env OSSPROV_OSV_DATA].")
def command(target: str, fmt: str, token_env: str, osv: Path | None) -> None:
    """Score the practices of a repository (PURL, REPO_URL or PATH) with the OpenSSF Scorecard checks."""
    if target.startswith("pkg:"):
        run = run_stages(target, ["practices"], Settings(token_env=token_env, osv=osv_export(osv)))
        run.require("practices")
        assert run.practices is not None
        result = run.practices
    else:
        result = assess(target, token_env=token_env, osv=osv)
    if fmt == "json":
        click.echo(dumps(envelope("practices", [to_json(result)])))
    else:
        _table(result)
