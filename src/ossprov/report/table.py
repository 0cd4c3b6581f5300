"""Tables for people (rich): what was located, the verdict, the findings, the worst diffs."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from ossprov.model import FileStatus, LocateResult, Severity, VerifyResult

SEVERITY_STYLE = {Severity.HIGH: "bold red", Severity.MEDIUM: "yellow", Severity.LOW: "cyan", Severity.INFO: "dim"}
NEUTRAL_KINDS = frozenset({"registry-missing-field"})
"""Evidence that neither supports nor contradicts: what the registry did not say."""
VERDICT_STYLE = {"faithful": "bold green", "faithful-with-build-output": "green", "mismatch": "bold red",
                 "unverifiable": "yellow", "removed": "bold red"}


def _facts(result: LocateResult) -> Table:
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
    return table


def _evidence(result: LocateResult) -> Table:
    """Evidence rows, marked ✓ (supports) or ✗ (contradicts) so the table reads without colour too."""
    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 1))
    table.add_column("")
    table.add_column("evidence")
    table.add_column("detail")
    for ev in result.evidence:
        if ev.kind in NEUTRAL_KINDS:
            mark = Text("·", style="dim")
        else:
            mark = Text("✓", style="green") if ev.supports else Text("✗", style="red")
        table.add_row(mark, ev.kind, ev.detail)
    return table


def locate_panel(result: LocateResult) -> Panel:
    return Panel(Group(_facts(result), Text(""), _evidence(result)), title=result.purl, title_align="left")


def verify_panel(result: VerifyResult, max_diffs: int = 3) -> Panel:
    """Verdict and reason first, then where the source is and why, then findings and the worst diffs."""
    counts = ", ".join(f"{n} {k}" for k, n in result.counts.items() if n) or "none"
    verdict = Text.assemble(("verdict ", "bold"), (result.verdict.value, VERDICT_STYLE[result.verdict.value]),
                            f"  ({result.reason})" if result.reason else "")
    parts: list = [verdict, Text(f"files: {counts}"), Text(""), _facts(result.locate), Text(""),
                   _evidence(result.locate)]
    if result.findings:
        table = Table(show_header=True, header_style="bold", box=None, padding=(0, 1))
        for col in ("severity", "rule", "path", "message"):
            table.add_column(col)
        for f in sorted(result.findings, key=lambda f: -f.severity.rank):
            table.add_row(Text(f.severity.value, style=SEVERITY_STYLE[f.severity]), f.rule, f.path or "", f.message)
        parts += [Text(""), table]
    diffs = [r for r in result.file_results if r.status is FileStatus.MODIFIED and r.diff]
    for r in diffs[:max_diffs]:
        parts.append(Panel(Syntax(r.diff or "", "diff", word_wrap=True), title=f"diff {r.path}", title_align="left"))
    return Panel(Group(*parts), title=f"verify {result.locate.purl}", title_align="left")


def print_panels(panels: list[Panel]) -> None:
    console = Console()
    for panel in panels:
        console.print(panel)
