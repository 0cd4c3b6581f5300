"""Packaging: a workflow publishes the project (Scorecard: 10 when found, inconclusive otherwise, since a
project may publish by other means)."""

from __future__ import annotations

from typing import ClassVar

from ossprov.practices.checks.token_permissions import PACKAGING_ACTIONS, PACKAGING_COMMANDS
from ossprov.practices.context import Context
from ossprov.practices.interface import Check, Inconclusive, Scored
from ossprov.practices.records import Probe, Risk
from ossprov.practices.workflows import action_name


class Packaging(Check):
    name: ClassVar[str] = "Packaging"
    risk: ClassVar[Risk] = Risk.MEDIUM

    def probe(self, ctx: Context) -> list[Probe]:
        probes = []
        for workflow in ctx.workflows():
            for step in workflow.steps():
                if step.uses and action_name(step.uses).startswith(PACKAGING_ACTIONS):
                    probes.append(Probe("packagingWorkflow", workflow.path, step.line,
                                        f"publishes with {action_name(step.uses)}"))
                    continue
                command = next((c for c in PACKAGING_COMMANDS if c in (step.run or "")), None)
                if command:
                    probes.append(Probe("packagingWorkflow", workflow.path, step.line, f"publishes with `{command}`"))
        return probes

    def score(self, probes: list[Probe]) -> Scored:
        if probes:
            return 10, "packaging workflow detected"
        raise Inconclusive("packaging workflow not detected (the project may publish another way)")
