"""SARIF 2.1.0: one result per finding, each rule described once, for code-scanning dashboards."""

from __future__ import annotations

from typing import Any

from ossprov import __version__
from ossprov.model import Finding, Severity
from ossprov.verify.rules import RULES

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note", Severity.INFO: "note"}


def sarif(findings: list[tuple[Finding, str, str | None, int | None]]) -> dict[str, Any]:
    """A SARIF log from (finding, purl, location file, location line) tuples."""
    used = sorted({f.rule for f, *_ in findings})
    rules = [{"id": rid, "name": RULES.get(rid, (rid, ""))[0],
              "shortDescription": {"text": RULES.get(rid, ("", rid))[1]},
              "helpUri": "https://github.com/ossprov/ossprov#rules"} for rid in used]
    results = []
    for finding, purl, file, line in findings:
        location: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": file or finding.path or purl}}}
        if line:
            location["physicalLocation"]["region"] = {"startLine": line}
        results.append({
            "ruleId": finding.rule, "ruleIndex": used.index(finding.rule), "level": LEVEL[finding.severity],
            "message": {"text": f"{purl}: {finding.message}" + (f" ({finding.path})" if finding.path else "")},
            "locations": [location],
            "properties": {"severity": finding.severity.value, "purl": purl, "path": finding.path},
        })
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "ossprov", "version": __version__, "informationUri":
                            "https://github.com/ossprov/ossprov", "rules": rules}},
        "results": results,
    }]}
