"""Stored stage results: what gets indexed out of a record, saving (reuse or refresh), and the queries behind
`ossprov db stats|export|prune`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from packageurl import PackageURL
from sqlalchemy import Connection, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from ossprov import __version__
from ossprov.errors import InputError
from ossprov.model import Severity
from ossprov.store.database import Store
from ossprov.store.models import Result

STAGES = ("locate", "verify", "rebuild", "practices")
"""Every stage a result can be stored for, in pipeline order."""


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _worst(findings: Any) -> str | None:
    ranked = []
    for finding in findings if isinstance(findings, list) else []:
        try:
            ranked.append(Severity(str(_mapping(finding).get("severity"))))
        except ValueError:
            continue
    return max(ranked, key=lambda s: s.rank).value if ranked else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def index_columns(purl: str, stage: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The indexed columns of one stored record. Records of later stages carry their locate result under
    `locate` (VerifyResult does); a LocateResult is its own locate. Every field is optional: a record
    without an artifact or a commit still gets stored."""
    try:
        parsed = PackageURL.from_string(purl)
    except ValueError as exc:
        raise InputError(f"invalid purl {purl!r}: {exc}") from None
    locate = _mapping(payload.get("locate")) or payload
    return {
        "purl": purl,
        "stage": stage,
        "ecosystem": parsed.type,
        "name": f"{parsed.namespace}/{parsed.name}" if parsed.namespace else parsed.name,
        "version": parsed.version or "",
        "artifact_sha256": _text(_mapping(locate.get("artifact")).get("sha256")) or "",
        "verdict": _text(payload.get("verdict")),
        "worst_severity": _worst(payload.get("findings")),
        "commit": _text(locate.get("commit")),
        "repository": _text(_mapping(locate.get("repository")).get("url")),
    }


def save_results(
    conn: Connection,
    purl: str,
    records: Mapping[str, Mapping[str, Any]],
    *,
    refresh: bool = False,
    job_id: int | None = None,
    ossprov_version: str = __version__,
) -> None:
    """Store one record per stage inside the caller's transaction. A result already stored under the same
    key is kept (a concurrent worker got there first) unless `refresh`, which replaces this version's
    results for the stage."""
    now = datetime.now(UTC)
    rows = [
        {
            **index_columns(purl, stage, payload),
            "ossprov_version": ossprov_version,
            "created_at": now,
            "job_id": job_id,
            "payload": dict(payload),
        }
        for stage, payload in records.items()
    ]
    if not rows:
        return
    if refresh:
        conn.execute(
            delete(Result).where(
                Result.purl == purl, Result.ossprov_version == ossprov_version, Result.stage.in_(list(records))
            )
        )
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(Result).on_conflict_do_nothing(), rows)


def stored_stages(conn: Connection, purl: str, stages: Iterable[str], ossprov_version: str = __version__) -> set[str]:
    """Which of `stages` already have a result for this purl and ossprov version."""
    query = select(Result.stage).where(
        Result.purl == purl, Result.ossprov_version == ossprov_version, Result.stage.in_(list(stages))
    )
    return set(conn.scalars(query))


def stats(store: Store) -> dict[str, Any]:
    """Result counts overall and by verdict, ecosystem and stage (None verdicts counted as "none")."""
    with store.read() as conn:
        total = conn.scalar(select(func.count()).select_from(Result)) or 0
        by: dict[str, dict[str, int]] = {}
        for name, column in (("verdict", Result.verdict), ("ecosystem", Result.ecosystem), ("stage", Result.stage)):
            rows = conn.execute(select(column, func.count()).group_by(column).order_by(func.count().desc()))
            by[name] = {str(key) if key is not None else "none": count for key, count in rows}
    return {"results": total, **by}


def export_rows(store: Store, *, stage: str | None = None, ecosystem: str | None = None) -> Iterator[dict[str, Any]]:
    """Every stored result as a JSON-ready dict (indexed columns plus `result`), oldest first, streamed."""
    query = select(Result).order_by(Result.id)
    if stage:
        query = query.where(Result.stage == stage)
    if ecosystem:
        query = query.where(Result.ecosystem == ecosystem)
    with store.read() as conn:
        for row in conn.execution_options(yield_per=500).execute(query).mappings():
            yield {
                "purl": row["purl"],
                "stage": row["stage"],
                "ossprov_version": row["ossprov_version"],
                "artifact_sha256": row["artifact_sha256"] or None,
                "ecosystem": row["ecosystem"],
                "name": row["name"],
                "version": row["version"],
                "verdict": row["verdict"],
                "worst_severity": row["worst_severity"],
                "commit": row["commit"],
                "repository": row["repository"],
                "created_at": row["created_at"].isoformat(),
                "result": row["payload"],
            }


def prune(
    store: Store,
    *,
    older_than: datetime | None = None,
    other_versions: bool = False,
    dry_run: bool = False,
    ossprov_version: str = __version__,
) -> int:
    """Delete results created before `older_than` or made by another ossprov version (either criterion
    selects); returns how many (would be) deleted. At least one is required: deleting all is not a prune."""
    conditions = []
    if older_than is not None:
        conditions.append(Result.created_at < older_than)
    if other_versions:
        conditions.append(Result.ossprov_version != ossprov_version)
    if not conditions:
        raise InputError("say what to prune: --older-than DAYS and/or --other-versions")
    with store.write() as conn:
        if dry_run:
            return conn.scalar(select(func.count()).select_from(Result).where(or_(*conditions))) or 0
        return conn.execute(delete(Result).where(or_(*conditions))).rowcount


def latest_payload(conn: Connection, purl: str, stage: str, ossprov_version: str = __version__) -> dict[str, Any] | None:
    """The newest stored record of `stage` for this purl and ossprov version, or None."""
    query = (select(Result.payload)
             .where(Result.purl == purl, Result.stage == stage, Result.ossprov_version == ossprov_version)
             .order_by(Result.created_at.desc()).limit(1))
    return conn.scalars(query).first()
