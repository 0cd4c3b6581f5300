"""Pinned-Dependencies: actions by full commit SHA, container images by digest, installs that verify
hashes. Scored as Scorecard v5 does: one weighted ratio over every dependency found,
10 · Σ pinned·weight / Σ total·weight (integer arithmetic), where each dependency type present (container
image, pip, npm, go, download-then-run, ...) has weight 10, and GitHub Actions are split into GitHub-owned
(weight 2) and third-party (weight 8) when both are present, else weight 10 for the one present. So a
type with many dependencies counts for more than a type with one."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import PurePosixPath
from typing import ClassVar

from ossprov.practices.context import Context
from ossprov.practices.interface import Check, Inconclusive, Scored
from ossprov.practices.records import Probe, Risk
from ossprov.practices.shell import analyse, dockerfile_runs
from ossprov.practices.workflows import Job, Step, Workflow, action_name

_PINNED_ACTION = re.compile(r".*@[a-fA-F\d]{40,}")
_PINNED_DOCKER_ACTION = re.compile(r"docker://.*@sha256:[a-fA-F\d]{64}")
_WINDOWS_STEP = re.compile(r"runner\.os\s*==\s*['\"]windows['\"]|\$\{\{\s*startsWith\(runner\.os,\s*['\"]windows['\"]\)"
                           r"|matrix\.os\s*==\s*['\"]windows-", re.IGNORECASE)
SUPPORTED_SHELLS = frozenset({"sh", "bash", "mksh"})
"""The shells whose scripts Scorecard reads (others, PowerShell and cmd included, are skipped)."""
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}\b")
_FROM = re.compile(r"^\s*FROM\s+(?P<rest>.+)$", re.IGNORECASE)
GITHUB_OWNERS = ("actions/", "github/")
OWNED_WEIGHT, THIRD_PARTY_WEIGHT = 2, 8
NORMAL_WEIGHT = OWNED_WEIGHT + THIRD_PARTY_WEIGHT
"""The weight of every other dependency type (Scorecard's normalWeight)."""
KIND_LABELS = {"githubOwnedAction": "GitHub-owned action", "thirdPartyAction": "third-party action",
               "containerImage": "container image", "pipCommand": "pip install", "npmCommand": "npm install",
               "goCommand": "go install", "downloadThenRun": "download then run"}


def _dep(kind: str, pinned: bool, path: str, line: int, what: str) -> Probe:
    message = "" if pinned else f"{KIND_LABELS[kind]} not pinned by hash: {what}"
    return Probe("pinsDependencies", pinned, path, line, message, {"kind": kind})


def _action_pinned(uses: str) -> bool:
    """Scorecard's rule: a full commit SHA after `@`, or a Docker image by sha256 digest."""
    return bool(_PINNED_ACTION.match(uses) or _PINNED_DOCKER_ACTION.match(uses))


def _job_oses(job: Job) -> list[str]:
    """The runner labels of a job, read through `${{ matrix.os }}` as Scorecard reads them."""
    runs_on = job.data.get("runs-on")
    labels = [runs_on] if isinstance(runs_on, str) else [str(x) for x in runs_on] if isinstance(runs_on, list) else []
    if len(labels) != 1 or "matrix.os" not in labels[0]:
        return labels
    matrix = (job.data.get("strategy") or {}).get("matrix") or {}
    oses = [str(x) for x in matrix.get("os") or []] if isinstance(matrix, dict) else []
    includes = matrix.get("include") if isinstance(matrix, dict) else None
    oses += [str(i["os"]) for i in includes or [] if isinstance(i, dict) and "os" in i]
    return oses


def step_shell(step: Step, job: Job) -> str:
    """The shell a `run` step runs in, decided as Scorecard decides it: the step's `shell`, the job's default,
    PowerShell for a step or job that runs on Windows, else bash."""
    for value in (step.data.get("shell"), ((job.data.get("defaults") or {}).get("run") or {}).get("shell")):
        if isinstance(value, str) and value:
            return value
    condition = step.data.get("if")
    if isinstance(condition, str) and _WINDOWS_STEP.search(condition):
        return "pwsh"
    oses = _job_oses(job)
    if oses and all(os.lower().startswith("windows") for os in oses):
        return "pwsh"
    return "bash"


def _workflow_deps(workflow: Workflow) -> list[Probe]:
    probes = []
    for job in workflow.jobs:
        reusable = job.data.get("uses")
        uses_list = [(reusable, job.data.value_lines.get("uses", job.line))] if isinstance(reusable, str) else []
        uses_list += [(step.uses, step.data.value_lines.get("uses", step.line)) for step in job.steps if step.uses]
        for uses, line in uses_list:
            if uses.startswith("./"):
                continue  # an action of the repository itself
            kind = "githubOwnedAction" if action_name(uses).startswith(GITHUB_OWNERS) else "thirdPartyAction"
            probes.append(_dep(kind, _action_pinned(uses), workflow.path, line, uses))
        for step in job.steps:
            if step.run is None or PurePosixPath(step_shell(step, job)).name.lower() not in SUPPORTED_SHELLS:
                continue  # Scorecard reads only sh, bash and mksh scripts
            probes += _script_deps(workflow.path, step.run, next(iter(step.run_lines()), (step.line, ""))[0])
    return probes


def _script_deps(path: str, text: str, first_line: int) -> list[Probe]:
    return [_dep(d.kind, d.pinned, path, first_line + d.offset, d.command) for d in analyse(text)]


def _dockerfile_deps(path: str, text: str) -> list[Probe]:
    """The images of FROM lines, and what RUN lines install. As in Scorecard, `FROM <stage>` is a dependency
    too, pinned when that stage's own image was (so an unpinned base counts for each stage built on it)."""
    probes: list[Probe] = []
    stages: dict[str, bool] = {}
    for offset, line in enumerate(text.splitlines()):
        match = _FROM.match(line)
        if not match:
            continue
        words = [w for w in match["rest"].split() if not w.startswith("--")]
        if not words or "$" in words[0]:
            continue
        image = words[0]
        pinned = stages.get(image.lower(), False) or bool(_DIGEST.search(image))
        if len(words) >= 3 and words[1].lower() == "as":
            stages[words[2].lower()] = pinned or image.lower() == "scratch"
        if image.lower() != "scratch":
            probes.append(_dep("containerImage", pinned, path, offset + 1, image))
    for offset, script in dockerfile_runs(text):
        probes += _script_deps(path, script, offset + 1)
    return probes


SCRIPT_SUFFIXES = tuple(f".{shell}" for shell in sorted(SUPPORTED_SHELLS))


def is_shell_script(path: str, raw: bytes) -> bool:
    """Scorecard's test: a shebang naming sh, bash or mksh (directly or through env) decides; without a
    shebang, the file's extension does."""
    first = raw.split(b"\n", 1)[0].decode("utf-8", "replace")
    if not first.startswith("#!"):
        return path.endswith(SCRIPT_SUFFIXES)
    parts = first[2:].split(" ")
    names = [PurePosixPath(part).name.lower() for part in parts[:2]]
    return names[0] in SUPPORTED_SHELLS or (len(names) > 1 and names[0] == "env" and names[1] in SUPPORTED_SHELLS)


def _is_dockerfile(path: str) -> bool:
    name = path.rsplit("/", 1)[-1].lower()
    return name == "dockerfile" or name.startswith("dockerfile.") or name.endswith(".dockerfile")


class PinnedDependencies(Check):
    name: ClassVar[str] = "Pinned-Dependencies"
    risk: ClassVar[Risk] = Risk.MEDIUM

    def probe(self, ctx: Context) -> list[Probe]:
        probes = [p for w in ctx.workflows() for p in _workflow_deps(w)]
        candidates = [p for p in ctx.files if _is_dockerfile(p) or p.endswith(SCRIPT_SUFFIXES)
                      or "." not in p.rsplit("/", 1)[-1]]
        for path, raw in sorted(ctx.read_many(candidates).items()):
            if _is_dockerfile(path):
                probes += _dockerfile_deps(path, raw.decode("utf-8", "replace"))
            elif is_shell_script(path, raw):
                probes += _script_deps(path, raw.decode("utf-8", "replace"), 1)
        return probes

    def score(self, probes: list[Probe]) -> Scored:
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for probe in probes:
            counts[probe.data["kind"]][0] += bool(probe.outcome)
            counts[probe.data["kind"]][1] += 1
        if not counts:
            raise Inconclusive("no dependencies found in workflows, Dockerfiles or shell scripts")
        owned, third = counts.pop("githubOwnedAction", None), counts.pop("thirdPartyAction", None)
        groups = [(c, NORMAL_WEIGHT) for c in counts.values()]
        if owned and third:
            groups += [(owned, OWNED_WEIGHT), (third, THIRD_PARTY_WEIGHT)]
        elif actions := owned or third:
            groups.append((actions, NORMAL_WEIGHT))
        pinned = sum(c[0] * w for c, w in groups)
        total = sum(c[1] * w for c, w in groups)
        value = min(10 * pinned // total, 10)
        unpinned = sum(1 for p in probes if not p.outcome)
        if value == 10:
            return 10, "all dependencies are pinned"
        return value, f"{unpinned} of {len(probes)} dependencies not pinned by hash"
