"""`ossprov demo`: locate and verify a small offline ecosystem, to see what ossprov reports."""

from __future__ import annotations

from pathlib import Path

import click

from ossprov import stages
from ossprov.commands._common import format_option, progress
from ossprov.document import verify_document
from ossprov.report.jsonout import dumps, envelope
from ossprov.report.table import print_panels, verify_panel


@click.command()
@format_option("table", "json")
@click.option("--keep", type=click.Path(path_type=Path, file_okay=False),
              help="Build the demo world in this directory and keep it (to re-run commands against it).")
@click.option("--serve", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Serve the registry of a world kept with --keep until interrupted, and print the environment "
                   "that points ossprov at it.")
def command(fmt: str, keep: Path | None, serve: Path | None) -> None:
    """Build a local ecosystem (git repositories and a registry on 127.0.0.1) and verify its packages.

    It holds a faithful package, one with build output, one with injected code and an install script in no
    commit (the event-stream pattern), one whose metadata names no repository, and a PyPI project.
    Offline; exits 0 when the demo ran.
    """
    from ossprov.demo import running_world

    if serve is not None:
        _serve(serve)
        return
    with progress(fmt == "table") as step, running_world(keep) as (_world, purls):
        step("verifying the demo packages")
        results = [stages.verify(purl, progress=step) for purl in purls]
    if fmt == "json":
        click.echo(dumps(envelope("demo", [verify_document(r) for r in results])))
        return
    print_panels([verify_panel(r, max_diffs=2) for r in results])
    click.echo("\nSummary:")
    for r in results:
        click.echo(f"  {r.locate.purl:36} {r.verdict.value:28} {len(r.findings)} finding(s)")
    if keep is not None:
        click.echo(f"\nThe demo world is kept in {keep}. Its registry stopped with this command; bring it back with\n"
                   f"  ossprov demo --serve {keep}\nwhich prints the environment to run ossprov against it.")


def _serve(root: Path) -> None:
    """Serve a kept world until Ctrl-C (the CLI turns the interrupt into exit 130)."""
    import shlex
    import time

    from ossprov.demo import served_world

    with served_world(root) as (env, purls):
        click.echo("# The demo registry is served on 127.0.0.1 until you press Ctrl-C. In another shell:")
        for key, value in env.items():
            click.echo(f"export {key}={shlex.quote(value)}")
        click.echo(f"# then, for example:\n# ossprov verify {purls[2] if len(purls) > 2 else purls[0]}", nl=True)
        while True:
            time.sleep(3600)
