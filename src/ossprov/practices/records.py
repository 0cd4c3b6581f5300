"""The records of the practices stage: raw facts (probes), scored checks, package signals, the aggregate.

They live here rather than in `ossprov.model` only because this stage was written in parallel with the core;
they follow the same rules (frozen dataclasses, serialised by `ossprov.model.to_json`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

INCONCLUSIVE = -1
"""The score of a check that could not decide (Scorecard's `-1`); such checks are left out of the aggregate."""


class Risk(enum.StrEnum):
    """Scorecard's risk levels; the weight is what a check counts for in the aggregate."""

    CRITICAL = "Critical"
    HIGH = "High"
    MEDIUM = "Medium"
    LOW = "Low"

    @property
    def weight(self) -> float:
        return {"Critical": 10.0, "High": 7.5, "Medium": 5.0, "Low": 2.5}[self.value]


@dataclass(frozen=True)
class Probe:
    """One finding of a named probe (Scorecard's word): a fact about the repository, true or false, with where
    it was seen. A check's score is computed from its probes alone, so a stored result can be re-scored."""

    name: str
    """The probe, named as Scorecard names it where it has one (hasBinaryArtifacts, pinsDependencies, ...)."""
    outcome: bool | None = None
    """Whether the probe's statement holds here (True, False), or None for a fact that is neither (a count)."""
    path: str | None = None
    """Repository path the fact is about, when it is about a file."""
    line: int | None = None
    """1-based line in `path`, when known."""
    message: str = ""
    """One sentence a person can read; empty for facts that only feed the score."""
    data: dict[str, Any] = field(default_factory=dict)
    """Particulars the scoring reads (counts, flags)."""


@dataclass(frozen=True)
class Detail:
    """A fact behind a check's score, pointing at a file and line where there is one."""

    path: str | None
    line: int | None
    message: str


@dataclass(frozen=True)
class CheckResult:
    """One Scorecard check, scored."""

    name: str
    score: int
    """0–10, or -1 (inconclusive: see `reason`)."""
    risk: Risk
    reason: str
    """Why the score is what it is, in words a maintainer can act on."""
    details: tuple[Detail, ...] = ()
    """The probes with something to say (a person's summary of `probes`)."""
    probes: tuple[Probe, ...] = ()
    """Every probe finding the score was computed from (`scoring.rescore` recomputes it from these)."""


@dataclass(frozen=True)
class MaintainerChange:
    """Who gained or lost the right to publish between two consecutive versions."""

    version: str
    previous_version: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    publisher: str | None = None
    """Who published `version`, when the registry says."""
    previous_publisher: str | None = None


@dataclass(frozen=True)
class PackageSignals:
    """Maintenance signals of the package itself, from the registry's history of it."""

    ecosystem: str
    name: str
    version: str | None
    latest_version: str | None = None
    latest_release: str | None = None
    """ISO 8601 time of the newest release the registry dates."""
    release_cadence_days: float | None = None
    """Median days between consecutive dated releases."""
    releases_last_year: int = 0
    deprecated: bool = False
    deprecation: str | None = None
    yanked: bool = False
    maintainers: tuple[str, ...] = ()
    maintainer_changes: tuple[MaintainerChange, ...] = ()
    """Changes between the version before this one and this one (the account-takeover pattern)."""
    missing_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class PracticesResult:
    """The practices of one repository at one commit, scored as Scorecard does."""

    repository: str
    """Repository URL (or local path when it has no remote)."""
    commit: str
    score: float | None
    """Weighted mean over the checks that scored; None when none did."""
    excluded: tuple[str, ...]
    """Checks left out of `score` because they were inconclusive."""
    checks: tuple[CheckResult, ...]
    package: PackageSignals | None = None
    head: str | None = None
    """The default branch's head: the history checks (Maintained, Code-Review, Contributors, Signed-Releases)
    describe the repository now, while the file checks read `commit` (the pinned release)."""


class Inconclusive(Exception):
    """Raised by a probe that cannot decide; the message becomes the check's reason and its score -1."""
