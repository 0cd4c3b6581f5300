"""Maintained: activity over the last 90 days, scored as Scorecard v5 does: 0 when the repository is
archived or was created in the last 90 days, else proportional to 12 activities (one a week), where an
activity is a commit on the default branch or an issue a maintainer worked on.

Locally, the commits are the default branch's in git (by committer date) and the creation date is that of
the oldest root commit; the archived flag and issue activity live on the forge and are read only with the
GitHub API. The reason says when they could not be seen.
"""

from __future__ import annotations

import datetime
from typing import ClassVar

from ossprov.practices.context import Context
from ossprov.practices.interface import Check, Scored, proportional
from ossprov.practices.records import Probe, Risk

LOOKBACK_DAYS = 90
TARGET = LOOKBACK_DAYS * 1 // 7
"""Activities for a full score: one a week over the lookback window (Scorecard's 12)."""
DAY = 86400
MAINTAINER_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})


def _iso(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: str) -> float:
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _api_probes(ctx: Context) -> list[Probe]:
    api = ctx.require_github()
    repo = api.get("") or {}
    probes = [Probe("archived", bool(repo.get("archived")), None, None,
                    "the repository is archived on GitHub" if repo.get("archived") else "")]
    if isinstance(repo.get("created_at"), str):
        age = (ctx.now - _parse_time(repo["created_at"])) / DAY
        probes.append(Probe("createdRecently", age < LOOKBACK_DAYS, None, None, "", {"age_days": round(age, 1)}))
    since = ctx.now - LOOKBACK_DAYS * DAY
    issues = api.get("/issues", state="all", since=_iso(since), per_page=100) or []
    active = [i for i in issues if isinstance(i, dict) and i.get("author_association") in MAINTAINER_ASSOCIATIONS
              and isinstance(i.get("updated_at"), str) and _parse_time(i["updated_at"]) >= since]
    probes.append(Probe("issueActivityByProjectMember", bool(active), None, None,
                        f"{len(active)} issue(s) with maintainer activity in the last {LOOKBACK_DAYS} days",
                        {"count": len(active)}))
    return probes


class Maintained(Check):
    name: ClassVar[str] = "Maintained"
    risk: ClassVar[Risk] = Risk.HIGH

    def probe(self, ctx: Context) -> list[Probe]:
        history = ctx.history
        commits = history.count_since(ctx.now - LOOKBACK_DAYS * DAY)
        probes = [Probe("hasRecentCommits", commits > 0, None, None,
                        f"{commits} commit(s) in the last {LOOKBACK_DAYS} days", {"count": commits})]
        if ctx.github is not None:
            probes += _api_probes(ctx)
        if not any(p.name == "createdRecently" for p in probes):
            age = (ctx.now - history.oldest_time()) / DAY
            probes.append(Probe("createdRecently", age < LOOKBACK_DAYS, None, None,
                                "first commit is less than 90 days old" if age < LOOKBACK_DAYS else "",
                                {"age_days": round(age, 1), "from": "oldest commit"}))
        return probes

    def score(self, probes: list[Probe]) -> Scored:
        facts = {p.name: p for p in probes}
        if "archived" in facts and facts["archived"].outcome:
            return 0, "the repository is archived"
        if facts["createdRecently"].outcome:
            return 0, f"the repository was created in the last {LOOKBACK_DAYS} days: review its contents carefully"
        commits = facts["hasRecentCommits"].data["count"]
        issues = facts["issueActivityByProjectMember"].data["count"] if "issueActivityByProjectMember" in facts else 0
        reason = f"{commits} commit(s) and {issues} issue activity found in the last {LOOKBACK_DAYS} days"
        if "issueActivityByProjectMember" not in facts:
            reason += " (issue activity and the archived flag are on the forge: not seen without the GitHub API)"
        return proportional(commits + issues, TARGET), reason
