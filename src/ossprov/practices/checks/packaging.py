"""Packaging: a workflow publishes the project (Scorecard: 10 when one is found, inconclusive otherwise,
since a project may publish by other means).

A job publishes when it matches one of Scorecard's job patterns: every step of the pattern has a step in
the job that uses the named action (with the named inputs) and whose `run` script matches the pattern's
regular expression (line continuations removed), or the job calls a reusable workflow of the named action.
So `pnpm release --publishOnly` after `actions/setup-node` with a `registry-url` is an npm publishing
workflow, as `npm.*publish` matches it.

Where ossprov differs from Scorecard, on purpose: Scorecard's npm pattern wants `registry-url` to be one
exact URL string; ossprov accepts any registry URL given to setup-node (a trailing slash or a company
registry is still publishing from CI), and names no registry host itself; and a Python package uploaded
by command (`twine upload`, `uv publish`, `poetry publish`, ...) is publishing too, where Scorecard only
knows the PyPA upload action.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar

from ossprov.practices.context import Context
from ossprov.practices.interface import Check, Inconclusive, Scored
from ossprov.practices.records import Probe, Risk
from ossprov.practices.workflows import Job, Step, action_name

_CONTINUATION = re.compile(r"\\(\r\n|\n|\r)")
ANY_URL = re.compile(r"^https?://\S+$")


@dataclass(frozen=True)
class StepPattern:
    uses: str = ""
    """The action's `owner/repo[/path]` the step must use."""
    with_inputs: dict[str, re.Pattern[str]] = field(default_factory=dict)
    run: str = ""
    """A regular expression the step's `run` script must contain."""

    def matches(self, step: Step) -> bool:
        if self.uses and (step.uses is None or action_name(step.uses) != self.uses or "@" not in step.uses):
            return False
        for key, pattern in self.with_inputs.items():
            value = step.inputs.get(key)
            if not isinstance(value, str) or not pattern.match(value.strip()):
                return False
        return not self.run or (step.run is not None and re.search(self.run, _CONTINUATION.sub("", step.run)) is not None)


@dataclass(frozen=True)
class JobPattern:
    label: str
    steps: tuple[StepPattern, ...]

    def matches(self, job: Job) -> bool:
        called = job.data.get("uses")
        for wanted in self.steps:
            if wanted.uses and isinstance(called, str) and called.strip().lower().startswith(wanted.uses + "@"):
                return True  # a reusable workflow of the action (Scorecard's rule)
            if not any(wanted.matches(step) for step in job.steps):
                return False
        return True


PATTERNS = (
    JobPattern("npm", (StepPattern("actions/setup-node", {"registry-url": ANY_URL}), StepPattern(run="npm.*publish"))),
    JobPattern("maven", (StepPattern("actions/setup-java"), StepPattern(run="mvn.*deploy"))),
    JobPattern("gradle", (StepPattern("actions/setup-java"), StepPattern(run="gradle.*publish"))),
    JobPattern("sbt-ci-release", (StepPattern(run="sbt.*ci-release"),)),
    JobPattern("gem", (StepPattern(run="gem.*push"),)),
    JobPattern("nuget", (StepPattern(run="nuget.*push"),)),
    JobPattern("docker", (StepPattern(run="docker.*push"),)),
    JobPattern("docker", (StepPattern("docker/build-push-action"),)),
    JobPattern("pypi", (StepPattern("pypa/gh-action-pypi-publish"),)),
    JobPattern("python-semantic-release", (StepPattern("relekang/python-semantic-release"),)),
    JobPattern("goreleaser", (StepPattern("goreleaser/goreleaser-action"),)),
    JobPattern("cargo", (StepPattern(run="cargo.*publish"),)),
    JobPattern("ko", (StepPattern("imjasonh/setup-ko"), StepPattern("ko-build/setup-ko"))),
    JobPattern("semantic-release", (StepPattern(run="npx.*semantic-release"),)),
    JobPattern("hex", (StepPattern("erlef/setup-elixir"), StepPattern(run=".*hex.publish.*"))),
    JobPattern("python (ossprov)", (StepPattern(run=r"\b(twine\s+upload|(uv|poetry|flit|hatch|pdm)\s+publish)\b"),)),
)
"""Scorecard's packaging job patterns (checks/fileparser IsPackagingWorkflow), in its order, and one of
ossprov's: Python packages uploaded by command (Scorecard knows only the PyPA upload action)."""


class Packaging(Check):
    name: ClassVar[str] = "Packaging"
    risk: ClassVar[Risk] = Risk.MEDIUM

    def probe(self, ctx: Context) -> list[Probe]:
        probes = []
        for workflow in ctx.workflows():
            match = next(((job, p) for job in workflow.jobs for p in PATTERNS if p.matches(job)), None)
            if match:
                job, pattern = match
                probes.append(Probe("packagedWithAutomatedWorkflow", True, workflow.path, job.line,
                                    f"job {job.id} publishes ({pattern.label})"))
        return probes or [Probe("packagedWithAutomatedWorkflow", False)]

    def score(self, probes: list[Probe]) -> Scored:
        if any(p.outcome for p in probes):
            return 10, "packaging workflow detected"
        raise Inconclusive("packaging workflow not detected (the project may publish another way)")
