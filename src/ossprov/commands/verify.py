"""`ossprov verify`: is the published artifact a faithful build of its source?"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ossprov import gate, stages
from ossprov.commands._common import (
    artifact_verdicts,
    format_option,
    gate_options,
    progress,
    run_each,
    suppress_results,
)
from ossprov.document import verify_document
from ossprov.errors import InputError
from ossprov.model import Verdict, VerifyResult, to_json
from ossprov.report.jsonout import dumps, envelope, error_record
from ossprov.suppress import find as find_suppressions
from ossprov.suppress import load as load_suppressions
from ossprov.suppress import summary as suppression_summary


def _not_checked(result: VerifyResult) -> str | None:
    return (result.reason or "no source repository or commit was found") \
        if result.verdict is Verdict.UNVERIFIABLE else None


@click.command()
@click.argument("purls", nargs=-1, required=True)
@click.option("--artifact", type=click.Path(path_type=Path), help="Verify this local artifact instead of downloading "
              "(matched to the registry's files by digest).")
@click.option("--artifact-filter", metavar="GLOB", help="Verify only the installable files whose name matches "
              "(default: every file a client can install: the sdist and every wheel, the jar and sources jar, ...).")
@format_option("table", "json", "sarif")
@gate_options
def command(purls: tuple[str, ...], artifact: Path | None, artifact_filter: str | None, fmt: str,
            fail_on: str, fail_on_unverifiable: str, suppressions: Path | None) -> None:
    """Compare each PURL's installable files with its source at the pinned commit, file by file.

    Verdicts: faithful, faithful-with-build-output, mismatch, unverifiable, removed (one per file and one
    overall, the worst).
    Exit status: 0 passed the gate; 1 an unsuppressed finding reached --fail-on; 5 not checked (no source
    repository or commit found), unless --fail-on-unverifiable never; 2 bad input; 3 registry, network or git
    failure.
    """
    if artifact is not None and len(purls) > 1:
        raise InputError("--artifact goes with a single PURL")
    rules = load_suppressions(suppressions or find_suppressions(Path.cwd()))
    with progress(fmt == "table") as step:
        results, errors, code = run_each(list(purls), lambda p: stages.verify(p, artifact, step, artifact_filter))
    results, suppressed = suppress_results(results, rules)
    if fmt == "json":
        click.echo(dumps(envelope(
            "verify", [verify_document(r) for r in results],
            [error_record(purl, str(exc), exc.exit_code) for purl, exc in errors],
            suppressed=[{"purl": p, "finding": to_json(f), "justification": j} for p, f, j in suppressed],
            expired_suppressions=[s.origin for s in rules.expired])))
    elif fmt == "sarif":  # each output's module is imported when chosen (the table's pulls in rich)
        from ossprov.report.sarif import Row, Unchecked, sarif

        rows = [Row(f, r.locate.purl) for r in results for f in r.findings]
        rows += [Row(f, purl, suppressed=why) for purl, f, why in suppressed]
        unchecked = [Unchecked(r.locate.purl, why) for r in results if (why := _not_checked(r))]
        unchecked += [Unchecked(purl, str(exc)) for purl, exc in errors]
        click.echo(json.dumps(sarif(rows, unchecked), indent=2))
    else:
        from ossprov.report.table import print_panels, verify_panel

        print_panels([verify_panel(r) for r in results])
        artifact_verdicts(results)
    note = suppression_summary(rules, [len(suppressed)])
    if note:
        click.echo(f"ossprov: {note}", err=True)
    if code or any(r.locate.clone_failed for r in results):
        raise SystemExit(code or 3)
    unchecked_count = sum(1 for r in results if _not_checked(r))
    raise SystemExit(gate.exit_code((r.worst for r in results), unchecked_count, fail_on, fail_on_unverifiable))
