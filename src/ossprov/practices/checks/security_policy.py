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
            return [Probe("securityPolicyPresent", False)]
        path = paths[0]
        text = (ctx.read(path) or b"").decode("utf-8", "replace")
        links = _URL.findall(text) + _EMAIL.findall(text)
        free_text = len(text.strip()) - sum(len(link) for link in links) > 1
        hints = len(_HINTS.findall(text))
        return [Probe("securityPolicyPresent", True, path, None, "security policy file found"),
                Probe("securityPolicyContainsLinks", bool(links), path, None,
                      f"{len(links)} link(s)/email(s) to report to" if links else "no contact link or email"),
                Probe("securityPolicyContainsText", free_text, path, None,
                      "" if free_text else "no text beyond the links"),
                Probe("securityPolicyContainsVulnerabilityDisclosure", hints >= 2, path, None,
                      "" if hints >= 2 else "no vulnerability disclosure wording", {"hints": hints})]

    def score(self, probes: list[Probe]) -> Scored:
        facts = {p.name: bool(p.outcome) for p in probes}
        if not facts.get("securityPolicyPresent"):
            return 0, "security policy file not detected: add SECURITY.md saying how to report a vulnerability"
        value = 6 * facts["securityPolicyContainsLinks"] + 3 * facts["securityPolicyContainsText"] \
            + 1 * facts["securityPolicyContainsVulnerabilityDisclosure"]
        if value == 10:
            return 10, "security policy file detected"
        missing = [what for what, probe in (("a contact link or email", "securityPolicyContainsLinks"),
                                            ("explanatory text", "securityPolicyContainsText"),
                                            ("vulnerability disclosure wording",
                                             "securityPolicyContainsVulnerabilityDisclosure")) if not facts[probe]]
        return value, f"security policy file detected but lacks {', '.join(missing)}"
