"""Token-Permissions: workflow tokens read-only at the top level, writes declared per job (Scorecard's
deductions: statuses/checks -0.5, security-events/deployments -1, contents/packages/actions -10)."""

from __future__ import annotations

from typing import Any, ClassVar

from ossprov.practices.context import Context
from ossprov.practices.interface import Check, Inconclusive, Scored
from ossprov.practices.records import Probe, Risk
from ossprov.practices.workflows import Job, Workflow, action_name

DEDUCTIONS = {"statuses": 0.5, "checks": 0.5, "security-events": 1.0, "deployments": 1.0,
              "contents": 10.0, "packages": 10.0, "actions": 10.0}
ALL_SCOPES = ("actions", "checks", "contents", "deployments", "id-token", "issues", "discussions",
              "packages", "pages", "pull-requests", "repository-projects", "security-events", "statuses")
PACKAGING_ACTIONS = ("pypa/gh-action-pypi-publish", "softprops/action-gh-release", "goreleaser/goreleaser-action",
                     "docker/build-push-action", "actions/create-release", "ncipollo/release-action",
                     "google-github-actions/release-please-action", "googleapis/release-please-action",
                     "semantic-release", "changesets/action", "actions/upload-release-asset")
PACKAGING_COMMANDS = ("npm publish", "yarn publish", "pnpm publish", "twine upload", "gh release",
                      "goreleaser", "docker push", "cargo publish", "gem push", "mvn deploy", "gradle publish",
                      "dotnet nuget push", "poetry publish", "flit publish", "hatch publish", "uv publish")
SARIF_UPLOAD = ("github/codeql-action/upload-sarif", "github/codeql-action/analyze")


def write_scopes(permissions: Any) -> set[str]:
    """The scopes a `permissions:` value grants write to (all of them for write-all)."""
    if permissions == "write-all":
        return set(ALL_SCOPES)
    if isinstance(permissions, dict):
        return {str(k) for k, v in permissions.items() if v == "write"}
    return set()


def _job_uses(job: Job, names: tuple[str, ...]) -> bool:
    return any(step.uses and action_name(step.uses).startswith(names) for step in job.steps)


def _job_publishes(job: Job) -> bool:
    return _job_uses(job, PACKAGING_ACTIONS) or any(
        cmd in (step.run or "") for step in job.steps for cmd in PACKAGING_COMMANDS)


def workflow_probes(workflow: Workflow) -> list[Probe]:
    """The permission facts of one workflow."""
    probes: list[Probe] = []
    top_line = workflow.data.key_lines.get("permissions", workflow.data.line)
    if not workflow.declares_permissions:
        undeclared = [job for job in workflow.jobs if not job.declares_permissions]
        probes.append(Probe("topLevelPermissionsUndeclared", workflow.path, 1,
                            "no top-level permissions: the token gets the repository default (often write)",
                            {"jobs_undeclared": [j.id for j in undeclared]}))
    for scope in sorted(write_scopes(workflow.permissions)):
        probes.append(Probe("topLevelWrite", workflow.path, top_line,
                            f"top-level permission {scope}: write (declare writes on the job that needs them)",
                            {"scope": scope}))
    for job in workflow.jobs:
        line = job.data.key_lines.get("permissions", job.line)
        for scope in sorted(write_scopes(job.permissions)):
            exempt = (scope in {"contents", "packages"} and _job_publishes(job)) or (
                scope == "security-events" and _job_uses(job, SARIF_UPLOAD))
            message = f"job {job.id} has {scope}: write" + (" (used to publish or upload results)" if exempt else "")
            probes.append(Probe("jobLevelWrite", workflow.path, line, message,
                                {"scope": scope, "exempt": exempt}))
    return probes


class TokenPermissions(Check):
    name: ClassVar[str] = "Token-Permissions"
    risk: ClassVar[Risk] = Risk.HIGH

    def probe(self, ctx: Context) -> list[Probe]:
        workflows = ctx.workflows()
        if not workflows:
            raise Inconclusive("no GitHub workflows found")
        return [p for w in workflows for p in workflow_probes(w)]

    def score(self, probes: list[Probe]) -> Scored:
        score = 10.0
        for probe in probes:
            if probe.name == "topLevelPermissionsUndeclared":
                if probe.data["jobs_undeclared"]:
                    return 0, (f"{probe.path} declares no permissions at the top level nor for job(s) "
                               f"{', '.join(probe.data['jobs_undeclared'])}: set `permissions: read-all` at the top")
                score -= 1
            elif probe.name == "topLevelWrite" or (probe.name == "jobLevelWrite" and not probe.data["exempt"]):
                score -= DEDUCTIONS.get(probe.data["scope"], 0.0)
        value = max(0, int(score))
        if value == 10:
            return 10, "tokens are read-only in GitHub workflows"
        return value, "non read-only tokens detected in GitHub workflows"
