"""`ossprov daemon`: look at, start and stop the resident ossprov that lets each command start at once."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import click

from ossprov.daemon import client, protocol
from ossprov.errors import InputError, OssprovError, StorageError

START_SECONDS = 30.0
"""How long `start` waits for the daemon to import ossprov and listen."""


@click.group("daemon")
def command() -> None:
    """The resident ossprov: one per user and installation, started in the background by the first command
    (OSSPROV_DAEMON=auto, the default outside CI; OSSPROV_DAEMON=off never uses one) and gone after
    OSSPROV_DAEMON_IDLE seconds (default 900) without a command, or when ossprov's code changes."""


def _identity() -> bytes:
    try:
        return protocol.identity()
    except OSError as exc:  # /proc unreadable: commands run without a daemon (see client.main)
        raise StorageError(f"no daemon can be used: this process's confinement cannot be read: {exc}") from exc


def _status() -> dict:
    try:
        wanted = protocol.wanted()
    except protocol.DaemonModeError as exc:
        raise InputError(str(exc)) from exc
    ident = _identity()
    try:
        path = protocol.socket_path(ident)
    except OSError as exc:
        raise StorageError(f"no daemon can be used: {exc}") from exc
    info: dict = {"mode": "auto" if wanted else "off", "socket": path, "log": path.removesuffix(".sock") + ".log",
                  "running": False}
    answer = client.ask(ident, b"status")
    if answer:
        fields = dict(line.decode().split(" ", 1) for line in answer if b" " in line)
        started = datetime.fromtimestamp(int(fields["started"]), UTC).isoformat()
        info |= {"running": True, "pid": int(fields["pid"]), "started": started, "served": int(fields["served"])}
    return info


@command.command("status")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def status_command(fmt: str) -> None:
    """Whether the daemon runs (exit 0) or not (exit 1), where it listens and how many commands it ran."""
    info = _status()
    if fmt == "json":
        click.echo(json.dumps(info, indent=2))
    else:
        click.echo(_describe(info))
        click.echo(f"mode: {info['mode']}   socket: {info['socket']}   log: {info['log']}")
    raise SystemExit(0 if info["running"] else 1)


def _describe(info: dict) -> str:
    if info["running"]:
        return f"running: pid {info['pid']}, since {info['started']}, {info['served']} commands served"
    return "not running"


@command.command("start")
def start_command() -> None:
    """Start the daemon now, rather than with the next command, and wait until it listens."""
    info = _status()
    if not info["running"]:
        client.start_daemon()
        deadline = time.monotonic() + START_SECONDS
        while not info["running"] and time.monotonic() < deadline:
            time.sleep(0.1)
            info = _status()
        if not info["running"]:
            raise OssprovError(f"the daemon did not start within {START_SECONDS:.0f} s; its log: {info['log']}")
    click.echo(_describe(info))
    if info["mode"] == "off":
        click.echo("note: OSSPROV_DAEMON is off here, so commands from this environment do not use it", err=True)


@command.command("stop")
def stop_command() -> None:
    """Stop the daemon; commands already running go on to their end."""
    answer = client.ask(_identity(), b"stop")
    click.echo("stopped" if answer == [b"stopping"] else "not running")
