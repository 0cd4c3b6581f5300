"""The CI gate's contract, in one place for every command: which exit code a run ends with.

A gate fails closed. A package that could not be checked (no source found, the registry down, a repository
that could not be cloned, an archive refused) is not "clean": it has its own exit code, so a pipeline can tell
"an attack was found" (1) from "ossprov could not look" (5), and neither reads as a pass. The user lowers the
bar explicitly (`--fail-on never`, `--fail-on-unverifiable never`, or a reviewed suppression).
"""

from __future__ import annotations

from collections.abc import Iterable

from ossprov.model import Severity

PASSED = 0
FINDINGS = 1
"""A finding at or above `--fail-on`."""
NOT_CHECKED = 5
"""At least one package could not be checked (and no finding reached `--fail-on`)."""

FAIL_ON = ("high", "medium", "low", "never")
FAIL_ON_UNVERIFIABLE = ("always", "never")


def reaches(severity: Severity | None, fail_on: str) -> bool:
    """Whether a finding of `severity` fails a gate set at `fail_on`."""
    if severity is None or fail_on == "never":
        return False
    return severity.rank >= Severity(fail_on).rank


def exit_code(worst: Iterable[Severity | None], unchecked: int, fail_on: str, fail_on_unverifiable: str) -> int:
    """0, 1 or 5 from the worst (unsuppressed) finding of each package and the count of packages not checked."""
    if any(reaches(severity, fail_on) for severity in worst):
        return FINDINGS
    if unchecked and fail_on_unverifiable != "never":
        return NOT_CHECKED
    return PASSED
