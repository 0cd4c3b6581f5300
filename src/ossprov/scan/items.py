"""What a scan produces per package: the dependency as the lockfile named it, and the outcome of verifying it.

Reports (CycloneDX, HTML, ...) take a sequence of these; the scan command builds them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ossprov.model import Finding, Severity, Verdict, VerifyResult
from ossprov.scan.parsers.base import Dependency

ERROR_CATEGORY = "error"
"""The category of an item that could not be verified at all (registry down, package gone)."""


@dataclass(frozen=True)
class ScanItem:
    """One scanned package."""

    dependency: Dependency
    result: VerifyResult | None
    """None when verification failed before a result (see `error`)."""
    error: str | None = None
    """One-line reason verification could not run."""
    extra_findings: tuple[Finding, ...] = ()
    """Findings from other checks run on the package (typosquats, removed versions, practices)."""
    stages: dict[str, Any] = field(default_factory=dict)
    """JSON records of the extra stages asked for (`rebuild`, `practices`), by stage."""
    reused: bool = False
    """True when the verification came from the results database instead of being run again."""

    @property
    def category(self) -> str:
        """The verdict's value, or `error` when there is no result: what reports group and filter by."""
        return self.result.verdict.value if self.result else ERROR_CATEGORY

    @property
    def status(self) -> str:
        """What reports show: the verdict, except that a high finding of any check (a lockfile digest the served
        artifact no longer matches) makes the package `mismatch`; `removed` and `error` stay what they are."""
        if self.result is None or self.result.verdict is Verdict.REMOVED:
            return self.category
        if any(f.severity is Severity.HIGH for f in self.findings):
            return Verdict.MISMATCH.value
        return self.category

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Verification findings followed by the extra ones."""
        return (self.result.findings if self.result else ()) + self.extra_findings


CATEGORIES: tuple[str, ...] = (*(v.value for v in Verdict), ERROR_CATEGORY)
"""Every category, in the order reports list them."""
