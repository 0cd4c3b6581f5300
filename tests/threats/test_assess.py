"""assess_name: the severity rule (medium for imitation, high with a squat's registry signs) and what
is let pass."""

from __future__ import annotations

import datetime as dt

from ossprov.ecosystems.interface import PackageHistory, VersionInfo
from ossprov.model import Severity
from ossprov.threats.squat import RULES, assess_name, imitations

NOW = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)


def _history(days_old: int, maintainers: tuple[str, ...], repo: str | None = None) -> PackageHistory:
    when = (NOW - dt.timedelta(days=days_old)).isoformat()
    return PackageHistory("npm", "x", (VersionInfo("1.0.0", published_at=when),), maintainers, repo)


def test_imitation_alone_is_medium() -> None:
    (finding,) = assess_name("npm", "loadsh", _history(2000, ("a", "b")), None, now=NOW)
    assert finding.severity is Severity.MEDIUM and finding.rule == "OSP501"
    assert "lodash" in finding.message


def test_young_package_is_high() -> None:
    (finding,) = assess_name("npm", "loadsh", _history(10, ("a", "b")), None, now=NOW)
    assert (finding.severity, finding.rule) == (Severity.HIGH, "OSP502")


def test_single_maintainer_is_high() -> None:
    (finding,) = assess_name("npm", "loadsh", _history(2000, ("mallory",)), None, now=NOW)
    assert (finding.severity, finding.rule) == (Severity.HIGH, "OSP503")


def test_borrowed_repository_is_high_known_or_guessed() -> None:
    old = _history(2000, ("a", "b"))
    known = assess_name(
        "npm",
        "loadsh",
        old,
        "git+https://github.com/lodash/lodash.git",
        popular_repos={"lodash": "https://github.com/lodash/lodash"},
        now=NOW,
    )
    guessed = assess_name("npm", "loadsh", old, "github:lodash/lodash", now=NOW)
    own = assess_name("npm", "loadsh", old, "https://github.com/someone/loadsh", now=NOW)
    assert [f.rule for f in known] == ["OSP504"] and [f.rule for f in guessed] == ["OSP504"]
    assert [f.rule for f in own] == ["OSP501"]


def test_rules_catalogue_documents_every_rule() -> None:
    assert set(RULES) == {"OSP501", "OSP502", "OSP503", "OSP504"}


def test_legitimate_near_names_pass_with_reason() -> None:
    worst = _history(1, ("solo",))
    for eco, name in [
        ("npm", "preact"),
        ("npm", "@types/node"),
        ("pypi", "types-requests"),
        ("pypi", "pytest-cov"),
        ("pypi", "request"),
        ("npm", "react-dom"),
    ]:
        assert assess_name(eco, name, worst, None, now=NOW) == [], name
    reasons = {h.popular: h.reason for h in imitations("pypi", "request")}
    assert "allow-listed" in reasons["requests"]
    reasons = {h.popular: h.reason for h in imitations("pypi", "types-requests")}
    assert "plugin or companion" in reasons["requests"]


def test_unicode_confusables_are_homoglyphs() -> None:
    for eco, name in [("npm", "lоdash"), ("pypi", "jeIlyfish"), ("npm", "reԛuest")]:  # Cyrillic о, ԛ
        hits = [h for h in imitations(eco, name) if h.flagged]
        assert hits and hits[0].family.value == "homoglyph", name


def test_scope_confusion() -> None:
    hits = {h.popular: h for h in imitations("npm", "@lodash/lodash")}
    assert hits["lodash"].flagged and hits["lodash"].family.value == "scope-confusion"
    hits = {h.popular: h for h in imitations("npm", "@someone/lodash")}
    assert not hits["lodash"].flagged and "scope belongs to its owner" in hits["lodash"].reason
