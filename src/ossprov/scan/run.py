"""Verify every package of a dependency set: the lockfile's own claims (digests, presence in the registry)
are checked along with the artifact against its source."""

from __future__ import annotations

from collections.abc import Callable

from ossprov.cache import file_digests
from ossprov.errors import NotFoundError, OssprovError
from ossprov.pipeline import prepare
from ossprov.scan.items import ScanItem
from ossprov.scan.parsers.base import Dependency
from ossprov.threats.removed import lockfile_digest_findings, removed_finding
from ossprov.verify.compare import compare_prepared


def scan_one(dep: Dependency) -> ScanItem:
    """One dependency: verified, or the reason it could not be."""
    try:
        prepared = prepare(dep.purl)
    except NotFoundError as exc:
        return ScanItem(dep, None, error=str(exc), extra_findings=(removed_finding(dep.purl, str(exc)),))
    except OssprovError as exc:
        return ScanItem(dep, None, error=str(exc))
    result = compare_prepared(prepared)
    where = f"{dep.location.file}:{dep.location.line}" if dep.location.line else dep.location.file
    extra = lockfile_digest_findings(dep.hashes, file_digests(prepared.artifact_path), where) if dep.hashes else []
    return ScanItem(dep, result, extra_findings=tuple(extra))


def scan(deps: list[Dependency], on_item: Callable[[ScanItem], None] | None = None) -> list[ScanItem]:
    items = []
    for dep in deps:
        item = scan_one(dep)
        items.append(item)
        if on_item:
            on_item(item)
    return items
