"""Security-Policy: a SECURITY.md saying how to report a vulnerability (Scorecard: 6 for a contact link or
email, 3 for text beyond the links, 1 for vulnerability/disclosure wording)."""

from __future__ import annotations

import re
from typing import ClassVar

from ossprov.practices.context import Context
from ossprov.practices.interface import Check, Scored
from ossprov.practices.records import Probe, Risk

LOCATIONS = ("", ".github/", "docs/", "doc/", ".gitlab/")
_NAME = re.compile(r"^security(\.(md|markdown|adoc|rst|txt))?$", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s)>\]]+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_HINTS = re.compile(r"\b[0-9]{1,4}\b|Disclos|Vuln", re.IGNORECASE)


def _policy_files(files: dict[str, str]) -> list[str]:
    found = []
    for path in files:
        folder, _, name = path.rpartition("/")
        if (folder + "/" if folder else "") in LOCATIONS and _NAME.match(name):
            found.append(path)
    return sorted(found, key=lambda p: (p.count("/"), p))


class SecurityPolicy(Check):
    name: ClassVar[str] = "Security-Policy"
    risk: ClassVar[Risk] = Risk.MEDIUM

    def probe(self, ctx: Context) -> list[Probe]:
        paths = _policy_files(ctx.files)
        if not paths:
            return []
        path = paths[0]
        text = (ctx.read(path) or b"").decode("utf-8", "replace")
        links = _URL.findall(text) + _EMAIL.findall(text)
        free_text = len(text.strip()) - sum(len(link) for link in links) > 1
        hints = len(_HINTS.findall(text))
        return [Probe("securityPolicy", path, None,
                      f"security policy found: {len(links)} link(s)/email(s), "
                      f"{'with' if free_text else 'without'} text, {hints} vulnerability/disclosure hint(s)",
                      {"links": len(links), "free_text": free_text, "hints": hints})]

    def score(self, probes: list[Probe]) -> Scored:
        if not probes:
            return 0, "security policy file not detected: add SECURITY.md saying how to report a vulnerability"
        data = probes[0].data
        value = 6 * (data["links"] > 0) + 3 * data["free_text"] + 1 * (data["hints"] >= 2)
        if value == 10:
            return 10, "security policy file detected"
        missing = [what for what, ok in (("a contact link or email", data["links"] > 0),
                                         ("explanatory text", data["free_text"]),
                                         ("vulnerability disclosure wording", data["hints"] >= 2)) if not ok]
        return value, f"security policy file detected but lacks {', '.join(missing)}"
