"""Tables for people (rich): what was located, the verdict, the findings, the worst diffs."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from ossprov.model import FileStatus, LocateResult, Severity, VerifyResult

SEVERITY_STYLE = {Severity.HIGH: "bold red", Severity.MEDIUM: "yellow", Severity.LOW: "cyan", Severity.INFO: "dim"}
VERDICT_STYLE = {"faithful": "bold green", "faithful-with-build-output": "green", "mismatch": "bold red",
                 "unverifiable": "yellow"}


def locate_panel(result: LocateResult) -> Panel:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    repo = result.repository
    table.add_row("repository", f"{repo.url}" + (f"  (dir {repo.subdir})" if repo and repo.subdir else "")
                  if repo else Text("not found", style="yellow"))
    table.add_row("commit", result.commit or Text("not pinned", style="yellow"))
    table.add_row("confidence", f"{result.confidence:.2f}")
    if result.artifact:
        ok = {True: "matches the registry digest", False: "DOES NOT match the registry digest",
              None: "no published digest to check"}[result.artifact.digest_ok]
        table.add_row("artifact", f"{result.artifact.filename} sha256:{result.artifact.sha256[:16]}… ({ok})")
    if result.repository_claim:
        table.add_row("repository claim", result.repository_claim)
    evidence = Table(show_header=True, header_style="bold", box=None, padding=(0, 1))
    evidence.add_column("evidence")
    evidence.add_column("detail")
    for ev in result.evidence:
        evidence.add_row(Text(ev.kind, style="green" if ev.supports else "red"), ev.detail)
    return Panel(Group(table, Text(""), evidence), title=result.purl, title_align="left")


def verify_panel(result: VerifyResult, max_diffs: int = 3) -> Panel:
    parts: list = [locate_panel(result.locate)]
    counts = result.counts
    summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    verdict = Text(result.verdict.value, style=VERDICT_STYLE[result.verdict.value])
    line = Text.assemble("verdict: ", verdict, f"   files: {summary or 'none'}")
    if result.reason:
        line.append(f"   ({result.reason})")
    parts.append(line)
    if result.findings:
        table = Table(show_header=True, header_style="bold", box=None, padding=(0, 1))
        for col in ("severity", "rule", "path", "message"):
            table.add_column(col)
        for f in sorted(result.findings, key=lambda f: -f.severity.rank):
            table.add_row(Text(f.severity.value, style=SEVERITY_STYLE[f.severity]), f.rule, f.path or "", f.message)
        parts.append(table)
    diffs = [r for r in result.file_results if r.status is FileStatus.MODIFIED and r.diff]
    for r in diffs[:max_diffs]:
        parts.append(Panel(Syntax(r.diff or "", "diff", word_wrap=True), title=f"diff {r.path}", title_align="left"))
    return Panel(Group(*parts), title=f"verify {result.locate.purl}", title_align="left")


def print_panels(panels: list[Panel]) -> None:
    console = Console()
    for panel in panels:
        console.print(panel)
