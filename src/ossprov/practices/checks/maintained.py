"""Maintained: at least one commit a week over the last 90 days (Scorecard: proportional to 12 activities,
0 when archived, inconclusive for a repository younger than 90 days); with the GitHub API, issue activity
by maintainers counts too and the archived flag is read."""

from __future__ import annotations

import datetime
from typing import ClassVar

from ossprov.practices.context import Context
from ossprov.practices.interface import Check, Inconclusive, Scored, proportional
from ossprov.practices.records import Probe, Risk

LOOKBACK_DAYS = 90
TARGET = LOOKBACK_DAYS * 1 // 7
"""Activities for a full score: one a week over the lookback window (Scorecard's 12)."""
STALE_DAYS = 365
DAY = 86400
MAINTAINER_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})


def _iso(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: str) -> float:
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _api_probes(ctx: Context) -> list[Probe]:
    api = ctx.require_github()
    probes = []
    repo = api.get("") or {}
    if repo.get("archived"):
        probes.append(Probe("archived", None, None, "the repository is archived on GitHub"))
    if isinstance(repo.get("created_at"), str):
        age = (ctx.now - _parse_time(repo["created_at"])) / DAY
        probes.append(Probe("createdAt", None, None, "", {"age_days": age}))
    since = ctx.now - LOOKBACK_DAYS * DAY
    issues = api.get("/issues", state="all", since=_iso(since), per_page=100) or []
    active = [i for i in issues if isinstance(i, dict) and i.get("author_association") in MAINTAINER_ASSOCIATIONS
              and isinstance(i.get("updated_at"), str) and _parse_time(i["updated_at"]) >= since]
    probes.append(Probe("issueActivity", None, None,
                        f"{len(active)} issue(s) with maintainer activity in the last {LOOKBACK_DAYS} days",
                        {"count": len(active)}))
    return probes


class Maintained(Check):
    name: ClassVar[str] = "Maintained"
    risk: ClassVar[Risk] = Risk.HIGH

    def probe(self, ctx: Context) -> list[Probe]:
        history = ctx.history
        commits = history.count_since(ctx.now - LOOKBACK_DAYS * DAY)
        newest_age = (ctx.now - history.newest_time()) / DAY
        probes = [
            Probe("commitActivity", None, None, f"{commits} commit(s) in the last {LOOKBACK_DAYS} days",
                  {"count": commits}),
            Probe("newestCommit", None, None, f"newest commit is {newest_age:.0f} days old",
                  {"age_days": newest_age}),
        ]
        if ctx.github is not None:
            probes += _api_probes(ctx)
        if not any(p.name == "createdAt" for p in probes):
            age = (ctx.now - history.oldest_time()) / DAY
            probes.append(Probe("createdAt", None, None, "", {"age_days": age}))
        return probes

    def score(self, probes: list[Probe]) -> Scored:
        facts = {p.name: p.data for p in probes}
        if "archived" in facts:
            return 0, "the repository is archived"
        if facts["createdAt"]["age_days"] < LOOKBACK_DAYS:
            raise Inconclusive(f"repository was created in the last {LOOKBACK_DAYS} days: too new to judge")
        commits = facts["commitActivity"]["count"]
        issues = facts.get("issueActivity", {}).get("count", 0)
        reason = f"{commits} commit(s) and {issues} issue activity found in the last {LOOKBACK_DAYS} days"
        if facts["newestCommit"]["age_days"] > STALE_DAYS:
            reason += f"; newest commit is {facts['newestCommit']['age_days']:.0f} days old (over a year)"
        return proportional(commits + issues, TARGET), reason
