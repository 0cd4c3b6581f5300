"""What every practice check provides: `probe` reads the repository once into named true/false findings
(Scorecard's probes), `score` turns those findings alone into 0–10 and a reason (Scorecard's evaluation).

The split follows Scorecard: findings are kept on the result, so they can be shown, stored and re-scored
(`scoring.rescore`) without looking at the repository again, and each half is tested on its own.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar

from ossprov.errors import GitError, RegistryError
from ossprov.practices.records import INCONCLUSIVE, CheckResult, Detail, Inconclusive, Probe, Risk

if TYPE_CHECKING:
    from ossprov.practices.context import Context

Scored = tuple[int, str]
"""A score (0–10 or -1) and the reason for it."""


class Check(ABC):
    """One Scorecard check."""

    name: ClassVar[str]
    risk: ClassVar[Risk]

    @abstractmethod
    def probe(self, ctx: Context) -> list[Probe]:
        """The probe findings: what the repository contains or did, with file and line."""

    @abstractmethod
    def score(self, probes: list[Probe]) -> Scored:
        """The score the findings earn under Scorecard's rules, and why; reads nothing but `probes`."""

    def run(self, ctx: Context) -> CheckResult:
        """Probe and score; a check that cannot decide scores -1 with the reason, it never raises."""
        try:
            probes = self.probe(ctx)
        except Inconclusive as exc:
            return CheckResult(self.name, INCONCLUSIVE, self.risk, str(exc))
        except (GitError, RegistryError) as exc:
            return CheckResult(self.name, INCONCLUSIVE, self.risk, f"could not be checked: {exc}")
        return self.scored(probes)

    def scored(self, probes: list[Probe]) -> CheckResult:
        """The result `probes` earn: what `run` returns, and what `scoring.rescore` recomputes."""
        try:
            value, reason = self.score(probes)
        except Inconclusive as exc:
            value, reason = INCONCLUSIVE, str(exc)
        details = tuple(Detail(p.path, p.line, p.message) for p in probes if p.message)
        return CheckResult(self.name, value, self.risk, reason, details, tuple(probes))


def proportional(success: int, total: int) -> int:
    """Scorecard's CreateProportionalScore: 10·success/total in integer arithmetic, capped at 10."""
    if total <= 0:
        return 0
    return min(10 * success // total, 10)
