"""Code-Review: the share of recent changesets on the default branch that were reviewed, scored as
Scorecard v5 does: proportional (10 · approved / changesets, integer arithmetic), bot changesets that were
approved left out, inconclusive when there are no changesets or only bots'.

Changesets are formed from the last 30 commits as Scorecard forms them: the commits of one merged pull
request are one changeset, any other commit is its own. A changeset counts as reviewed when
- it carries another review system's record Scorecard accepts: Gerrit (`Reviewed-on:` and `Reviewed-by:`),
  Phabricator (`Differential Revision: ... D123`), Piper (`PiperOrigin-RevId:`);
- with the GitHub API: an approving review by someone other than the author, or a merge by someone else;
- without it, from git alone: a merge commit of the pull request made by someone other than the authors of
  its commits (Scorecard counts the merger as a reviewer). A pull request squashed or merged by its author
  is counted as reviewed too, since its approvals are on the forge and not in git; the reason says how many
  were counted so. Commits pushed without a pull request are not reviewed; a pull request merged by rebase
  leaves no trace in git and reads as such a push, which the reason says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from ossprov.practices.context import Context
from ossprov.practices.github import GitHubApi
from ossprov.practices.history import Change, History
from ossprov.practices.interface import Check, Inconclusive, Scored, proportional
from ossprov.practices.records import Probe, Risk

FORGE_COMMITTER = "noreply@github.com"
"""The committer of the commits GitHub makes when it merges a pull request (squash or rebase)."""
RECENT = 30
"""Commits looked at (Scorecard's commitsToAnalyze)."""
_MERGE_PR = re.compile(r"^Merge pull request #(\d+)\b")
_SQUASH_PR = re.compile(r"\(#(\d+)\)\s*$")
_BOT = re.compile(r"\[bot\]|^(dependabot|renovate|github-actions|pre-commit-ci|greenkeeper)\b", re.IGNORECASE)
_PHABRICATOR = re.compile(r"D\d+")
_PIPER = re.compile(r"^\d{3,}")


def is_bot_identity(name: str, email: str) -> bool:
    return bool(_BOT.search(name) or _BOT.search(email))


def is_bot(change: Change) -> bool:
    return is_bot_identity(change.author, change.author_email)


def other_platform(change: Change) -> str | None:
    """The review system outside the forge whose record the commit carries (Scorecard's list)."""
    keys = {k: v for k, v in change.trailers}
    if "reviewed-on" in keys and "reviewed-by" in keys:
        return "Gerrit"
    if _PHABRICATOR.search(keys.get("differential revision", "")):
        return "Phabricator"
    if _PIPER.match(keys.get("piperorigin-revid", "")):
        return "Piper"
    return None


@dataclass
class Changeset:
    """Commits that went in together: a pull request, or one commit."""

    key: str
    pull: int | None
    commits: list[Change]
    merge: Change | None = None
    """The merge commit of the pull request, when it was merged with one."""


def _pull_number(change: Change) -> int | None:
    """The pull request a commit was merged from, as the forge writes it: a merge commit `Merge pull request
    #N ...` or `title (#N)`, or a squashed commit `title (#N)` that GitHub committed (a commit made elsewhere
    that mentions `(#N)` only refers to it)."""
    if change.is_merge:
        match = _MERGE_PR.match(change.subject) or _SQUASH_PR.search(change.subject)
    else:
        match = _SQUASH_PR.search(change.subject) if change.committer_email == FORGE_COMMITTER else None
    return int(match.group(1)) if match else None


def changesets(history: History, limit: int = RECENT) -> list[Changeset]:
    """The changesets of the newest `limit` commits, newest first."""
    recent = history.recent(limit)
    pull_of: dict[str, int] = {}
    merges: dict[int, Change] = {}
    for change in recent:
        number = _pull_number(change)
        if number is not None and change.is_merge:
            merges[number] = change
            for brought in history.merged_in(change):
                pull_of.setdefault(brought.sha, number)
    sets: dict[str, Changeset] = {}
    for change in recent:
        number = pull_of.get(change.sha) or _pull_number(change)
        key = f"#{number}" if number else change.sha
        entry = sets.setdefault(key, Changeset(key, number, [], merges.get(number) if number else None))
        entry.commits.append(change)
    return list(sets.values())


def _api_review(api: GitHubApi, number: int) -> tuple[bool, str, bool]:
    pull = api.get(f"/pulls/{number}") or {}
    reviews = api.get(f"/pulls/{number}/reviews") or []
    author = (pull.get("user") or {}).get("login")
    bot = (pull.get("user") or {}).get("type") == "Bot"
    approvals = [r for r in reviews if isinstance(r, dict) and r.get("state") == "APPROVED"
                 and (r.get("user") or {}).get("login") != author]
    merger = (pull.get("merged_by") or {}).get("login")
    if approvals:
        return True, f"approved by {approvals[0].get('user', {}).get('login', '?')}", bot
    if merger and author and merger != author:
        return True, f"by {author}, merged by {merger}", bot
    return False, "merged without approval by anyone but its author", bot


def _local_review(changeset: Changeset) -> tuple[bool, str, str]:
    """(reviewed, why, basis): basis is `seen` when git shows it, `forge` when git cannot."""
    merge = changeset.merge
    authors = {c.author_email for c in changeset.commits if c is not merge}
    if merge is not None and authors and merge.author_email not in authors:
        return True, f"merged by {merge.author}, not an author of its commits", "seen"
    return True, "merged from a pull request (its approvals are on the forge, not in git)", "forge"


def review(changeset: Changeset, api: GitHubApi | None) -> tuple[bool, str, str, bool]:
    """(reviewed, why, basis, by a bot) of one changeset."""
    authored = [c for c in changeset.commits if c is not changeset.merge] or changeset.commits
    bot = all(is_bot(c) for c in authored)
    platform = next((p for c in changeset.commits if (p := other_platform(c))), None)
    if platform:
        return True, f"reviewed on {platform}", "seen", bot
    if changeset.pull is None:
        return False, "pushed without a pull request or review record", "seen", bot
    if api is not None:
        reviewed, why, api_bot = _api_review(api, changeset.pull)
        return reviewed, why, "api", api_bot
    reviewed, why, basis = _local_review(changeset)
    return reviewed, why, basis, bot


class CodeReview(Check):
    name: ClassVar[str] = "Code-Review"
    risk: ClassVar[Risk] = Risk.HIGH

    def probe(self, ctx: Context) -> list[Probe]:
        probes = []
        for changeset in changesets(ctx.history):
            reviewed, why, basis, bot = review(changeset, ctx.github)
            head = changeset.commits[0]
            label = f"PR #{changeset.pull}" if changeset.pull else f"{head.sha[:12]} {head.subject[:60]!r}"
            probes.append(Probe("codeApproved", reviewed, None, None, f"{label}: {why}",
                                {"changeset": changeset.key, "bot": bot, "basis": basis}))
        return probes

    def score(self, probes: list[Probe]) -> Scored:
        if not probes:
            raise Inconclusive("no changesets found")
        counted = [p for p in probes if not (p.outcome and p.data["bot"])]
        approved = sum(1 for p in counted if p.outcome)
        if approved == len(counted) and all(p.data["bot"] for p in counted):
            raise Inconclusive(f"no human activity in the last {len(probes)} changesets")
        reason = f"{approved} out of {len(counted)} changesets reviewed"
        on_trust = sum(1 for p in counted if p.outcome and p.data["basis"] == "forge")
        if on_trust:
            reason += (f" ({on_trust} pull request(s) counted as reviewed without seeing their approvals, which are "
                       "on the forge: run with a GitHub token to check them)")
        elif not any(p.data["basis"] == "api" for p in probes):
            reason += " (read from git: a pull request merged by rebase leaves no trace there and reads as a push)"
        if approved < len(counted):
            reason += ": merge changes through reviewed pull requests"
        return proportional(approved, len(counted)), reason
