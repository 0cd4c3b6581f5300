"""The `ossprov` command: parse, call the pipeline, format, exit code. Each command lives in its own module
under `ossprov.commands`; this file only gathers them and turns errors into one line and an exit code.

Exit codes: 0 success (located / no finding at the --fail-on level), 1 the check failed (not located, a
finding at or above --fail-on), 2 usage or input error, 3 registry, network or git failure, 4 internal error,
130 interrupted.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys

import click

from ossprov import __version__
from ossprov.errors import OssprovError

COMMAND_MODULES = (
    "locate",
    "verify",
    "demo",
    "rebuild",
    "practices",
    "fix",
    "scan",
    "batch",
    "db",
    "squat",
    "mirror",
)


class LazyGroup(click.Group):
    """Commands imported when used, so that `ossprov verify` does not pay for importing the database, the
    batch engine or the mirror server (a second and more per run)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(n for n in COMMAND_MODULES if importlib.util.find_spec(f"ossprov.commands.{n}") is not None)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMAND_MODULES:
            return None
        module = importlib.import_module(f"ossprov.commands.{cmd_name}")
        return module.command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="ossprov")
def cli() -> None:
    """Tell whether an open-source package is what it claims to be.

    Packages are named by package URL (purl) with a version, e.g. pkg:npm/left-pad@1.3.0,
    pkg:pypi/requests@2.31.0, pkg:maven/org.apache.commons/commons-lang3@3.14.0, pkg:nuget/Newtonsoft.Json@13.0.3.
    """


def main() -> None:
    """Entry point: one line on stderr and a documented exit code for every failure, never a traceback."""
    try:
        code = cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("ossprov: interrupted", err=True)
        sys.exit(130)
    except OssprovError as exc:
        click.echo(f"ossprov: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # a bug: still one line, and a way to see more
        click.echo(f"ossprov: internal error: {exc.__class__.__name__}: {exc} (set OSSPROV_DEBUG=1 for details)", err=True)
        if os.environ.get("OSSPROV_DEBUG"):
            raise
        sys.exit(4)
    sys.exit(code if isinstance(code, int) else 0)
