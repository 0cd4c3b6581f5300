"""Dangerous-Workflow: untrusted code checked out by privileged triggers, and script injection from
attacker-controlled `github.event` fields (Scorecard: any such pattern scores 0)."""

from __future__ import annotations

import re
from typing import ClassVar

from ossprov.practices.context import Context
from ossprov.practices.interface import Check, Inconclusive, Scored
from ossprov.practices.records import Probe, Risk
from ossprov.practices.workflows import Step, Workflow, action_name

PRIVILEGED_TRIGGERS = frozenset({"pull_request_target", "workflow_run"})
_UNTRUSTED_REF = re.compile(
    r"github\.event\.(pull_request|workflow_run)\.|github\.head_ref|refs/pull/", re.IGNORECASE)
_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
_UNTRUSTED_CONTEXT = re.compile(
    r"github\.head_ref"
    r"|github\.event\.(?:issue|pull_request|discussion)\.(?:title|body)"
    r"|github\.event\.(?:comment|review|review_comment)\.body"
    r"|github\.event\.pages\b.*\.page_name"
    r"|github\.event\.commits\b.*\.(?:message|author\.(?:email|name))"
    r"|github\.event\.head_commit\.(?:message|author\.(?:email|name))"
    r"|github\.event\.pull_request\.head\.(?:ref|label|repo\.default_branch)"
    r"|github\.event\.workflow_run\.(?:head_branch|head_commit\.(?:message|author\.(?:email|name))"
    r"|pull_requests\b.*\.head\.branch)"
    r"|github\.event\.issue\.pull_request\.(?:title|body)",
    re.IGNORECASE)


def _untrusted_checkout(workflow: Workflow, step: Step) -> Probe | None:
    uses = step.uses
    if not uses or action_name(uses) != "actions/checkout":
        return None
    ref = step.inputs.get("ref")
    if not isinstance(ref, str) or not _UNTRUSTED_REF.search(ref):
        return None
    triggers = ", ".join(sorted(workflow.triggers & PRIVILEGED_TRIGGERS))
    return Probe("hasDangerousWorkflowUntrustedCheckout", True, workflow.path, step.line,
                 f"{triggers} workflow checks out untrusted code ({ref.strip()}) with write token and secrets")


def _script_injections(workflow: Workflow, step: Step) -> list[Probe]:
    probes = []
    lines = list(step.run_lines())
    script = step.inputs.get("script") if step.uses and action_name(step.uses) == "actions/github-script" else None
    if isinstance(script, str):
        first = step.inputs.value_lines.get("script", step.line) + (1 if "script" in step.inputs.block_keys else 0)
        lines += [(first + i, text) for i, text in enumerate(script.splitlines())]
    for line, text in lines:
        for expression in _EXPRESSION.findall(text):
            match = _UNTRUSTED_CONTEXT.search(expression)
            if match:
                probes.append(Probe("hasDangerousWorkflowScriptInjection", True, workflow.path, line,
                                    f"untrusted `{match.group(0)}` is expanded into a script; pass it through "
                                    "an environment variable instead"))
    return probes


class DangerousWorkflow(Check):
    name: ClassVar[str] = "Dangerous-Workflow"
    risk: ClassVar[Risk] = Risk.CRITICAL

    def probe(self, ctx: Context) -> list[Probe]:
        workflows = ctx.workflows()
        if not workflows:
            raise Inconclusive("no GitHub workflows found")
        probes: list[Probe] = []
        for workflow in workflows:
            privileged = bool(workflow.triggers & PRIVILEGED_TRIGGERS)
            for step in workflow.steps():
                checkout = _untrusted_checkout(workflow, step) if privileged else None
                if checkout:
                    probes.append(checkout)
                probes += _script_injections(workflow, step)
        return probes or [Probe("hasDangerousWorkflowUntrustedCheckout", False),
                          Probe("hasDangerousWorkflowScriptInjection", False)]

    def score(self, probes: list[Probe]) -> Scored:
        if found := [p for p in probes if p.outcome]:
            kinds = sorted({p.name for p in found})
            return 0, f"dangerous workflow patterns detected: {', '.join(kinds)} ({len(found)} found)"
        return 10, "no dangerous workflow patterns detected"
