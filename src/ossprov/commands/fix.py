"""`ossprov fix`: propose the repository-field fix for a package whose metadata misnames (or omits) its source.

Nothing leaves the machine unless --open-pr is given: by default the result is a branch in the clone cache,
a format-patch and a pull-request text (in --out).
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ossprov.commands._common import format_option
from ossprov.errors import InputError
from ossprov.fix import run
from ossprov.fix.branch import DEFAULT_AUTHOR, parse_author
from ossprov.fix.records import CheckResult, FixResult, Status
from ossprov.github import GitHub
from ossprov.model import to_json

PATCH_NAME = "0001-declare-repository.patch"


def _write_out(out: Path, result: FixResult) -> None:
    """The patch, title and body as files a person (or another tool) can pick up."""
    out.mkdir(parents=True, exist_ok=True)
    if result.patch is not None:
        (out / PATCH_NAME).write_bytes(result.patch.encode("utf-8"))
    if result.title is not None and result.body is not None:
        (out / "pr-title.txt").write_text(result.title + "\n", encoding="utf-8")
        (out / "pr-body.md").write_text(result.body, encoding="utf-8")


def _table(rows: list[tuple[str, str | None]]) -> None:
    table = Table(show_header=False, box=None)
    for key, value in rows:
        if value:
            table.add_row(f"[bold]{key}[/]", value)
    Console().print(table)


@click.command("fix")
@click.argument("purl")
@format_option("table", "json")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Write the patch and PR text here.")
@click.option("--open-pr", is_flag=True, help="Fork, push and open the pull request on GitHub.")
@click.option("--github-token-env", default="GITHUB_TOKEN", show_default=True, metavar="NAME",
              help="Environment variable holding the GitHub token for --open-pr.")
@click.option("--check", "check_only", is_flag=True,
              help="Report whether this (later) release declares the repository and locate confirms it.")
@click.option("--author", default=DEFAULT_AUTHOR, show_default=True, help='Commit author, "Name <email>".')
def command(purl: str, fmt: str, out: Path | None, open_pr: bool, github_token_env: str, check_only: bool,
            author: str) -> None:
    """Propose a fix for PURL's missing, incomplete or wrong repository metadata.

    Exit status: 0 fix proposed or nothing to fix (--check: the release declares and confirms its repository),
    1 the source could not be located with confidence (--check: not fixed), 2 bad input, 3 network/git failure.
    """
    if check_only:
        if open_pr or out is not None:
            raise InputError("--check does not go with --open-pr or --out")
        _report_check(run.check(purl), fmt)
        return
    parse_author(author)
    gh = GitHub.from_env(github_token_env) if open_pr else None
    proposal = run.propose(purl, author=author)
    result = run.publish(proposal, gh) if gh is not None else proposal.result
    if out is not None:
        _write_out(out, result)
    if fmt == "json":
        click.echo(json.dumps(to_json(result), indent=2))
    else:
        _table([("package", result.purl), ("status", result.status.value), ("reason", result.reason),
                ("manifest", result.manifest), ("branch", result.branch), ("title", result.title),
                ("patch", str(out / PATCH_NAME) if out is not None and result.patch else None),
                ("pull request", result.pull_request)])
    raise SystemExit(1 if result.status is Status.NOT_LOCATED else 0)


def _report_check(result: CheckResult, fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(to_json(result) | {"ok": result.ok}, indent=2))
    else:
        _table([("package", result.purl), ("declares", "yes" if result.declares else "no"),
                ("confirmed", "yes" if result.confirmed else "no"), ("reason", result.reason)])
    raise SystemExit(0 if result.ok else 1)
