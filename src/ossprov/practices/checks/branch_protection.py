"""Branch-Protection (GitHub API): the default branch's protection rules, as Scorecard v5's probes and tiered
evaluation score them. Each tier is worth its points in proportion to the rules of it that are met, and a
tier counts only when every rule of the tiers below it is met:

1. 3 points: deletion and force pushes blocked;
2. 3 points: approving reviews required (worth 2), and pull requests required, branches up to date, approval
   of the last push (1 each);
3. 2 points: status checks required before merging;
4. 1 point: two or more approving reviews, code-owner review with a CODEOWNERS file;
5. 1 point: stale reviews dismissed, and the rules applied to administrators.

Scorecard also reads release branches; ossprov reads the default branch, whose protection guards what is
released from it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ossprov.practices.context import Context
from ossprov.practices.interface import Check, Inconclusive, Scored
from ossprov.practices.records import Probe, Risk

CODEOWNERS = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS")
TIERS: tuple[tuple[int, dict[str, int]], ...] = (
    (3, {"blocksDeleteOnBranches": 1, "blocksForcePushOnBranches": 1}),
    (3, {"requiresApproversForPullRequests": 2, "requiresPRsToChangeCode": 1, "requiresUpToDateBranches": 1,
         "requiresLastPushApproval": 1}),
    (2, {"runsStatusChecksBeforeMerging": 1}),
    (1, {"requiresTwoApprovers": 1, "requiresCodeOwnersReview": 1}),
    (1, {"dismissesStaleReviews": 1, "branchProtectionAppliesToAdmins": 1}),
)
"""(points, {probe: weight}) of each tier, lowest first (Scorecard's levels and weights)."""
MIN_REVIEWS = 2


def _enabled(protection: dict[str, Any], key: str) -> bool:
    value = protection.get(key)
    return bool(value.get("enabled")) if isinstance(value, dict) else bool(value)


def rule_findings(protection: dict[str, Any], has_codeowners: bool) -> dict[str, tuple[bool, str]]:
    """Each probe's outcome on a GitHub branch-protection document, with what it says."""
    reviews = protection.get("required_pull_request_reviews")
    reviews = reviews if isinstance(reviews, dict) else None
    checks = protection.get("required_status_checks") or {}
    approvals = int((reviews or {}).get("required_approving_review_count") or 0)
    owners = bool((reviews or {}).get("require_code_owner_reviews"))
    return {
        "blocksDeleteOnBranches": (not _enabled(protection, "allow_deletions"), "deletion blocked"),
        "blocksForcePushOnBranches": (not _enabled(protection, "allow_force_pushes"), "force pushes blocked"),
        "requiresApproversForPullRequests": (approvals > 0, f"{approvals} approving review(s) required"),
        "requiresPRsToChangeCode": (reviews is not None, "changes go through pull requests"),
        "requiresUpToDateBranches": (bool(checks.get("strict")), "branches must be up to date before merging"),
        "requiresLastPushApproval": (bool((reviews or {}).get("require_last_push_approval")),
                                     "the last push must be approved"),
        "runsStatusChecksBeforeMerging": (bool(checks.get("contexts") or checks.get("checks")),
                                          "status checks must pass before merging"),
        "requiresTwoApprovers": (approvals >= MIN_REVIEWS, f"at least {MIN_REVIEWS} approving reviews required"),
        "requiresCodeOwnersReview": (owners and has_codeowners, "code owners must review" + (
            "" if has_codeowners or not owners else " (but there is no CODEOWNERS file)")),
        "dismissesStaleReviews": (bool((reviews or {}).get("dismiss_stale_reviews")),
                                  "stale reviews are dismissed on new commits"),
        "branchProtectionAppliesToAdmins": (_enabled(protection, "enforce_admins"), "the rules apply to admins"),
    }


class BranchProtection(Check):
    name: ClassVar[str] = "Branch-Protection"
    risk: ClassVar[Risk] = Risk.HIGH

    def probe(self, ctx: Context) -> list[Probe]:
        api = ctx.require_github()
        branch = (api.get("") or {}).get("default_branch") or ctx.repo.default_branch()
        if not branch:
            raise Inconclusive("default branch unknown")
        protection = api.get(f"/branches/{branch}/protection")
        if protection is None:
            info = api.get(f"/branches/{branch}")
            if info is None:
                raise Inconclusive(f"branch {branch} not found through the GitHub API")
            if not info.get("protected"):
                return [Probe("branchesAreProtected", False, None, None, f"branch {branch} is not protected",
                              {"branch": branch})]
            raise Inconclusive(f"branch {branch} is protected; reading its rules needs an admin token")
        rules = rule_findings(protection, any(p in ctx.files for p in CODEOWNERS))
        return [Probe("branchesAreProtected", True, None, None, "", {"branch": branch})] + [
            Probe(name, met, None, None, f"{branch}: {'' if met else 'not '}{what}", {"branch": branch})
            for name, (met, what) in rules.items()]

    def score(self, probes: list[Probe]) -> Scored:
        outcomes = {p.name: bool(p.outcome) for p in probes}
        if not outcomes.get("branchesAreProtected"):
            return 0, f"branch protection not enabled on {probes[0].data['branch']}"
        value = 0.0
        for points, weights in TIERS:
            met = sum(w for name, w in weights.items() if outcomes.get(name))
            value += points * met / sum(weights.values())
            if met < sum(weights.values()):
                missing = [p.message.split(": not ", 1)[1] for p in probes if p.name in weights and not p.outcome]
                return int(value), f"branch protection is not maximal (not met: {'; '.join(missing)})"
        return 10, "branch protection is fully enabled"
