"""The records `ossprov fix` produces: what was decided, what was changed, where the pull request is."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Status(enum.StrEnum):
    NOT_LOCATED = "not-located"
    """The source could not be located with content-verified confidence: nothing proposed."""
    NOT_NEEDED = "not-needed"
    PROPOSED = "proposed"
    ALREADY_FIXED = "already-fixed-upstream"
    """The default branch already declares the repository; the next release will carry it."""
    MANUAL = "manual"
    """The manifest cannot be edited safely (setup.py only): a snippet is suggested instead."""


@dataclass(frozen=True)
class FixResult:
    purl: str
    needed: bool
    """True when the released metadata is missing, incomplete or wrong about the (confidently located) source."""
    reason: str
    status: Status
    manifest: str | None = None
    """Repository path of the manifest edited (or to edit by hand)."""
    patch: str | None = None
    """`git format-patch` output of the one commit, when an edit was made."""
    title: str | None = None
    body: str | None = None
    branch: str | None = None
    """Branch holding the commit, in the cached clone (and pushed to the fork with --open-pr)."""
    pull_request: str | None = None
    """URL of the pull request opened (or found already open) with --open-pr."""


@dataclass(frozen=True)
class CheckResult:
    """Whether a later release carries the fix: it declares the repository and content matching confirms it."""

    purl: str
    declares: bool
    confirmed: bool
    reason: str

    @property
    def ok(self) -> bool:
        return self.declares and self.confirmed
