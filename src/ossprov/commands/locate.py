"""`ossprov locate`: map package versions to repository, subdirectory and commit."""

from __future__ import annotations

from pathlib import Path

import click

from ossprov import stages
from ossprov.commands._common import format_option, progress, run_each
from ossprov.errors import InputError
from ossprov.report.jsonout import dumps, envelope, error_record, locate_json
from ossprov.report.table import locate_panel, print_panels


@click.command()
@click.argument("purls", nargs=-1, required=True)
@click.option("--artifact", type=click.Path(path_type=Path), help="Use this local artifact instead of downloading.")
@format_option("table", "json")
def command(purls: tuple[str, ...], artifact: Path | None, fmt: str) -> None:
    """Find the source repository, subdirectory and exact commit of each PURL.

    Exit status: 0 all located, 1 some not fully located, 2 bad input, 3 registry/network/git failure
    (including: no candidate repository could be cloned).
    """
    if artifact is not None and len(purls) > 1:
        raise InputError("--artifact goes with a single PURL")
    with progress(fmt == "table") as step:
        results, errors, code = run_each(list(purls), lambda p: stages.locate(p, artifact, step))
    if fmt == "json":
        click.echo(dumps(envelope("locate", [locate_json(r) for r in results],
                                  [error_record(purl, str(exc), exc.exit_code) for purl, exc in errors])))
    else:
        print_panels([locate_panel(r) for r in results])
    if code or any(r.clone_failed for r in results):
        raise SystemExit(code or 3)
    raise SystemExit(0 if all(r.located for r in results) else 1)
