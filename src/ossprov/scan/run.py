"""Verify every package of a dependency set: the lockfile's own claims (digests, presence in the registry)
are checked along with the artifact against its source. Results go to the results database and are reused
from it (same purl and ossprov version) unless refreshed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ossprov import pipeline
from ossprov.errors import NotFoundError, OssprovError
from ossprov.model import Finding, Severity, VerifyResult, from_json, to_json
from ossprov.scan.items import ScanItem
from ossprov.scan.parsers.base import Dependency
from ossprov.store.database import Store
from ossprov.store.results import latest_payload, save_results
from ossprov.threats.removed import lockfile_digest_findings, removed_finding


@dataclass(frozen=True)
class ScanOptions:
    stages: Sequence[str] = ()
    """Extra stages besides verify: `rebuild`, `practices`."""
    refresh: bool = False
    """Recompute results already in the database."""


def _location(dep: Dependency) -> str:
    return f"{dep.location.file}:{dep.location.line}" if dep.location.line else dep.location.file


def _verify(dep: Dependency, store: Store | None, refresh: bool) -> tuple[VerifyResult, bool]:
    if store is not None and not refresh:
        with store.read() as conn:
            payload = latest_payload(conn, dep.purl, "verify")
        if payload is not None:
            return from_json(VerifyResult, payload), True
    result = pipeline.verify(dep.purl)
    if store is not None:
        with store.write() as conn:
            save_results(conn, dep.purl, {"verify": to_json(result)}, refresh=refresh)
    return result, False


def _stage_record(stage: str, purl: str) -> tuple[dict[str, Any], list[Finding]]:
    if stage == "rebuild":
        rebuilt = pipeline.rebuild(purl)
        return to_json(rebuilt), list(rebuilt.findings)
    scored = pipeline.practices(purl)
    record = to_json(scored)
    findings = []
    if isinstance(record.get("score"), (int, float)) and record["score"] < 3:
        findings.append(Finding(Severity.LOW, "OSP601", None,
                                f"repository practices score {record['score']}/10 (OpenSSF Scorecard checks)"))
    return record, findings


def scan_one(dep: Dependency, store: Store | None = None, options: ScanOptions = ScanOptions()) -> ScanItem:
    """One dependency: verified (or reused), or the reason it could not be."""
    try:
        result, reused = _verify(dep, store, options.refresh)
    except NotFoundError as exc:
        return ScanItem(dep, None, error=str(exc), extra_findings=(removed_finding(dep.purl, str(exc)),))
    except OssprovError as exc:
        return ScanItem(dep, None, error=str(exc))
    served = set(result.locate.published_digests)
    if result.locate.artifact:
        served |= set(result.locate.artifact.digests.items())
    recorded = dep.recorded_digests
    extra = lockfile_digest_findings(recorded, served, _location(dep)) if recorded else []
    stages: dict[str, Any] = {}
    for stage in options.stages:
        try:
            stages[stage], findings = _stage_record(stage, dep.purl)
            extra += findings
        except OssprovError as exc:
            stages[stage] = {"error": str(exc)}
    return ScanItem(dep, result, extra_findings=tuple(extra), stages=stages, reused=reused)


def scan(deps: list[Dependency], on_item: Callable[[ScanItem], None] | None = None, store: Store | None = None,
         options: ScanOptions = ScanOptions()) -> list[ScanItem]:
    items = []
    for dep in deps:
        item = scan_one(dep, store, options)
        items.append(item)
        if on_item:
            on_item(item)
    return items
