"""Contributors: contributors come from several organisations (Scorecard v5: contributors with at least
5 commits are counted by the organisations and companies they belong to; more than 3 scores 10, else
proportional to 3).

Scorecard reads organisations and company names from GitHub profiles; git has email domains, so locally an
author's organisation is the domain of their email (over the whole history, as GitHub's contributor list
is), webmail and noreply domains naming none. The reason says this is a domain-based reading.
"""

from __future__ import annotations

from typing import ClassVar

from ossprov.practices.checks.code_review import is_bot_identity
from ossprov.practices.context import Context
from ossprov.practices.interface import Check, Inconclusive, Scored, proportional
from ossprov.practices.records import Probe, Risk

MIN_COMMITS = 5
TOP_ORGS = 3
PERSONAL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com", "icloud.com", "me.com",
    "mac.com", "protonmail.com", "proton.me", "pm.me", "gmx.de", "gmx.net", "web.de", "qq.com", "163.com",
    "126.com", "yandex.ru", "mail.ru", "aol.com", "fastmail.com", "users.noreply.github.com", "localhost",
    "example.com", "example.org",
})


def organisation(email: str) -> str | None:
    domain = email.rpartition("@")[2].strip(">").lower()
    if not domain or domain in PERSONAL_DOMAINS or domain.endswith(".noreply.github.com") or "." not in domain:
        return None
    return domain


class Contributors(Check):
    name: ClassVar[str] = "Contributors"
    risk: ClassVar[Risk] = Risk.LOW

    def probe(self, ctx: Context) -> list[Probe]:
        counts: dict[str, int] = {}
        names: dict[str, str] = {}
        for name, email, count in ctx.history.authors():
            if is_bot_identity(name, email):
                continue
            counts[email] = counts.get(email, 0) + count
            names.setdefault(email, name)
        probes = []
        orgs = sorted({org for email, count in counts.items() if count >= MIN_COMMITS and (org := organisation(email))})
        for org in orgs:
            people = [names[e] for e, c in counts.items() if c >= MIN_COMMITS and organisation(e) == org]
            probes.append(Probe("contributorsFromOrgOrCompany", True, None, None,
                                f"{org}: {', '.join(people[:3])}" + (" and others" if len(people) > 3 else ""),
                                {"org": org}))
        return probes or [Probe("contributorsFromOrgOrCompany", False, None, None, "",
                                {"authors": len(counts)})]

    def score(self, probes: list[Probe]) -> Scored:
        orgs = [p.data["org"] for p in probes if p.outcome]
        if not orgs and not probes[0].data.get("authors"):
            raise Inconclusive("no human commits found")
        reason = (f"project has {len(orgs)} contributing organisation(s) among authors with {MIN_COMMITS}+ "
                  "commits (read from email domains; GitHub profiles are not seen locally)")
        return (10 if len(orgs) > TOP_ORGS else proportional(len(orgs), TOP_ORGS)), reason
