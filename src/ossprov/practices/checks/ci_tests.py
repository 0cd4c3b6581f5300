"""CI-Tests: the share of recently merged pull requests that CI checked before they were merged, scored as
Scorecard v5 does (proportional; inconclusive without merged pull requests).

Scorecard asks the forge for the successful check runs and statuses of each pull request's head commit
and counts those from a CI system (its list includes GitHub Actions itself, so any passing workflow run
counts). Git keeps no run results, so locally a merged pull request counts as checked when the tree it
was merged from (the head of the pull request, or the squashed commit) had CI that runs on pull requests:
a GitHub workflow triggered by `pull_request`, `pull_request_target` or `merge_group`, or another CI
system's configuration (Travis, CircleCI, AppVeyor, ...), which run on pull requests by default. Whether
those runs passed is on the forge: the reason says so, and the GitHub API is used when a token is given.
"""

from __future__ import annotations

from typing import ClassVar

from ossprov.practices.checks.code_review import changesets
from ossprov.practices.context import Context
from ossprov.practices.interface import Check, Inconclusive, Scored, proportional
from ossprov.practices.records import Probe, Risk
from ossprov.practices.workflows import WORKFLOW_DIR, WorkflowError, is_workflow_path, parse_workflow
from ossprov.source.git import Repo

PR_TRIGGERS = frozenset({"pull_request", "pull_request_target", "merge_group"})
OTHER_CI = (".travis.yml", ".circleci/config.yml", "appveyor.yml", ".appveyor.yml", ".gitlab-ci.yml",
            "Jenkinsfile", "azure-pipelines.yml", ".buildkite/pipeline.yml", ".cirrus.yml", ".drone.yml")
CI_NAMES = ("appveyor", "buildkite", "circleci", "e2e", "github-actions", "jenkins", "mergeable", "packit-as-a-service",
            "semaphoreci", "test", "travis-ci")
"""Scorecard's names of CI systems, looked for in check-run app slugs and status contexts."""


class PullRequestCi:
    """Which CI ran on pull requests at a commit, read from its tree; workflows parsed once per blob."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self._by_blob: dict[str, bool] = {}

    def _triggers_on_pulls(self, sha: str) -> bool:
        if sha not in self._by_blob:
            raw = next((data for _, data in self.repo.read_blobs([sha])), b"")
            try:
                workflow = parse_workflow("workflow", raw)
                self._by_blob[sha] = bool(workflow.triggers & PR_TRIGGERS) and bool(workflow.jobs)
            except WorkflowError:
                self._by_blob[sha] = False
        return self._by_blob[sha]

    def at(self, commit: str) -> str | None:
        """The CI configuration at `commit` that runs on pull requests, or None (one git call for all)."""
        out = self.repo.git("ls-tree", "-r", "-z", commit, "--", WORKFLOW_DIR.rstrip("/"), *OTHER_CI)
        present: dict[str, str] = {}
        for entry in out.split(b"\0"):
            meta, _, name = entry.partition(b"\t")
            parts = meta.split()
            if len(parts) == 3 and parts[1] == b"blob":
                present[name.decode("utf-8", "surrogateescape")] = parts[2].decode()
        for path, sha in sorted(present.items()):
            if is_workflow_path(path) and self._triggers_on_pulls(sha):
                return path
        return next((p for p in OTHER_CI if p in present), None)


def _local_probes(ctx: Context) -> list[Probe]:
    ci = PullRequestCi(ctx.repo)
    probes = []
    for changeset in changesets(ctx.history):
        if changeset.pull is None:
            continue
        merge = changeset.merge
        head = merge.parents[1] if merge is not None and len(merge.parents) > 1 else changeset.commits[0].sha
        found = ci.at(head)
        probes.append(Probe("testsRunInCI", found is not None, found, None,
                            f"merged PR #{changeset.pull}: " + ("CI runs on pull requests" if found else
                                                                 "no CI ran on pull requests at its head"),
                            {"pull": changeset.pull, "basis": "configuration"}))
    return probes


def _api_probes(ctx: Context) -> list[Probe]:
    api = ctx.require_github()
    probes = []
    for changeset in changesets(ctx.history):
        if changeset.pull is None:
            continue
        pull = api.get(f"/pulls/{changeset.pull}") or {}
        sha = (pull.get("head") or {}).get("sha")
        runs = (api.get(f"/commits/{sha}/check-runs") or {}).get("check_runs", []) if sha else []
        statuses = (api.get(f"/commits/{sha}/statuses") or []) if sha else []
        names = [(r.get("app") or {}).get("slug", "") for r in runs
                 if r.get("status") == "completed" and r.get("conclusion") == "success"]
        names += [s.get("context", "") + " " + (s.get("target_url") or "") for s in statuses
                  if isinstance(s, dict) and s.get("state") == "success"]
        tested = any(ci in name.lower() for name in names for ci in CI_NAMES)
        probes.append(Probe("testsRunInCI", tested, None, None,
                            f"merged PR #{changeset.pull} {'passed' if tested else 'has no passing'} CI check",
                            {"pull": changeset.pull, "basis": "api"}))
    return probes


class CiTests(Check):
    name: ClassVar[str] = "CI-Tests"
    risk: ClassVar[Risk] = Risk.LOW

    def probe(self, ctx: Context) -> list[Probe]:
        return _api_probes(ctx) if ctx.github is not None else _local_probes(ctx)

    def score(self, probes: list[Probe]) -> Scored:
        if not probes:
            raise Inconclusive("no merged pull requests found in the recent history")
        tested = sum(1 for p in probes if p.outcome)
        reason = f"{tested} out of {len(probes)} merged PRs checked by CI"
        if any(p.data["basis"] == "configuration" for p in probes):
            reason += " (from the CI configured for pull requests at their heads; whether the runs passed is on " \
                      "the forge, not in git)"
        return proportional(tested, len(probes)), reason
