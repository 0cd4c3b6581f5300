"""CI-Tests: tests run on pull requests. Locally: a CI configuration that runs tests on pull requests;
with the GitHub API, Scorecard's measure: the share of recently merged pull requests whose head commit
passed a CI check whose name looks like a test system."""

from __future__ import annotations

import re
from typing import ClassVar

from ossprov.practices.context import Context
from ossprov.practices.interface import Check, Scored, proportional
from ossprov.practices.records import Probe, Risk

PR_TRIGGERS = frozenset({"pull_request", "pull_request_target", "merge_group"})
_TEST_COMMAND = re.compile(
    r"\b(pytest|tox|nox|unittest|npm (run )?test|yarn (run )?test|pnpm (run )?test|go test|cargo test|"
    r"mvn\b.*\b(test|verify)|gradlew?\b.*\b(test|check)|make (test|check)|ctest|dotnet test|rspec|rake test|"
    r"phpunit|mix test|jest|vitest|mocha|bazel test|meson test)\b")
OTHER_CI = (".travis.yml", ".circleci/config.yml", "appveyor.yml", ".appveyor.yml", ".gitlab-ci.yml",
            "Jenkinsfile", "azure-pipelines.yml", ".buildkite/pipeline.yml", ".cirrus.yml", ".drone.yml")
CI_NAMES = ("appveyor", "buildkite", "circleci", "e2e", "github-actions", "jenkins", "mergeable", "packit-as-a-service",
            "semaphoreci", "test", "travis-ci")
RECENT_PULLS = 30


def _local_probes(ctx: Context) -> list[Probe]:
    probes = []
    for workflow in ctx.workflows():
        if not workflow.triggers & PR_TRIGGERS:
            continue
        for step in workflow.steps():
            match = _TEST_COMMAND.search(step.run or "")
            if match:
                probes.append(Probe("testsOnPullRequests", workflow.path, step.line,
                                    f"`{match.group(0)}` runs on pull requests"))
                break
    for path, raw in sorted(ctx.read_many([p for p in OTHER_CI if p in ctx.files]).items()):
        match = _TEST_COMMAND.search(raw.decode("utf-8", "replace"))
        if match:
            probes.append(Probe("testsOnPullRequests", path, None, f"`{match.group(0)}` runs in {path}"))
    return probes


def _api_probes(ctx: Context) -> list[Probe]:
    api = ctx.require_github()
    pulls = api.get("/pulls", state="closed", per_page=RECENT_PULLS, sort="updated", direction="desc") or []
    probes = []
    for pull in pulls:
        if not isinstance(pull, dict) or not pull.get("merged_at"):
            continue
        sha = (pull.get("head") or {}).get("sha")
        runs = (api.get(f"/commits/{sha}/check-runs") or {}).get("check_runs", []) if sha else []
        statuses = (api.get(f"/commits/{sha}/statuses") or []) if sha else []
        names = [r.get("app", {}).get("slug", "") + " " + r.get("name", "") for r in runs
                 if r.get("conclusion") == "success"]
        names += [s.get("context", "") for s in statuses if isinstance(s, dict) and s.get("state") == "success"]
        tested = any(ci in name.lower() for name in names for ci in CI_NAMES)
        probes.append(Probe("pullRequestTested" if tested else "pullRequestUntested", None, None,
                            f"merged PR #{pull.get('number')} {'passed' if tested else 'has no passing'} CI test check"))
    return probes


class CiTests(Check):
    name: ClassVar[str] = "CI-Tests"
    risk: ClassVar[Risk] = Risk.LOW

    def probe(self, ctx: Context) -> list[Probe]:
        probes = _local_probes(ctx)
        if ctx.github is not None:
            probes += _api_probes(ctx)
        return probes

    def score(self, probes: list[Probe]) -> Scored:
        pulls = [p for p in probes if p.name.startswith("pullRequest")]
        if pulls:
            tested = sum(1 for p in pulls if p.name == "pullRequestTested")
            return proportional(tested, len(pulls)), f"{tested} out of {len(pulls)} merged PRs checked by a CI test"
        if probes:
            return 10, "tests run on pull requests in CI"
        return 0, "no CI configuration runs tests on pull requests: add a pull_request workflow that runs the tests"
