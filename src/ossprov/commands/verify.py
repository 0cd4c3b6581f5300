"""`ossprov verify`: is the published artifact a faithful build of its source?"""

from __future__ import annotations

from pathlib import Path

import click

from ossprov import stages
from ossprov.commands._common import FAIL_ON, artifact_verdicts, format_option, progress, reaches, run_each
from ossprov.document import verify_document
from ossprov.errors import InputError
from ossprov.model import Finding, Verdict
from ossprov.report.jsonout import dumps
from ossprov.report.sarif import sarif
from ossprov.report.table import print_panels, verify_panel


@click.command()
@click.argument("purls", nargs=-1, required=True)
@click.option("--artifact", type=click.Path(path_type=Path), help="Verify this local artifact instead of downloading "
              "(matched to the registry's files by digest).")
@click.option("--artifact-filter", metavar="GLOB", help="Verify only the installable files whose name matches "
              "(default: every file a client can install: the sdist and every wheel, the jar and sources jar, ...).")
@format_option("table", "json", "sarif")
@click.option("--fail-on", type=FAIL_ON, default="high", show_default=True,
              help="Exit 1 when a finding reaches this severity (an unverifiable package fails too, unless never).")
def command(purls: tuple[str, ...], artifact: Path | None, artifact_filter: str | None, fmt: str,
            fail_on: str) -> None:
    """Compare each PURL's installable files with its source at the pinned commit, file by file.

    Verdicts: faithful, faithful-with-build-output, mismatch, unverifiable, removed (one per file and one
    overall, the worst).
    Exit status: 0 passed the gate, 1 a finding reached --fail-on (or unverifiable), 2 bad input, 3 network.
    """
    if artifact is not None and len(purls) > 1:
        raise InputError("--artifact goes with a single PURL")
    with progress(fmt == "table") as step:
        results, _errors, code = run_each(list(purls), lambda p: stages.verify(p, artifact, step, artifact_filter))
    if fmt == "json":
        click.echo(dumps([verify_document(r) for r in results]) if results else "[]")
    elif fmt == "sarif":
        import json

        rows: list[tuple[Finding, str, str | None, int | None]] = [
            (f, r.locate.purl, None, None) for r in results for f in r.findings]
        click.echo(json.dumps(sarif(rows), indent=2))
    else:
        print_panels([verify_panel(r) for r in results])
        artifact_verdicts(results)
    if code or any(r.locate.clone_failed for r in results):
        raise SystemExit(code or 3)
    failed = any(reaches(r.worst, fail_on) or (r.verdict is Verdict.UNVERIFIABLE and fail_on != "never")
                 for r in results)
    raise SystemExit(1 if failed else 0)
