"""SAST: static analysis (CodeQL, SonarCloud, Semgrep, Snyk, ...) runs in the project's workflows."""

from __future__ import annotations

from typing import ClassVar

from ossprov.practices.context import Context
from ossprov.practices.interface import Check, Scored
from ossprov.practices.records import Probe, Risk
from ossprov.practices.workflows import action_name

SAST_ACTIONS = ("github/codeql-action/analyze", "github/codeql-action/init", "sonarsource/sonarcloud-github-action",
                "sonarsource/sonarqube-scan-action", "returntocorp/semgrep-action", "semgrep/semgrep-action",
                "snyk/actions", "facebook/pysa-action", "jetbrains/qodana-action", "securego/gosec",
                "pycqa/bandit-action", "shiftleftsecurity/scan-action", "ossf/scorecard-action")
SAST_COMMANDS = ("semgrep ", "codeql ", "bandit ", "gosec ", "snyk code", "sonar-scanner")


class Sast(Check):
    name: ClassVar[str] = "SAST"
    risk: ClassVar[Risk] = Risk.MEDIUM

    def probe(self, ctx: Context) -> list[Probe]:
        probes = []
        for workflow in ctx.workflows():
            for step in workflow.steps():
                if step.uses and action_name(step.uses).startswith(SAST_ACTIONS):
                    probes.append(Probe("sastToolConfigured", True, workflow.path, step.line, f"{action_name(step.uses)} runs"))
                elif any(cmd in (step.run or "") for cmd in SAST_COMMANDS):
                    probes.append(Probe("sastToolConfigured", True, workflow.path, step.line, "static analysis command runs"))
        return probes or [Probe("sastToolConfigured", False)]

    def score(self, probes: list[Probe]) -> Scored:
        if any(p.outcome for p in probes):
            return 10, "SAST tool runs in CI"
        return 0, "no SAST tool detected: run CodeQL or another static analyser on every change"
