"""Token-Permissions: the GITHUB_TOKEN of each workflow is read-only unless a job needs more, scored as
Scorecard v5's evaluation does, workflow by workflow, starting from 10:

- no top-level `permissions`: 0 when a job of the same workflow declares none either (every job gets the
  repository default, often write), else -0.5;
- top-level `write-all`: 0 when a job of the same workflow writes or declares nothing, else -0.5;
- a top-level write: contents, packages, actions -10; deployments, security-events -1; checks, statuses -0.5
  (other scopes are not deducted);
- job-level writes cost nothing: declaring a write on the job that needs it is the practice asked for.

The score is truncated to an integer (9.5 scores 9). Writes a workflow needs for what it visibly does
(packages for a publishing workflow, contents for a release, security-events for a SARIF upload) are not
counted as job writes, as Scorecard does not count them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ossprov.practices.checks.packaging import PATTERNS
from ossprov.practices.context import Context
from ossprov.practices.interface import Check, Inconclusive, Scored
from ossprov.practices.records import Probe, Risk
from ossprov.practices.workflows import Workflow, action_name

TOP_DEDUCTIONS = {"contents": 10.0, "packages": 10.0, "actions": 10.0, "deployments": 1.0, "security-events": 1.0,
                  "checks": 0.5, "statuses": 0.5}
"""Scorecard's deduction for each top-level write scope it watches (its permissionsOfInterest)."""
RELEASE_ACTIONS = ("relekang/python-semantic-release", "goreleaser/goreleaser-action", "softprops/action-gh-release",
                   "actions/create-release", "ncipollo/release-action", "actions/deploy-pages")
SARIF_UPLOAD = ("github/codeql-action/upload-sarif", "github/codeql-action/analyze", "ossf/scorecard-action")


def _uses(workflow: Workflow, names: tuple[str, ...]) -> bool:
    return any(s.uses and action_name(s.uses).startswith(names) for s in workflow.steps())


def _needed_writes(workflow: Workflow) -> set[str]:
    """Job write scopes the workflow's visible purpose needs (Scorecard's ignored permissions)."""
    needed = set()
    if any(p.matches(job) for job in workflow.jobs for p in PATTERNS):
        needed.add("packages")
    if _uses(workflow, RELEASE_ACTIONS) or any("semantic-release" in (s.run or "") for s in workflow.steps()):
        needed.add("contents")
    if _uses(workflow, SARIF_UPLOAD):
        needed.add("security-events")
    return needed


def _level(permissions: Any) -> tuple[str, list[str]]:
    """(undeclared | none | read | write | unknown, the scopes written) of a `permissions:` value."""
    if permissions is None:
        return "undeclared", []
    if isinstance(permissions, str):
        value = permissions.strip().lower()
        return ("read", []) if value == "read-all" else ("write", ["write-all"]) if value == "write-all" else \
            ("unknown", [])
    if isinstance(permissions, dict):
        writes = sorted(str(k) for k, v in permissions.items() if str(v).lower() == "write")
        return ("write" if writes else "read" if permissions else "none"), writes
    return "unknown", []


def workflow_probes(workflow: Workflow) -> list[Probe]:
    """The topLevelPermissions and jobLevelPermissions findings of one workflow (false where the token may
    write or is left to the repository default)."""
    probes: list[Probe] = []
    needed = _needed_writes(workflow)
    level, writes = _level(workflow.permissions if workflow.declares_permissions else None)
    line = workflow.data.key_lines.get("permissions", 1)
    if level == "undeclared":
        probes.append(Probe("topLevelPermissions", False, workflow.path, 1,
                            "no top-level permissions: the token gets the repository default (often write)",
                            {"level": level}))
    for scope in writes:
        probes.append(Probe("topLevelPermissions", False, workflow.path, line,
                            f"top-level permission {scope}" + ("" if scope == "write-all" else ": write")
                            + " (declare writes on the job that needs them)", {"level": "write", "scope": scope}))
    if level in ("read", "none"):
        probes.append(Probe("topLevelPermissions", True, workflow.path, line, "", {"level": level}))
    for job in workflow.jobs:
        level, writes = _level(job.permissions if job.declares_permissions else None)
        line = job.data.key_lines.get("permissions", job.line)
        if level == "undeclared":
            probes.append(Probe("jobLevelPermissions", False, workflow.path, job.line,
                                f"job {job.id} declares no permissions", {"job": job.id, "level": level}))
        for scope in writes:
            watched = scope in TOP_DEDUCTIONS and scope not in needed
            probes.append(Probe("jobLevelPermissions", False, workflow.path, line,
                                f"job {job.id} has {scope}: write",
                                {"job": job.id, "level": "write" if watched else "unknown", "scope": scope}))
        if level in ("read", "none"):
            probes.append(Probe("jobLevelPermissions", True, workflow.path, line, "", {"job": job.id, "level": level}))
    return probes


def _workflow_score(probes: list[Probe], score: float) -> float | None:
    """`score` less the deductions of one workflow's findings; None when they make the check 0 outright."""
    jobs_undeclared = any(p.name == "jobLevelPermissions" and p.data["level"] == "undeclared" for p in probes)
    jobs_write = any(p.name == "jobLevelPermissions" and p.data["level"] == "write" for p in probes)
    for probe in (p for p in probes if p.name == "topLevelPermissions" and p.outcome is False):
        if probe.data["level"] == "undeclared":
            if jobs_undeclared:
                return None
            score -= 0.5
        elif probe.data["scope"] == "write-all":
            if jobs_write or jobs_undeclared:
                return None
            score -= 0.5
        else:
            score -= TOP_DEDUCTIONS.get(probe.data["scope"], 0.0)
    return score


class TokenPermissions(Check):
    name: ClassVar[str] = "Token-Permissions"
    risk: ClassVar[Risk] = Risk.HIGH

    def probe(self, ctx: Context) -> list[Probe]:
        workflows = ctx.workflows()
        if not workflows:
            raise Inconclusive("no GitHub workflows found")
        return [p for w in workflows for p in workflow_probes(w)]

    def score(self, probes: list[Probe]) -> Scored:
        score: float | None = 10.0
        for path in dict.fromkeys(p.path for p in probes):
            score = _workflow_score([p for p in probes if p.path == path], score) if score is not None else None
        if score is None or score <= 0:
            return 0, "detected GitHub workflow tokens with excessive permissions: set `permissions: read-all` at " \
                      "the top of each workflow and grant writes on the jobs that need them"
        if score == 10:
            return 10, "GitHub workflow tokens follow the principle of least privilege"
        return int(score), "detected GitHub workflow tokens with excessive permissions"
