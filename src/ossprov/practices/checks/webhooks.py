"""Webhooks (GitHub API): every webhook has a secret to authenticate its deliveries (Scorecard: 10 with
none, else proportional to the share with a secret)."""

from __future__ import annotations

from typing import ClassVar

from ossprov.practices.context import Context
from ossprov.practices.interface import Check, Inconclusive, Scored, proportional
from ossprov.practices.records import Probe, Risk


class Webhooks(Check):
    name: ClassVar[str] = "Webhooks"
    risk: ClassVar[Risk] = Risk.CRITICAL

    def probe(self, ctx: Context) -> list[Probe]:
        hooks = ctx.require_github().get("/hooks", per_page=100)
        if hooks is None:
            raise Inconclusive("listing webhooks needs a token with admin rights on the repository")
        probes = []
        for hook in (h for h in hooks if isinstance(h, dict)):
            config = hook.get("config") or {}
            secret = bool(config.get("secret"))
            probes.append(Probe("webhooksUseSecrets", secret, None, None,
                                f"webhook {hook.get('id')} {'has' if secret else 'has no'} secret",
                                {"secret": secret}))
        return probes

    def score(self, probes: list[Probe]) -> Scored:
        if not probes:
            return 10, "no webhooks defined"
        with_secret = sum(1 for p in probes if p.outcome)
        if with_secret == len(probes):
            return 10, "all webhooks have a secret"
        return proportional(with_secret, len(probes)), \
            f"{len(probes) - with_secret} of {len(probes)} webhooks have no secret: set one on each"
