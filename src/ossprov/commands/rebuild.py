"""`ossprov rebuild PURL`: locate the source, rebuild it in a sandbox, compare with the published artifact.

Exit codes as for verify: 0 when the rebuild reproduces the artifact (bit-for-bit or after stabilising) and no
finding reaches --fail-on; 1 when it does not (differs, build-failed, unbuildable) or a finding does.
"""

from __future__ import annotations

import datetime
import os
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ossprov import gate
from ossprov.attest import ATTESTABLE, load_signing_key, rebuild_statement, write_statements
from ossprov.commands._common import FAIL_ON, progress
from ossprov.errors import InputError
from ossprov.report.jsonout import dumps, envelope
from ossprov.report.table import print_panels, verify_panel
from ossprov.stages import Settings, run_document, run_stages
from ossprov.verify.rebuild import RebuildOptions, RebuildResult


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _table(purl: str, located: str, result: RebuildResult) -> None:
    console = Console()
    table = Table(title=f"rebuild of {purl}", show_header=False)
    table.add_row("source", located)
    table.add_row("outcome", f"[bold]{result.outcome.value}[/bold]" + (f" ({result.reason})" if result.reason else ""))
    if result.recipe:
        table.add_row("recipe", "\n".join(" ".join(s.argv) for s in result.recipe.steps))
        for note in result.recipe.notes:
            table.add_row("note", note)
    if result.raw_equal is not None:
        table.add_row("raw / stabilised", f"{'equal' if result.raw_equal else 'different'} / "
                                          f"{'equal' if result.stabilized_equal else 'different'}")
    for s in result.stabilizers:
        table.add_row("stabiliser", f"{s.name}{' (needed)' if s.needed else ''}")
    for d in result.differences[:50]:
        table.add_row(d.status.value, f"{d.path}: {d.reason}")
    for f in result.findings:
        table.add_row(f.severity.value, f"{f.rule} {f.message}")
    if result.log_tail and result.failed_phase:
        table.add_row(f"log ({result.failed_phase})", result.log_tail)
    if result.workdir:
        table.add_row("work dir", result.workdir)
    console.print(table)


@click.command("rebuild")
@click.argument("purl")
@click.option("--artifact", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Use this file as the published artifact instead of downloading it.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--attest", type=click.Path(dir_okay=False, path_type=Path),
              help="Write an in-toto statement (SLSA provenance v1) for a successful rebuild, as JSON lines.")
@click.option("--keep-workdir", is_flag=True, help="Keep the build directory and print where it is.")
@click.option("--no-sandbox", is_flag=True, help="Build without bubblewrap isolation (runs the package's code "
              "with your files and network).")
@click.option("--offline", is_flag=True, help="No network for the build at all, not even to install dependencies.")
@click.option("--recipe", "recipe_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="TOML file overriding (or supplying) the build recipe.")
@click.option("--sign-key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Sign the --attest statement with this ECDSA P-256 private key (PEM): a DSSE envelope.")
@click.option("--sign-key-password-env", metavar="NAME",
              help="Environment variable holding the signing key's password, if it has one.")
@click.option("--fail-on", type=FAIL_ON, default="high", show_default=True,
              help="Exit 1 when a finding (static or from the rebuild) reaches this severity.")
def command(purl: str, artifact: Path | None, fmt: str, attest: Path | None, keep_workdir: bool, no_sandbox: bool,
            offline: bool, recipe_file: Path | None, sign_key: Path | None, sign_key_password_env: str | None,
            fail_on: str) -> None:
    """Rebuild PURL from its source in a sandbox and compare the result with the published artifact."""
    if sign_key is not None and attest is None:
        raise InputError("--sign-key signs the --attest statement: give --attest FILE too")
    password = os.environ.get(sign_key_password_env) if sign_key_password_env else None
    key = load_signing_key(sign_key.read_bytes(), password.encode() if password else None) if sign_key else None
    options = RebuildOptions(sandbox=not no_sandbox, offline=offline, keep_workdir=keep_workdir,
                             recipe_file=recipe_file)
    started = _now()
    with progress(fmt == "table") as step:
        run = run_stages(purl, ["rebuild"], Settings(artifact=artifact, rebuild=options, progress=step))
    result, located, primary = run.rebuild, run.verify, run.primary
    assert result is not None and located is not None and primary is not None
    if attest is not None:
        if result.outcome in ATTESTABLE:
            write_statements(attest, [rebuild_statement(located.locate, primary.path, primary.info.filename, result,
                                                        started=started, finished=_now(), sandboxed=not no_sandbox)],
                             key)
        else:
            click.echo(f"ossprov: no attestation written: the rebuild outcome is {result.outcome.value}", err=True)
    if fmt == "json":
        click.echo(dumps(envelope("rebuild", [run_document(run)])))
    else:
        where = (f"{located.locate.repository.url} {located.locate.repository.subdir} @ {located.locate.commit}"
                 if located.locate.repository and located.locate.commit else "not located")
        print_panels([verify_panel(located)])
        _table(located.locate.purl, where, result)
    failing = any(gate.reaches(f.severity, fail_on) for f in located.findings)
    if failing or result.outcome not in ATTESTABLE:
        sys.exit(1)
