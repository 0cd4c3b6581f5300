"""Forward lookup against a fake registry: which variants exist, bounded look-ups, repository match."""

from __future__ import annotations

import datetime as dt

import pytest

from ossprov.ecosystems.interface import PackageHistory, VersionInfo
from ossprov.errors import InputError
from ossprov.model import Severity
from ossprov.threats.typo import Family
from ossprov.threats.variants import forward_lookup, ranked

RECENT = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3)).isoformat()


def _h(name: str, when: str, maintainers: tuple[str, ...], repo: str | None) -> PackageHistory:
    return PackageHistory("npm", name, (VersionInfo("1.0.0", published_at=when),), maintainers, repo)


def test_existing_variants_reported_with_registry_facts(fake_registry) -> None:  # type: ignore[no-untyped-def]
    registry = fake_registry(
        {
            "cross-env": _h(
                "cross-env",
                "2016-01-01T00:00:00Z",
                ("kentcdodds",),
                "https://github.com/kentcdodds/cross-env",
            ),
            "crossenv": _h(
                "crossenv", RECENT, ("hacktask",), "git+https://github.com/kentcdodds/cross-env.git"
            ),
            "cross-nev": _h("cross-nev", "2018-01-01T00:00:00Z", ("a", "b"), None),
        }
    )
    report = forward_lookup("npm", "cross-env", max_queries=40)
    found = {v.name: v for v in report.found}
    assert set(found) == {"crossenv", "cross-nev"}
    assert found["crossenv"].same_repository is True and found["crossenv"].family is Family.SEPARATOR
    assert found["crossenv"].worst is Severity.HIGH and found["crossenv"].first_release == RECENT
    assert found["cross-nev"].worst is Severity.MEDIUM and found["cross-nev"].same_repository is None
    assert report.queried == len(registry.asked) == 40 and registry.asked[0] == "cross-env"


def test_queries_are_bounded_and_ranked(fake_registry) -> None:  # type: ignore[no-untyped-def]
    registry = fake_registry({})
    report = forward_lookup("pypi", "requests", max_queries=5)
    assert len(registry.asked) == 5 and report.found == ()
    assert report.generated > 50
    order, _ = ranked("pypi", "requests")
    assert registry.asked[1:] == [n for n, _ in order[:4]]


def test_popular_variants_are_not_queried(fake_registry) -> None:  # type: ignore[no-untyped-def]
    fake_registry({})
    report = forward_lookup("npm", "@babel/core", max_queries=3)
    assert "babel-core" in report.popular_peers


def test_bad_limits_and_names_refused(fake_registry) -> None:  # type: ignore[no-untyped-def]
    fake_registry({})
    with pytest.raises(InputError):
        forward_lookup("npm", "lodash", max_queries=1)
    with pytest.raises(InputError):
        forward_lookup("pypi", "not a name", max_queries=5)
