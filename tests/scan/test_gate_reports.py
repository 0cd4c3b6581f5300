"""The CI-gate outputs: SARIF that GitHub code scanning ingests, reviewed suppressions, the dependency graph in
CycloneDX. SARIF is checked against the official 2.1.0 schema and by Microsoft's SARIF Multitool with its GitHub
rules (installed by scripts/install-test-tools from the npm registry; offline here)."""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest

from ossprov.errors import InputError
from ossprov.model import Finding, Severity
from ossprov.report import rule_help
from ossprov.report.sarif import Row, Unchecked, sarif
from ossprov.scan.parsers import npm_lock, poetry_lock
from ossprov.scan.parsers.base import Source
from ossprov.suppress import load

HIGH = Finding(Severity.HIGH, "OSP101", "index.js", "code differs from the repository at the pinned commit")
MEDIUM = Finding(Severity.MEDIUM, "OSP201", "dist/a.js", "generated code only a rebuild can vouch for")


def _log() -> dict:
    rows = [Row(HIGH, "pkg:npm/evil@2.0.0", "web/package-lock.json", 12),
            Row(MEDIUM, "pkg:npm/%40scope/b@1.0.0", None, None, suppressed="reviewed by sec, SEC-1"),
            Row(Finding(Severity.LOW, "OSP106", None, "listed but not shipped"), "pkg:pypi/x@1.0", "req.txt", 3)]
    return sarif(rows, [Unchecked("pkg:npm/down@1.0.0", "the registry answered 503", "web/package-lock.json", 40)])


def test_sarif_carries_what_github_needs():
    log = _log()
    run = log["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert set(rules) == {"OSP101", "OSP201", "OSP106", "OSP900"}
    for rule in rules.values():
        assert rule["fullDescription"]["text"] and rule["help"]["text"] and rule["help"]["markdown"]
        assert float(rule["properties"]["security-severity"]) >= 0
        assert rule["helpUri"].endswith("#" + rule["id"].lower())
    assert rules["OSP101"]["properties"]["security-severity"] == "8.0"
    results = run["results"]
    assert all(r["partialFingerprints"]["ossprovFinding/v1"] for r in results)
    high = results[0]
    assert high["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "web/package-lock.json"
    assert high["locations"][0]["physicalLocation"]["region"]["startLine"] == 12
    # verify PURL: no user file names the package, so the location is the purl, not `dist/a.js` of the tarball
    assert results[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "pkg:npm/%40scope/b@1.0.0"
    assert results[1]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].endswith("#dist/a.js")
    assert results[1]["suppressions"][0]["justification"] == "reviewed by sec, SEC-1"
    unchecked = results[-1]
    assert unchecked["ruleId"] == "OSP900" and unchecked["level"] == "error"
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert "503" in invocation["toolExecutionNotifications"][0]["message"]["text"]


def test_fingerprint_follows_the_package_across_versions():
    one = sarif([Row(HIGH, "pkg:npm/evil@2.0.0", "package-lock.json", 3)])["runs"][0]["results"][0]
    two = sarif([Row(HIGH, "pkg:npm/evil@2.0.1", "package-lock.json", 9)])["runs"][0]["results"][0]
    other = sarif([Row(HIGH, "pkg:npm/good@2.0.1", "package-lock.json", 9)])["runs"][0]["results"][0]
    assert one["partialFingerprints"] == two["partialFingerprints"] != other["partialFingerprints"]


def _schema() -> dict:
    path = os.environ.get("OSSPROV_TEST_SARIF_SCHEMA")
    if not path:
        pytest.skip("SARIF schema not installed (scripts/install-test-tools)")
    return json.loads(Path(path).read_text())


def test_sarif_validates_against_the_official_schema():
    jsonschema.validate(_log(), _schema())
    jsonschema.validate(sarif([]), _schema())


def test_sarif_passes_the_multitool_github_rules(tmp_path):
    tool = os.environ.get("OSSPROV_TEST_SARIF_MULTITOOL")
    if not tool:
        pytest.skip("SARIF Multitool not installed (scripts/install-test-tools)")
    log = tmp_path / "ossprov.sarif"
    log.write_text(json.dumps(_log()))
    out = subprocess.run([tool, "validate", "--rule-kind", "Gh;Sarif", str(log)], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "DOTNET_CLI_TELEMETRY_OPTOUT": "1"})
    errors = [line for line in out.stdout.splitlines() if re.search(r": error [A-Z]+\d+", line)]
    assert out.returncode == 0 and "Analysis completed successfully" in out.stdout, out.stdout[-2000:]
    assert errors == []


def test_rules_doc_is_generated_and_every_rule_has_help():
    from ossprov.verify.rules import RULES

    doc = Path(__file__).parents[2] / "docs" / "rules.md"
    assert doc.read_text() == rule_help.render_markdown(), "regenerate: python -m ossprov.report.rule_help"
    assert set(RULES) <= set(rule_help.HELP), set(RULES) - set(rule_help.HELP)


def _suppressions(tmp_path: Path, text: str):
    path = tmp_path / ".ossprov.toml"
    path.write_text(text)
    return load(path, today=datetime.date(2027, 1, 1))


def test_suppression_applies_by_package_range_rule_and_path(tmp_path):
    s = _suppressions(tmp_path, '''
[[suppress]]
purl = "pkg:npm/%40scope/b"
versions = ">=1.0,<2"
rule = ["OSP201"]
path = "dist/*"
reason = "bundle reviewed, SEC-1"
expires = 2027-06-30

[[suppress]]
purl = "pkg:npm/old@1.0.0"
rule = "OSP101"
reason = "was fine once"
expires = 2026-06-30
''')
    kept, suppressed = s.split("pkg:npm/%40scope/b@1.4.0", [MEDIUM, HIGH])
    assert kept == [HIGH] and [f for f, _ in suppressed] == [MEDIUM]
    assert "SEC-1" in suppressed[0][1] and "2027-06-30" in suppressed[0][1]
    assert s.split("pkg:npm/%40scope/b@2.0.0", [MEDIUM])[1] == []       # outside the range
    assert s.split("pkg:npm/%40scope/b@1.4.0", [Finding(Severity.MEDIUM, "OSP201", "lib/a.js", "x")])[1] == []
    assert s.split("pkg:npm/old@1.0.0", [HIGH])[0] == [HIGH]             # expired: applies to nothing
    assert [e.origin for e in s.expired] == [".ossprov.toml: entry 2"]


@pytest.mark.parametrize("entry, message", [
    ('purl = "pkg:npm/a"\nrule = "OSP101"\nexpires = 2027-01-01', "reason"),
    ('purl = "pkg:npm/a"\nrule = "OSP101"\nreason = "r"', "expires"),
    ('purl = "not a purl"\nrule = "OSP101"\nreason = "r"\nexpires = 2027-01-01', "purl"),
    ('purl = "pkg:npm/a"\nrule = "OSP101"\nreason = "r"\nexpires = 2027-01-01\nversions = "~~1"', "versions"),
    ('purl = "pkg:npm/a"\nrules = "OSP101"\nreason = "r"\nexpires = 2027-01-01', "unknown field"),
])
def test_malformed_suppression_is_an_input_error_naming_the_entry(tmp_path, entry, message):
    with pytest.raises(InputError, match=message) as raised:
        _suppressions(tmp_path, "[[suppress]]\n" + entry)
    assert "suppression 1" in str(raised.value) and "\n" not in str(raised.value)


def test_suppression_file_that_is_a_fifo_is_refused(tmp_path):
    fifo = tmp_path / ".ossprov.toml"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        load(fifo)


def _source(tmp_path: Path, name: str, text: str) -> Source:
    path = tmp_path / name
    path.write_text(text)
    return Source(path, name, tmp_path, text)


def test_npm_lockfile_graph_follows_node_resolution(tmp_path):
    lock = {"lockfileVersion": 3, "packages": {
        "": {"dependencies": {"a": "^1"}},
        "node_modules/a": {"version": "1.0.0", "dependencies": {"b": "^2", "c": "^1"}},
        "node_modules/a/node_modules/b": {"version": "2.0.0"},
        "node_modules/b": {"version": "1.0.0", "dependencies": {"c": "^1"}},
        "node_modules/c": {"version": "1.1.0"},
    }}
    deps = {d.purl: d for d in npm_lock.parse(_source(tmp_path, "package-lock.json", json.dumps(lock))).dependencies}
    assert deps["pkg:npm/a@1.0.0"].requires == ("pkg:npm/b@2.0.0", "pkg:npm/c@1.1.0")
    assert deps["pkg:npm/b@1.0.0"].requires == ("pkg:npm/c@1.1.0",)
    assert deps["pkg:npm/a@1.0.0"].direct and not deps["pkg:npm/c@1.1.0"].direct


def test_poetry_lock_graph_by_normalised_name(tmp_path):
    text = '''
[[package]]
name = "Flask"
version = "3.0.0"
python-versions = ">=3.8"
files = []
[package.dependencies]
jinja2 = ">=3.1.2"
Werkzeug = ">=3.0.0"

[[package]]
name = "Jinja2"
version = "3.1.2"
python-versions = ">=3.7"
files = []

[[package]]
name = "werkzeug"
version = "3.0.1"
python-versions = ">=3.8"
files = []
'''
    deps = {d.purl: d for d in poetry_lock.parse(_source(tmp_path, "poetry.lock", text)).dependencies}
    assert deps["pkg:pypi/flask@3.0.0"].requires == ("pkg:pypi/jinja2@3.1.2", "pkg:pypi/werkzeug@3.0.1")
