"""The aggregate score, as Scorecard computes it: the mean of the scored checks weighted by risk
(Critical 10, High 7.5, Medium 5, Low 2.5); inconclusive checks are left out and named."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields, replace
from typing import Any

from ossprov.model import to_json
from ossprov.practices.checks import BY_NAME
from ossprov.practices.records import INCONCLUSIVE, CheckResult, PracticesResult, Probe, Risk

_PROBE_FIELDS = {f.name for f in fields(Probe)}


def aggregate(results: Iterable[CheckResult]) -> tuple[float | None, tuple[str, ...]]:
    """(score rounded to one decimal or None when nothing scored, names of the checks left out)."""
    results = list(results)
    scored = [r for r in results if r.score != INCONCLUSIVE]
    excluded = tuple(r.name for r in results if r.score == INCONCLUSIVE)
    weight = sum(r.risk.weight for r in scored)
    if not weight:
        return None, excluded
    return round(sum(r.score * r.risk.weight for r in scored) / weight, 1), excluded


def _rescored(check: CheckResult) -> CheckResult:
    """A check scored again from its findings; one that could not probe (no findings, score -1) as it is."""
    if check.name not in BY_NAME or (not check.probes and check.score == INCONCLUSIVE):
        return check
    return BY_NAME[check.name].scored(list(check.probes))


def rescore(result: PracticesResult) -> PracticesResult:
    """`result` with every check scored again from the probe findings kept on it (no repository needed):
    what a stored result would score under this version's rules."""
    checks = tuple(_rescored(c) for c in result.checks)
    score, excluded = aggregate(checks)
    return replace(result, checks=checks, score=score, excluded=excluded)


def rescore_document(document: dict[str, Any]) -> dict[str, Any]:
    """The JSON document of a stored result (as `ossprov practices --format json` prints it and the store
    keeps it), with its checks and aggregate scored again from the findings in it."""
    checks = []
    for check in document.get("checks") or []:
        probes = tuple(Probe(**{k: v for k, v in p.items() if k in _PROBE_FIELDS}) for p in check.get("probes") or [])
        stored = CheckResult(check["name"], check["score"], Risk(check["risk"]), check.get("reason", ""),
                             probes=probes)
        checks.append(_rescored(stored))
    score, excluded = aggregate(checks)
    return {**document, "checks": to_json(checks), "score": score, "excluded": list(excluded)}
