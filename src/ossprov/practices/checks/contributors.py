"""Contributors: recent authors come from several organisations, judged by their email domains (Scorecard
uses GitHub profile companies; git has domains). Authors with at least 5 of the last 100 commits count;
3 organisations or more score 10, fewer proportionally. Webmail and noreply domains name no organisation."""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

from ossprov.practices.checks.code_review import is_bot
from ossprov.practices.context import Context
from ossprov.practices.interface import Check, Inconclusive, Scored, proportional
from ossprov.practices.records import Probe, Risk

RECENT = 100
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
        changes = [c for c in ctx.history.recent(RECENT, no_merges=True) if not is_bot(c)]
        authors = Counter(c.author_email for c in changes)
        names = {c.author_email: c.author for c in changes}
        return [Probe("contributor", None, None,
                      f"{names[email]} <{email}>: {count} commit(s)"
                      + (f", organisation {organisation(email)}" if organisation(email) else ""),
                      {"commits": count, "org": organisation(email)})
                for email, count in authors.most_common()]

    def score(self, probes: list[Probe]) -> Scored:
        if not probes:
            raise Inconclusive("no human commits found")
        orgs = sorted({p.data["org"] for p in probes if p.data["commits"] >= MIN_COMMITS and p.data["org"]})
        reason = (f"{len(probes)} recent author(s); organisations with {MIN_COMMITS}+ commits: "
                  + (", ".join(orgs) if orgs else "none"))
        return proportional(len(orgs), TOP_ORGS), reason
