"""Distribution-channel checks that verify and scan run on every release: is the name imitating a popular
one? The registry is asked for the package's history only when the name is near a popular one."""

from __future__ import annotations

from ossprov.ecosystems.interface import Ecosystem
from ossprov.errors import InputError, OssprovError
from ossprov.model import Finding, Release
from ossprov.threats.names import ECOSYSTEMS
from ossprov.threats.squat import assess_name, imitations


def name_findings(eco: Ecosystem, release: Release) -> list[Finding]:
    """Typo-squat findings for the release's name (OSP501–504)."""
    if eco.purl_type not in ECOSYSTEMS:
        return []
    try:
        if not any(hit.flagged for hit in imitations(eco.purl_type, release.name)):
            return []
    except InputError:  # a name the popularity lists cannot represent: nothing to compare
        return []
    declared = next((h.url for h in release.hints if h.origin == "declared-repository"), None)
    try:
        history = eco.history(release.name)
    except OssprovError:
        history = None
    return assess_name(eco.purl_type, release.name, history, declared)
