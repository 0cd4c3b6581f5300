"""SARIF 2.1.0 for code-scanning dashboards (GitHub's ingestion rules included).

Each rule is described once with the full description, help and `security-severity` GitHub needs to rank
alerts. A finding is located where the user can act on it: the lockfile line that pins the package (paths
relative to the repository root, as code scanning resolves them), or, for `verify PURL` where no file of the
user names the package, the purl itself, never a path inside the tarball (which would land on the user's own
file of that name). A package that could not be checked is both a result (rule OSP900, so the dashboard is not
"clean") and a tool-execution notification. Suppressed findings stay in the log with SARIF's own
`suppressions`, so dismissals are visible and counted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from packageurl import PackageURL

from ossprov import __version__
from ossprov.model import Finding, Severity
from ossprov.report.rule_help import DOCS_URL, SECURITY_SEVERITY, anchor, help_for

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note", Severity.INFO: "note"}
NOT_CHECKED = "OSP900"


@dataclass(frozen=True)
class Row:
    """One finding about one package, and where the user's project names that package."""

    finding: Finding
    purl: str
    file: str | None = None
    """The dependency file, relative to the repository root; None when no file of the user names the package."""
    line: int | None = None
    suppressed: str | None = None
    """The justification of the suppression that covers the finding, when one does."""


@dataclass(frozen=True)
class Unchecked:
    """A package that could not be checked, and why."""

    purl: str
    reason: str
    file: str | None = None
    line: int | None = None


def _rule(rule_id: str) -> dict[str, Any]:
    from ossprov.verify.rules import RULES

    name, short = RULES.get(rule_id, ("not-checked", "The package could not be checked."))
    info = help_for(rule_id)
    return {
        "id": rule_id, "name": name,
        "shortDescription": {"text": short},
        "fullDescription": {"text": info.description},
        "help": {"text": f"{info.description}\n\nWhat to do: {info.remedy}",
                 "markdown": f"{info.description}\n\n**What to do:** {info.remedy}"},
        "helpUri": f"{DOCS_URL}#{anchor(rule_id)}",
        "defaultConfiguration": {"level": LEVEL[info.severity]},
        "properties": {"security-severity": SECURITY_SEVERITY[info.severity], "precision": "high",
                       "tags": ["security", "supply-chain"]},
    }


def _location(purl: str, path: str | None, file: str | None, line: int | None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": file or purl}, "region": {"startLine": line or 1}}
    name = f"{purl}#{path}" if path else purl
    return {"physicalLocation": physical, "logicalLocations": [{"fullyQualifiedName": name, "kind": "module"}]}


def _fingerprint(*parts: str | None) -> str:
    """Stable across runs and line moves: the rule, the package without its version, the file in the package."""
    return hashlib.sha256("\0".join(p or "" for p in parts).encode()).hexdigest()


def _unversioned(purl: str) -> str:
    """The package a fingerprint follows from version to version (an alert is not new on every upgrade)."""
    try:
        return PackageURL.from_string(purl)._replace(version=None).to_string()
    except ValueError:
        return purl


def _result(rule_ids: list[str], rule: str, severity: Severity, text: str, location: dict[str, Any],
            fingerprint: str, suppressed: str | None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": rule, "ruleIndex": rule_ids.index(rule), "level": LEVEL[severity],
        "message": {"text": text}, "locations": [location],
        "partialFingerprints": {"ossprovFinding/v1": fingerprint},
        "properties": {"severity": severity.value, "security-severity": SECURITY_SEVERITY[severity]},
    }
    if suppressed is not None:
        result["suppressions"] = [{"kind": "external", "status": "accepted", "justification": suppressed}]
    return result


def sarif(rows: Sequence[Row], unchecked: Sequence[Unchecked] = (), skipped: Sequence[str] = ()) -> dict[str, Any]:
    """A SARIF log of findings, of the packages that could not be checked, and (as warnings) of the lockfile
    entries that are not registry packages and so were not verified (local paths, git checkouts)."""
    rule_ids = sorted({r.finding.rule for r in rows} | ({NOT_CHECKED} if unchecked else set()))
    results = []
    for row in rows:
        f = row.finding
        text = f"{row.purl}: {f.message}" + (f" ({f.path})" if f.path else "")
        results.append(_result(rule_ids, f.rule, f.severity, text, _location(row.purl, f.path, row.file, row.line),
                               _fingerprint(f.rule, _unversioned(row.purl), f.path), row.suppressed))
    notifications = []
    for item in unchecked:
        text = f"{item.purl}: could not be checked: {item.reason}"
        results.append(_result(rule_ids, NOT_CHECKED, Severity.HIGH, text,
                               _location(item.purl, None, item.file, item.line),
                               _fingerprint(NOT_CHECKED, _unversioned(item.purl)), None))
        notifications.append({"level": "error", "message": {"text": text}, "descriptor": {"id": NOT_CHECKED}})
    notifications += [{"level": "warning", "message": {"text": f"not verified: {entry}"}} for entry in skipped]
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "ossprov", "version": __version__, "semanticVersion": __version__,
                            "informationUri": "https://github.com/ossprov/ossprov",
                            "rules": [_rule(r) for r in rule_ids]}},
        "invocations": [{"executionSuccessful": not unchecked, "toolExecutionNotifications": notifications}],
        "results": results,
    }]}
