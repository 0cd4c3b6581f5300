"""Branch-Protection (GitHub API): Scorecard's tiers on the default branch, each earned only when the
tiers below it are: 3 no force push or deletion, 6 a required review, 7 a required status check,
9 two reviewers and code-owner review, 10 stale reviews dismissed."""

from __future__ import annotations

from typing import Any, ClassVar

from ossprov.practices.context import Context
from ossprov.practices.interface import Check, Inconclusive, Scored
from ossprov.practices.records import Probe, Risk


def _enabled(protection: dict[str, Any], key: str) -> bool:
    value = protection.get(key)
    return bool(value.get("enabled")) if isinstance(value, dict) else bool(value)


def tiers(protection: dict[str, Any]) -> list[tuple[int, str, bool]]:
    """(points, requirement, met) for each tier, lowest first."""
    reviews = protection.get("required_pull_request_reviews") or {}
    checks = protection.get("required_status_checks") or {}
    approvals = int(reviews.get("required_approving_review_count") or 0)
    return [
        (3, "force pushes and deletion are blocked, also for administrators",
         not _enabled(protection, "allow_force_pushes") and not _enabled(protection, "allow_deletions")
         and _enabled(protection, "enforce_admins")),
        (6, "at least one approving review is required, with an up-to-date branch and last-push approval",
         approvals >= 1 and bool(checks.get("strict")) and bool(reviews.get("require_last_push_approval"))),
        (7, "at least one status check is required", bool(checks.get("contexts") or checks.get("checks"))),
        (9, "two approving reviews and code-owner review are required",
         approvals >= 2 and bool(reviews.get("require_code_owner_reviews"))),
        (10, "stale reviews are dismissed on new commits", bool(reviews.get("dismiss_stale_reviews"))),
    ]


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
        return [Probe("protectionTier", met, None, None, f"{branch}: {'' if met else 'not '}met: {what}",
                      {"points": points, "met": met, "branch": branch})
                for points, what, met in tiers(protection)]

    def score(self, probes: list[Probe]) -> Scored:
        if probes and probes[0].name == "branchesAreProtected":
            return 0, f"branch protection not enabled on {probes[0].data['branch']}"
        value = 0
        for probe in probes:
            if not probe.data["met"]:
                break
            value = probe.data["points"]
        missing = next((p.message.split("met: ", 1)[1] for p in probes if not p.data["met"]), None)
        return value, "branch protection is fully enabled" if missing is None else \
            f"branch protection is not maximal: require that {missing}"
