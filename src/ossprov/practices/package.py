"""Package-level maintenance signals from the registry's history of a package: how recently and how often
it is released, whether it is deprecated or yanked, who may publish it, and who changed between the
previous version and this one (a new publisher on a dormant package is the account-takeover pattern)."""

from __future__ import annotations

import datetime
import itertools
import statistics

from ossprov.ecosystems.interface import PackageHistory, VersionInfo
from ossprov.practices.records import MaintainerChange, PackageSignals

DAY = 86400.0


def _time(value: str | None) -> float | None:
    if not value:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)).timestamp()


def _change(previous: VersionInfo, current: VersionInfo) -> MaintainerChange | None:
    added = tuple(sorted(set(current.maintainers) - set(previous.maintainers)))
    removed = tuple(sorted(set(previous.maintainers) - set(current.maintainers)))
    publisher_changed = bool(previous.publisher and current.publisher and previous.publisher != current.publisher)
    if not (added or removed or publisher_changed):
        return None
    return MaintainerChange(current.version, previous.version, added, removed, current.publisher, previous.publisher)


def signals(history: PackageHistory, version: str | None, now: float) -> PackageSignals:
    """The maintenance signals of `version` (or of the package as a whole when None)."""
    versions = list(history.versions)
    dated = sorted((t, v) for v in versions if (t := _time(v.published_at)) is not None)
    latest = max(dated, key=lambda tv: tv[0])[1] if dated else (versions[-1] if versions else None)
    gaps = [(b[0] - a[0]) / DAY for a, b in itertools.pairwise(dated)]
    index = next((i for i, v in enumerate(versions) if v.version == version), None)
    this = versions[index] if index is not None else None
    changes: tuple[MaintainerChange, ...] = ()
    if index:
        change = _change(versions[index - 1], versions[index])
        changes = (change,) if change else ()
    deprecation = this.deprecated if this else (latest.deprecated if latest else None)
    return PackageSignals(
        ecosystem=history.ecosystem,
        name=history.name,
        version=version,
        latest_version=latest.version if latest else None,
        latest_release=latest.published_at if latest else None,
        release_cadence_days=round(statistics.median(gaps), 1) if gaps else None,
        releases_last_year=sum(1 for t, _ in dated if now - t <= 365 * DAY),
        deprecated=deprecation is not None,
        deprecation=deprecation,
        yanked=bool(this and this.yanked is not None),
        maintainers=history.maintainers or (this.maintainers if this else ()),
        maintainer_changes=changes,
        missing_fields=history.missing_fields,
    )
