"""Dependency-Update-Tool: Dependabot, Renovate, PyUp, Scala Steward or a similar bot is configured (Scorecard
v5: 10 when one is, else 0), by its configuration file or a workflow that runs it."""

from __future__ import annotations

from typing import ClassVar

from ossprov.practices.context import Context
from ossprov.practices.interface import Check, Inconclusive, Scored
from ossprov.practices.records import Probe, Risk
from ossprov.practices.workflows import action_name

CONFIG_FILES = {
    ".github/dependabot.yml": "Dependabot", ".github/dependabot.yaml": "Dependabot",
    "renovate.json": "Renovate", "renovate.json5": "Renovate", ".renovaterc": "Renovate",
    ".renovaterc.json": "Renovate", ".renovaterc.json5": "Renovate", ".github/renovate.json": "Renovate",
    ".github/renovate.json5": "Renovate", ".gitlab/renovate.json": "Renovate", ".gitlab/renovate.json5": "Renovate",
    ".pyup.yml": "PyUp", ".pyup.yaml": "PyUp", ".lift.toml": "Sonatype Lift", ".lift/config.toml": "Sonatype Lift",
    ".scala-steward.conf": "Scala Steward", ".github/.scala-steward.conf": "Scala Steward",
    ".github/scala-steward.conf": "Scala Steward", ".config/.scala-steward.conf": "Scala Steward",
    ".config/scala-steward.conf": "Scala Steward",
}
"""Scorecard's files (matched without regard to case), and a few more it does not know (.pyup.yaml, Lift)."""
UPDATE_ACTIONS = ("renovatebot/github-action", "scala-steward-org/scala-steward-action")


class DependencyUpdateTool(Check):
    name: ClassVar[str] = "Dependency-Update-Tool"
    risk: ClassVar[Risk] = Risk.HIGH

    def probe(self, ctx: Context) -> list[Probe]:
        probes = [Probe("dependencyUpdateToolConfigured", True, path, None, f"{CONFIG_FILES[path.lower()]} is configured")
                  for path in sorted(ctx.files) if path.lower() in CONFIG_FILES]
        try:
            workflows = ctx.workflows()
        except Inconclusive:
            workflows = []  # a config file alone decides; unreadable workflows cannot add to it
        probes += [Probe("dependencyUpdateToolConfigured", True, w.path, s.line, f"{s.uses} runs in a workflow")
                   for w in workflows for s in w.steps() if s.uses and action_name(s.uses).startswith(UPDATE_ACTIONS)]
        return probes or [Probe("dependencyUpdateToolConfigured", False)]

    def score(self, probes: list[Probe]) -> Scored:
        if any(p.outcome for p in probes):
            return 10, "update tool detected"
        return 0, "no update tool detected: configure Dependabot or Renovate"
