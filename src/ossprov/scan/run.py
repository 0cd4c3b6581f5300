"""Verify every package of a dependency set: the lockfile's own claims (digests, presence in the registry)
are checked along with the artifacts against their source. Results go to the results database and are reused
from it (same purl and ossprov version) unless refreshed. A package that fails (a bad URL in the lockfile,
a registry error, a bug) is that package's result, with its reason: it never ends the scan."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ossprov.artifacts import Removed
from ossprov.document import read_verify
from ossprov.errors import NotFoundError, OssprovError
from ossprov.model import Evidence, VerifyResult
from ossprov.scan.items import ScanItem
from ossprov.scan.parsers.base import Dependency
from ossprov.stages import Settings, digests_served, documents, removed_run, run_stages
from ossprov.store.database import Store
from ossprov.store.results import latest_payload, save_results
from ossprov.threats.removed import lockfile_digest_findings


@dataclass(frozen=True)
class ScanOptions:
    stages: Sequence[str] = ()
    """Extra stages besides verify: `rebuild`, `practices`."""
    refresh: bool = False
    """Recompute results already in the database."""


def _location(dep: Dependency) -> str:
    return f"{dep.location.file}:{dep.location.line}" if dep.location.line else dep.location.file


def _stored(store: Store | None, purl: str, stages: Sequence[str]) -> dict[str, Any] | None:
    """The stored record of every stage asked, or None when one is missing."""
    if store is None:
        return None
    with store.read() as conn:
        found = {s: latest_payload(conn, purl, s) for s in stages}
    return None if any(v is None for v in found.values()) else found


def _records(dep: Dependency, store: Store | None, options: ScanOptions) -> tuple[dict[str, Any], bool]:
    """The JSON record of each stage (verify first), from the database or from a run (then stored)."""
    stages = ("verify", *options.stages)
    if not options.refresh and (stored := _stored(store, dep.purl, stages)) is not None:
        return stored, True
    try:
        run = run_stages(dep.purl, stages, Settings())
    except NotFoundError as exc:  # the lockfile proves the version was served: it was taken down
        run = removed_run(dep.purl, stages, Removed(str(exc), _lockfile_evidence(dep)))
        return documents(run, keep_going=True), False
    records = documents(run, keep_going=True)
    if store is not None:
        with store.write() as conn:
            save_results(conn, dep.purl, {s: r for s, r in records.items() if "error" not in r},
                         refresh=options.refresh)
    return records, False


def _lockfile_evidence(dep: Dependency) -> tuple[Evidence, ...]:
    """What the lockfile still tells about a version the registry no longer serves."""
    digests = sorted(dep.recorded_digests)
    where = _location(dep)
    if not digests:
        return (Evidence("lockfile", f"{where} names this version (no digest recorded)", {"location": where}),)
    algo, value = digests[0]
    return (Evidence("lockfile", f"{where} records {algo} {value[:16]}… for it", {"location": where,
                     "digests": [list(d) for d in digests]}),)


def scan_one(dep: Dependency, store: Store | None = None, options: ScanOptions = ScanOptions()) -> ScanItem:
    """One dependency: verified (or reused), or the reason it could not be."""
    try:
        records, reused = _records(dep, store, options)
    except OssprovError as exc:
        return ScanItem(dep, None, error=str(exc))
    except Exception as exc:  # a bug met on one package is that package's failure, not the scan's
        return ScanItem(dep, None, error=f"internal error: {exc.__class__.__name__}: {exc}")
    result: VerifyResult = read_verify(records["verify"])
    recorded = dep.recorded_digests
    extra = lockfile_digest_findings(recorded, digests_served(result), _location(dep)) if recorded else []
    later = {s: records[s]["rebuild"] if s == "rebuild" and "rebuild" in records[s] else records[s]
             for s in options.stages}
    return ScanItem(dep, result, extra_findings=tuple(extra), stages=later, reused=reused)


def scan(deps: list[Dependency], on_item: Callable[[ScanItem], None] | None = None, store: Store | None = None,
         options: ScanOptions = ScanOptions()) -> list[ScanItem]:
    items = []
    for dep in deps:
        item = scan_one(dep, store, options)
        items.append(item)
        if on_item:
            on_item(item)
    return items
