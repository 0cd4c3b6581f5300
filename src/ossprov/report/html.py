"""A self-contained HTML report of a scan that a person can open, read and share.

One file, no external resources: the CSS and the small filter script are inlined and pinned by hash in a
Content-Security-Policy, so even markup that slipped into the page could not run a script or load anything.
The first line of defence is still escaping: every value that comes from a lockfile, a registry, a repository
or a diff (all attacker-controlled) goes through `html.escape`, and only http(s) repository URLs become links.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from html import escape
from importlib.resources import files
from string import Template

from ossprov import __version__
from ossprov.model import FileResult, FileStatus, Finding, VerifyResult
from ossprov.scan.items import CATEGORIES, ScanItem
from ossprov.scan.parsers.base import Skipped
from ossprov.verify.rules import RULES

_TEMPLATES = files("ossprov.report") / "templates"
_ORDER = {c: i for i, c in enumerate(("mismatch", "removed", "error", "unverifiable", "faithful-with-build-output",
                                       "faithful"))}
"""Most worrying first, in the page and in the summary."""
_QUIET_STATUSES = (FileStatus.IDENTICAL, FileStatus.NORMALIZED)


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _worst_rank(item: ScanItem) -> int:
    return max((f.severity.rank for f in item.findings), default=-1)


def _rule_filter(items: Sequence[ScanItem]) -> str:
    rules = sorted({f.rule for i in items for f in i.findings})
    options = "".join(f'<option value="{_e(r)}">{_e(r)} {_e(RULES.get(r, (r, ""))[0])}</option>' for r in rules)
    return f'<option value="">any rule</option>{options}'


def _summary(counts: Counter[str]) -> str:
    return "".join(
        f'<div class="card c-{_e(c)}" data-summary="{_e(c)}"><span class="n">{counts[c]}</span>{_e(c)}</div>'
        for c in sorted(CATEGORIES, key=_ORDER.__getitem__)
    )


def _filters(counts: Counter[str]) -> str:
    return "".join(
        f'<span><label><input type="checkbox" value="{_e(c)}" checked> {_e(c)} ({counts[c]})</label> '
        f'<button type="button" data-only="{_e(c)}">only</button></span>'
        for c in sorted(CATEGORIES, key=_ORDER.__getitem__)
    )


def _link(url: str) -> str:
    if url.startswith(("https://", "http://")):
        return f'<a href="{_e(url)}" rel="noopener noreferrer">{_e(url)}</a>'
    return _e(url)


def _facts(item: ScanItem) -> str:
    dep, result = item.dependency, item.result
    rows: list[tuple[str, str]] = [
        ("Location", _e(f"{dep.location.file}:{dep.location.line}" if dep.location.line else dep.location.file)),
        ("Dependency", _e({True: "direct", False: "transitive", None: "not stated"}[dep.direct])),
    ]
    if item.error:
        rows.append(("Error", _e(item.error)))
    if result:
        rows += _result_facts(result)
    rows += [(f"Digest ({_e(a)})", f"<code>{_e(v)}</code>") for a, v in dep.hashes.items()]
    return "<dl>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>"


def _result_facts(result: VerifyResult) -> list[tuple[str, str]]:
    locate = result.locate
    rows: list[tuple[str, str]] = []
    if locate.repository:
        subdir = f" (directory {_e(locate.repository.subdir)})" if locate.repository.subdir else ""
        rows.append(("Repository", _link(locate.repository.url) + subdir))
    if locate.commit:
        rows.append(("Commit", f"<code>{_e(locate.commit)}</code>"))
    rows.append(("Confidence", _e(f"{locate.confidence:.2f}")))
    if result.reason:
        rows.append(("Reason", _e(result.reason)))
    if locate.artifact:
        rows.append(("Artifact", f"{_e(locate.artifact.filename)} <code>sha256:{_e(locate.artifact.sha256)}</code>"))
    counts = ", ".join(f"{n} {_e(s)}" for s, n in result.counts.items() if n)
    if counts:
        rows.append(("Files", counts))
    return rows


def _findings(findings: Sequence[Finding]) -> str:
    if not findings:
        return ""
    rows = "".join(
        f'<tr><td class="sev-{_e(f.severity.value)}">{_e(f.severity.value)}</td><td>{_e(f.rule)}</td>'
        f"<td>{_e(f.path or '')}</td><td>{_e(f.message)}</td></tr>"
        for f in sorted(findings, key=lambda f: -f.severity.rank)
    )
    return ("<h4>Findings</h4><table><thead><tr><th>Severity</th><th>Rule</th><th>Path</th><th>Message</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>")


def _diff(diff: str) -> str:
    def css(line: str) -> str:
        if line.startswith(("+++", "---")):
            return "d-hunk"
        return {"+": "d-add", "-": "d-del", "@": "d-hunk"}.get(line[:1], "d-ctx")

    return "<pre>" + "".join(f'<span class="{css(line)}">{_e(line)}</span>' for line in diff.splitlines()) + "</pre>"


def _files(file_results: Iterable[FileResult]) -> str:
    notable = [r for r in file_results if r.status not in _QUIET_STATUSES]
    if not notable:
        return ""
    rows = "".join(
        f"<tr><td>{_e(r.status.value)}</td><td>{_e(r.path)}</td><td>{_e(r.source_path or '')}</td>"
        f"<td>{_e(r.reason)}</td></tr>"
        for r in notable
    )
    diffs = "".join(
        f'<details class="diff"><summary>diff of {_e(r.path)}</summary>{_diff(r.diff)}</details>'
        for r in notable if r.diff
    )
    return ("<h4>Files that are not plainly the source</h4><table><thead><tr><th>Status</th><th>Path</th>"
            f"<th>Source</th><th>Reason</th></tr></thead><tbody>{rows}</tbody></table>{diffs}")


def _evidence(result: VerifyResult | None) -> str:
    if not result or not result.locate.evidence:
        return ""
    items = "".join(
        f"<li>{'' if ev.supports else '<strong>against:</strong> '}{_e(ev.kind)}: {_e(ev.detail)}</li>"
        for ev in result.locate.evidence
    )
    return f"<h4>Evidence</h4><ul>{items}</ul>"


def _item(item: ScanItem) -> str:
    dep, result, category = item.dependency, item.result, item.status
    meta = [f"{len(item.findings)} finding{'s' if len(item.findings) != 1 else ''}"]
    if result and result.locate.commit:
        meta.append(f"commit {result.locate.commit[:12]}")
    body = _facts(item) + _findings(item.findings) + (_files(result.file_results) if result else "") + _evidence(result)
    return (
        f'<details class="pkg c-{_e(category)}" data-category="{_e(category)}" data-name="{_e(dep.purl.lower())}"'
        f' data-order="{_ORDER[category]}" data-worst="{_worst_rank(item)}" data-findings="{len(item.findings)}"'
        f' data-rules=" {_e(" ".join(sorted({f.rule for f in item.findings})))} ">'
        f'<summary><span class="badge b-{_e(category)}">{_e(category)}</span> <code class="purl">{_e(dep.purl)}</code>'
        f' <span class="muted">{_e(" · ".join(meta))}</span></summary><div class="body">{body}</div></details>'
    )


def _skipped(skipped: Sequence[Skipped]) -> str:
    if not skipped:
        return ""
    rows = "".join(
        f"<tr><td>{_e(s.location.file)}{':' + str(s.location.line) if s.location.line else ''}</td>"
        f"<td>{_e(s.entry)}</td><td>{_e(s.reason)}</td></tr>"
        for s in skipped
    )
    return (f'<section id="skipped"><h2>Not verified ({len(skipped)})</h2><table><thead><tr><th>Where</th>'
            f"<th>Entry</th><th>Reason</th></tr></thead><tbody>{rows}</tbody></table></section>")


def render_html(
    items: Sequence[ScanItem],
    *,
    skipped: Sequence[Skipped] = (),
    title: str = "ossprov scan report",
    generated: datetime.datetime | None = None,
) -> str:
    """The report as one HTML document; `skipped` lists lockfile entries that were not verified."""
    style = (_TEMPLATES / "scan.css").read_text(encoding="utf-8")
    script = (_TEMPLATES / "scan.js").read_text(encoding="utf-8")
    csp = (f"default-src 'none'; style-src {_csp_hash(style)}; script-src {_csp_hash(script)}; "
           "img-src data:; base-uri 'none'; form-action 'none'")
    counts = Counter(item.status for item in items)
    ordered = sorted(items, key=lambda i: (_ORDER[i.status], -_worst_rank(i), i.dependency.purl))
    when = (generated or datetime.datetime.now(datetime.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    return Template((_TEMPLATES / "scan.html").read_text(encoding="utf-8")).substitute(
        csp=_e(csp),
        version=_e(__version__),
        title=_e(title),
        style=style,
        script=script,
        total=len(items),
        generated=_e(when),
        summary=_summary(counts),
        filters=_filters(counts),
        rules=_rule_filter(items),
        items="".join(_item(i) for i in ordered),
        skipped=_skipped(skipped),
    )
