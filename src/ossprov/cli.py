"""The `ossprov` command: parse, call the pipeline, format, exit code. Each command lives in its own module
under `ossprov.commands`; this file only gathers them and turns errors into one line and an exit code.

Exit codes: 0 success (located / no finding at the --fail-on level), 1 the check failed (not located, a
finding at or above --fail-on), 2 usage or input error, 3 registry, network or git failure (a deadline
included), 4 internal error, 5 a package could not be checked (verify/scan), 6 ossprov's cache or data
directory cannot be written (disk full, read-only), 130 interrupted, 143 terminated (SIGTERM).

Start-up is kept small: `--version` imports nothing but this file, and the click group (and each command's
module) is built only when a command runs.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
from typing import TYPE_CHECKING, Any

from ossprov import __version__

if TYPE_CHECKING:
    import click

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
    "daemon",
)
ONE_PACKAGE = frozenset({"locate", "verify", "rebuild", "practices", "fix"})
"""Commands about one package: their network and git work shares one package deadline."""
FULL_DISK = frozenset({errno.ENOSPC, errno.EROFS, errno.EDQUOT})


def _build() -> click.Group:
    import importlib
    import importlib.util

    import click

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

    def offline(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        if value:  # through the environment: settings() reads it, and batch workers inherit it
            os.environ["OSSPROV_OFFLINE"] = "1"

    @click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
    @click.version_option(__version__, prog_name="ossprov")
    @click.option("--offline", is_flag=True, expose_value=False, callback=offline, is_eager=True,
                  help="Use only the cache (registry metadata, clones, artifacts): no request, no fetch. "
                       "What could not be checked is said at the end. Also OSSPROV_OFFLINE=1.")
    @click.pass_context
    def cli(ctx: click.Context) -> None:
        """Tell whether an open-source package is what it claims to be.

        Packages are named by package URL (purl) with a version, e.g. pkg:npm/left-pad@1.3.0,
        pkg:pypi/requests@2.31.0, pkg:maven/org.apache.commons/commons-lang3@3.14.0, pkg:nuget/Newtonsoft.Json@13.0.3.
        """
        if ctx.invoked_subcommand in ONE_PACKAGE:
            from ossprov.deadline import package_deadline

            ctx.with_resource(package_deadline())

    return cli


def _group() -> click.Group:
    """The click group, built once per process (a daemon's copies find it built)."""
    group = globals().get("cli")
    if group is None:
        group = globals()["cli"] = _build()
    return group


def __getattr__(name: str) -> Any:
    """`ossprov.cli.cli`, the click group, built on first use (tests invoke it with click's runner)."""
    if name == "cli":
        return _group()
    raise AttributeError(name)


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(143)  # unwinds: partial downloads and temporary clones are removed on the way out


def _report_unchecked() -> None:
    http = sys.modules.get("ossprov.http")
    for what in http.unchecked() if http else ():
        print(f"ossprov: offline, not checked: {what}", file=sys.stderr)


def main() -> None:
    """Entry point: one line on stderr and a documented exit code for every failure, never a traceback."""
    if sys.argv[1:] == ["--version"]:
        print(f"ossprov, version {__version__}")
        return
    signal.signal(signal.SIGTERM, _terminated)
    try:
        _run()
    finally:
        _report_unchecked()


def _run() -> None:
    import click

    from ossprov.errors import OssprovError, StorageError

    try:
        code = _group().main(standalone_mode=False)
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
    except OSError as exc:
        if exc.errno not in FULL_DISK:
            _internal(exc)
        click.echo(f"ossprov: error: cannot write {exc.filename or 'a file'}: {exc.strerror}", err=True)
        sys.exit(StorageError.exit_code)
    except Exception as exc:  # a bug: still one line, and a way to see more
        _internal(exc)
    sys.exit(code if isinstance(code, int) else 0)


def _internal(exc: Exception) -> None:
    print(f"ossprov: internal error: {exc.__class__.__name__}: {exc} (set OSSPROV_DEBUG=1 for details)",
          file=sys.stderr)
    if os.environ.get("OSSPROV_DEBUG"):
        raise exc
    sys.exit(4)
