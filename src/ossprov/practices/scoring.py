"""The aggregate score, as Scorecard computes it: the mean of the scored checks weighted by risk
(Critical 10, High 7.5, Medium 5, Low 2.5); inconclusive checks are left out and named."""

from __future__ import annotations

from collections.abc import Iterable

from ossprov.practices.records import INCONCLUSIVE, CheckResult


def aggregate(results: Iterable[CheckResult]) -> tuple[float | None, tuple[str, ...]]:
    """(score rounded to one decimal or None when nothing scored, names of the checks left out)."""
    results = list(results)
    scored = [r for r in results if r.score != INCONCLUSIVE]
    excluded = tuple(r.name for r in results if r.score == INCONCLUSIVE)
    weight = sum(r.risk.weight for r in scored)
    if not weight:
        return None, excluded
    return round(sum(r.score * r.risk.weight for r in scored) / weight, 1), excluded
