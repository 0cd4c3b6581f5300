"""Pinned-Dependencies: actions by full commit SHA, container images by digest, installs that verify
hashes (Scorecard: a proportional score per dependency kind, averaged over the kinds present; GitHub-owned
actions weigh 2 and third-party ones 8)."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import ClassVar

from ossprov.practices.context import Context
from ossprov.practices.interface import Check, Inconclusive, Scored, proportional
from ossprov.practices.records import Probe, Risk
from ossprov.practices.shell import analyse, dockerfile_runs
from ossprov.practices.workflows import Workflow, action_name, action_ref

_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}\b")
_FROM = re.compile(r"^\s*FROM\s+(?P<rest>.+)$", re.IGNORECASE)
GITHUB_OWNERS = ("actions/", "github/")
KIND_LABELS = {"githubOwnedAction": "GitHub-owned action", "thirdPartyAction": "third-party action",
               "containerImage": "container image", "pipCommand": "pip install", "npmCommand": "npm install",
               "goCommand": "go install", "downloadThenRun": "download then run"}


def _dep(kind: str, pinned: bool, path: str, line: int, what: str) -> Probe:
    message = "" if pinned else f"{KIND_LABELS[kind]} not pinned by hash: {what}"
    return Probe("dependency", path, line, message, {"kind": kind, "pinned": pinned})


def _workflow_deps(workflow: Workflow) -> list[Probe]:
    probes = []
    for job in workflow.jobs:
        reusable = job.data.get("uses")
        uses_list = [(reusable, job.line)] if isinstance(reusable, str) else []
        uses_list += [(step.uses, step.line) for step in job.steps if step.uses]
        for uses, line in uses_list:
            if uses.startswith("./"):
                continue  # an action of the repository itself
            if uses.startswith("docker://"):
                probes.append(_dep("containerImage", bool(_DIGEST.search(uses)), workflow.path, line, uses))
                continue
            kind = "githubOwnedAction" if action_name(uses).startswith(GITHUB_OWNERS) else "thirdPartyAction"
            probes.append(_dep(kind, bool(_FULL_SHA.match(action_ref(uses) or "")), workflow.path, line, uses))
        for step in job.steps:
            probes += _script_deps(workflow.path, step.run or "", next(iter(step.run_lines()), (step.line, ""))[0])
    return probes


def _script_deps(path: str, text: str, first_line: int) -> list[Probe]:
    return [_dep(d.kind, d.pinned, path, first_line + d.offset, d.command) for d in analyse(text)]


def _dockerfile_deps(path: str, text: str) -> list[Probe]:
    probes, stages = [], set()
    for offset, line in enumerate(text.splitlines()):
        match = _FROM.match(line)
        if not match:
            continue
        words = [w for w in match["rest"].split() if not w.startswith("--")]
        if not words:
            continue
        image = words[0]
        if len(words) >= 3 and words[1].lower() == "as":
            stages.add(words[2].lower())
        if image.lower() == "scratch" or image.lower() in stages or "$" in image:
            continue
        probes.append(_dep("containerImage", bool(_DIGEST.search(image)), path, offset + 1, image))
    for offset, script in dockerfile_runs(text):
        probes += _script_deps(path, script, offset + 1)
    return probes


def _is_dockerfile(path: str) -> bool:
    name = path.rsplit("/", 1)[-1].lower()
    return name == "dockerfile" or name.startswith("dockerfile.") or name.endswith(".dockerfile")


class PinnedDependencies(Check):
    name: ClassVar[str] = "Pinned-Dependencies"
    risk: ClassVar[Risk] = Risk.MEDIUM

    def probe(self, ctx: Context) -> list[Probe]:
        probes = [p for w in ctx.workflows() for p in _workflow_deps(w)]
        others = [p for p in ctx.files if _is_dockerfile(p) or p.endswith(".sh")]
        for path, raw in sorted(ctx.read_many(others).items()):
            text = raw.decode("utf-8", "replace")
            probes += _dockerfile_deps(path, text) if _is_dockerfile(path) else _script_deps(path, text, 1)
        return probes

    def score(self, probes: list[Probe]) -> Scored:
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for probe in probes:
            counts[probe.data["kind"]][0] += probe.data["pinned"]
            counts[probe.data["kind"]][1] += 1
        if not counts:
            raise Inconclusive("no dependencies found in workflows, Dockerfiles or shell scripts")
        scores: list[tuple[int, int]] = []  # (score, weight)
        owned, third = counts.pop("githubOwnedAction", None), counts.pop("thirdPartyAction", None)
        if owned or third:
            parts = [(proportional(*c), w) for c, w in ((owned, 2), (third, 8)) if c]
            total_weight = sum(w for _, w in parts)
            scores.append((sum(s * w for s, w in parts) // total_weight, 1))
        scores += [(proportional(*c), 1) for c in counts.values()]
        value = sum(s for s, _ in scores) // len(scores)
        unpinned = sum(1 for p in probes if not p.data["pinned"])
        if value == 10 and not unpinned:
            return 10, "all dependencies are pinned"
        return value, f"{unpinned} of {len(probes)} dependencies not pinned by hash"
