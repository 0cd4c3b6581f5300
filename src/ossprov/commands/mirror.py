"""`ossprov mirror`: keep and serve a registry mirror that holds only verified artifacts."""

from __future__ import annotations

import json

import click

from ossprov.commands._common import format_option, progress
from ossprov.mirror.admit import REQUIREMENTS, AddReport, add
from ossprov.mirror.server import MirrorServer
from ossprov.mirror.store import MirrorStore
from ossprov.model import to_json


@click.group()
def command() -> None:
    """A content-addressed mirror of verified npm and PyPI artifacts, served read-only to npm and pip."""


def _print(report: AddReport) -> None:
    for d in report.decisions:
        mark = "stored" if d.admitted else "refused"
        click.echo(f"{mark:8} {report.ecosystem} {report.name}@{report.version} {d.filename}: {d.reason}"
                   + (f" (sha256 {d.sha256})" if d.sha256 else ""))


@command.command("add")
@click.argument("purl")
@click.option("--require", type=click.Choice(list(REQUIREMENTS)), default="faithful", show_default=True,
              help="faithful: verified against the source without high findings; rebuilt: also rebuilt to the "
                   "same bytes (bit-for-bit or after stabilizing).")
@format_option("table", "json")
def add_command(purl: str, require: str, fmt: str) -> None:
    """Verify PURL's files and store those that pass. Exit 1 when no file was admitted."""
    with progress(fmt == "table") as step:
        report = add(purl, require, step)
    if fmt == "json":
        click.echo(json.dumps({**to_json(report), "admitted": report.admitted}, indent=2))
    else:
        _print(report)
    raise SystemExit(0 if report.admitted else 1)


@command.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=4873, show_default=True,
              help="Port (0 picks a free one).")
@click.option("--quiet", is_flag=True, help="Do not log requests.")
@click.option("--public-url", metavar="URL", help="The URL clients reach the mirror at (behind a proxy); artifact "
              "links use it instead of the request's Host header.")
def serve_command(host: str, port: int, quiet: bool, public_url: str | None) -> None:
    """Serve the store read-only: npm (`--registry URL/`) and pip (`--index-url URL/simple/`)."""
    server = MirrorServer(MirrorStore(), host, port, quiet, public_url)
    click.echo(f"serving the verified mirror at {server.url}/  (npm --registry {server.url}/, "
               f"pip --index-url {server.url}/simple/)", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("ossprov: mirror stopped", err=True)
    finally:
        server.server_close()
