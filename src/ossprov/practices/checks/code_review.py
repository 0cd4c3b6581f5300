"""Code-Review: recent changes on the default branch arrived through merged pull requests or carry review
trailers (Reviewed-by, Reviewed-on, Approved-by, Acked-by); with the GitHub API a pull request counts as
reviewed when it was approved or merged by someone other than its author. Scored as Scorecard levels it:
-3 if any bot change is unreviewed, -7 if one human change is, another -3 if more than one is."""

from __future__ import annotations

import re
from typing import ClassVar

from ossprov.practices.context import Context
from ossprov.practices.github import GitHubApi
from ossprov.practices.history import Change
from ossprov.practices.interface import Check, Inconclusive, Scored
from ossprov.practices.records import Probe, Risk

RECENT = 30
REVIEW_TRAILERS = frozenset({"reviewed-by", "reviewed-on", "approved-by", "acked-by"})
_MERGED_PR = re.compile(r"^Merge pull request #(\d+)|\(#(\d+)\)\s*$|^Merge branch .* into .*\(!(\d+)\)")
_BOT = re.compile(r"\[bot\]|^(dependabot|renovate|github-actions|pre-commit-ci|greenkeeper)\b", re.IGNORECASE)


def is_bot(change: Change) -> bool:
    return bool(_BOT.search(change.author) or _BOT.search(change.author_email))


def _pull_number(change: Change) -> int | None:
    match = _MERGED_PR.search(change.subject)
    return int(next(g for g in match.groups() if g)) if match else None


def _api_review(api: GitHubApi, number: int) -> tuple[bool, str]:
    pull = api.get(f"/pulls/{number}") or {}
    reviews = api.get(f"/pulls/{number}/reviews") or []
    approvals = [r for r in reviews if isinstance(r, dict) and r.get("state") == "APPROVED"]
    author = (pull.get("user") or {}).get("login")
    merger = (pull.get("merged_by") or {}).get("login")
    if approvals:
        return True, f"PR #{number} approved by {approvals[0].get('user', {}).get('login', '?')}"
    if merger and author and merger != author:
        return True, f"PR #{number} by {author} merged by {merger}"
    return False, f"PR #{number} merged without approval by its author"


def _classify(change: Change, api: GitHubApi | None) -> tuple[bool, str]:
    trailer = next((k for k, _ in change.trailers if k in REVIEW_TRAILERS), None)
    if trailer:
        return True, f"carries a {trailer} trailer"
    number = _pull_number(change)
    if number is None:
        return False, "pushed directly, without a pull request or review trailer"
    if api is None:
        return True, f"arrived through merged pull request #{number} (approval not checked without the API)"
    return _api_review(api, number)


class CodeReview(Check):
    name: ClassVar[str] = "Code-Review"
    risk: ClassVar[Risk] = Risk.HIGH

    def probe(self, ctx: Context) -> list[Probe]:
        probes = []
        for change in ctx.history.recent(RECENT, first_parent=True):
            reviewed, why = _classify(change, ctx.github)
            probes.append(Probe("change", None, None, f"{change.sha[:12]} {change.subject[:60]!r}: {why}",
                                {"reviewed": reviewed, "bot": is_bot(change)}))
        return probes

    def score(self, probes: list[Probe]) -> Scored:
        if not probes:
            raise Inconclusive("no commits found")
        if all(p.data["bot"] for p in probes):
            raise Inconclusive("recent changes are all from bots")
        bot_unreviewed = sum(1 for p in probes if p.data["bot"] and not p.data["reviewed"])
        human_unreviewed = sum(1 for p in probes if not p.data["bot"] and not p.data["reviewed"])
        reviewed = sum(1 for p in probes if p.data["reviewed"])
        value = 10 - 3 * (bot_unreviewed > 0) - 7 * (human_unreviewed > 0) - 3 * (human_unreviewed > 1)
        reason = f"{reviewed} out of {len(probes)} recent changes reviewed"
        if human_unreviewed:
            reason += ": merge changes through reviewed pull requests"
        return max(0, value), reason
