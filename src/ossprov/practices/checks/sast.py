"""SAST: a static analysis tool is set up, as Scorecard v5 reads it from the repository: CodeQL's analyze
action, SonarCloud/SonarQube (its action, or `<sonar.host.url>` in a pom.xml), Snyk, Pysa, Qodana or
Hadolint actions; 10 when one is, else 0. (With the API, Scorecard also asks whether the tool ran on the
recent commits; that part is not scored here.)

Where ossprov differs from Scorecard, on purpose: Semgrep, Bandit and gosec (their actions, or the tools run
from a step) are static analysers too, and count; Scorecard's list does not have them.
"""

from __future__ import annotations

import re
from typing import ClassVar

from ossprov.practices.context import Context
from ossprov.practices.interface import Check, Scored
from ossprov.practices.records import Probe, Risk
from ossprov.practices.workflows import action_name

SCORECARD_ACTIONS = {"github/codeql-action/analyze": "CodeQL", "sonarsource/sonarcloud-github-action": "Sonar",
                     "sonarsource/sonarqube-scan-action": "Sonar", "snyk/actions": "Snyk",
                     "facebook/pysa-action": "Pysa", "jetbrains/qodana-action": "Qodana",
                     "hadolint/hadolint-action": "Hadolint"}
"""Scorecard's SAST actions (snyk/actions/* by prefix)."""
OSSPROV_ACTIONS = {"returntocorp/semgrep-action": "Semgrep", "semgrep/semgrep-action": "Semgrep",
                   "securego/gosec": "gosec", "pycqa/bandit-action": "Bandit"}
_COMMAND = re.compile(r"(?:^|[\s;&|])(semgrep(?:\s+(?:ci|scan))|bandit\s+-r|gosec\s)", re.MULTILINE)
_SONAR_POM = re.compile(rb"<sonar\.host\.url>\s*\S+\s*</sonar\.host\.url>")


def _tool(uses: str) -> str | None:
    name = action_name(uses)
    if name.startswith("snyk/actions/"):
        return "Snyk"
    return SCORECARD_ACTIONS.get(name) or OSSPROV_ACTIONS.get(name)


class Sast(Check):
    name: ClassVar[str] = "SAST"
    risk: ClassVar[Risk] = Risk.MEDIUM

    def probe(self, ctx: Context) -> list[Probe]:
        probes = []
        for workflow in ctx.workflows():
            for step in workflow.steps():
                tool = _tool(step.uses) if step.uses else None
                if tool is None and (match := _COMMAND.search(step.run or "")):
                    tool = match.group(1).split()[0].capitalize()
                if tool:
                    probes.append(Probe("sastToolConfigured", True, workflow.path, step.line, f"{tool} runs",
                                        {"tool": tool}))
        poms = [p for p in ctx.files if p.rsplit("/", 1)[-1].lower() == "pom.xml"]
        for path, raw in sorted(ctx.read_many(poms).items()):
            if _SONAR_POM.search(raw):
                probes.append(Probe("sastToolConfigured", True, path, None, "Sonar is configured", {"tool": "Sonar"}))
        return probes or [Probe("sastToolConfigured", False)]

    def score(self, probes: list[Probe]) -> Scored:
        tools = sorted({p.data["tool"] for p in probes if p.outcome})
        if tools:
            return 10, f"SAST tool detected: {', '.join(tools)}"
        return 0, "no SAST tool detected: run CodeQL or another static analyser on every change"
