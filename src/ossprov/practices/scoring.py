"""The aggregate score, as Scorecard computes it: the mean of the scored checks weighted by risk
(Critical 10, High 7.5, Medium 5, Low 2.5); inconclusive checks are left out and named."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from ossprov.practices.checks import BY_NAME
from ossprov.practices.records import INCONCLUSIVE, CheckResult, PracticesResult


def aggregate(results: Iterable[CheckResult]) -> tuple[float | None, tuple[str, ...]]:
    """(score rounded to one decimal or None when nothing scored, names of the checks left out)."""
    results = list(results)
    scored = [r for r in results if r.score != INCONCLUSIVE]
    excluded = tuple(r.name for r in results if r.score == INCONCLUSIVE)
    weight = sum(r.risk.weight for r in scored)
    if not weight:
        return None, excluded
    return round(sum(r.score * r.risk.weight for r in scored) / weight, 1), excluded


def rescore(result: PracticesResult) -> PracticesResult:
    """`result` with every check scored again from the probe findings kept on it (no repository needed):
    what a stored result would score under this version's rules. A check that could not probe (no
    findings, score -1) stays as it is."""
    checks = tuple(BY_NAME[c.name].scored(list(c.probes)) if c.name in BY_NAME and (c.probes or c.score != INCONCLUSIVE) else c
                   for c in result.checks)
    score, excluded = aggregate(checks)
    return replace(result, checks=checks, score=score, excluded=excluded)
