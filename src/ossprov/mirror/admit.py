"""The mirror's gate: a file enters the store only after it was verified against its source (and, when asked,
rebuilt to the same bytes).

Every file the registry lists for the version is verified on its own (a PyPI release's sdist and its wheels),
because the mirror serves each of them: the one the ecosystem prefers is prepared from the registry, the others
are downloaded (digest-checked) and prepared as local artifacts of the same purl.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ossprov import pipeline
from ossprov.cache import ArtifactCache
from ossprov.errors import InputError, OssprovError
from ossprov.http import client
from ossprov.mirror.store import ECOSYSTEMS, MirrorStore, StoredFile
from ossprov.model import ArtifactRef, Severity, Verdict, VerifyResult, to_json
from ossprov.purls import package_name, parse_purl
from ossprov.verify.compare import compare_prepared

REQUIREMENTS = ("faithful", "rebuilt")
PASSING = frozenset({Verdict.FAITHFUL, Verdict.FAITHFUL_WITH_BUILD_OUTPUT})
REBUILT = frozenset({"bit-for-bit", "stabilized"})

Progress = Callable[[str], None]
Rebuilder = Callable[[pipeline.Prepared], str]
"""Rebuilds a prepared artifact and returns the outcome's value (bit-for-bit, stabilized, differs, ...)."""


@dataclass(frozen=True)
class Decision:
    """What the gate decided for one file, and why."""

    filename: str
    admitted: bool
    reason: str
    verdict: str | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class AddReport:
    purl: str
    ecosystem: str
    name: str
    version: str
    require: str
    decisions: tuple[Decision, ...]

    @property
    def admitted(self) -> bool:
        return any(d.admitted for d in self.decisions)


def _quiet(_: str) -> None:
    return None


def rebuilder() -> Rebuilder:
    """The rebuild step, or a clear refusal when the rebuild module cannot be used here."""
    try:
        from ossprov.verify.rebuild import rebuild
    except ImportError as exc:
        raise InputError(f"--require rebuilt is not available: the rebuild module cannot be loaded ({exc})") from None

    def run(prepared: pipeline.Prepared) -> str:
        return rebuild(prepared.result, prepared.artifact_path, prepared.release).outcome.value

    return run


def _summary(result: VerifyResult) -> dict[str, Any]:
    loc = result.locate
    return to_json({"counts": result.counts, "findings": list(result.findings), "reason": result.reason,
                    "repository": loc.repository.url if loc.repository else None,
                    "subdir": loc.repository.subdir if loc.repository else None, "commit": loc.commit})


def _refusal(result: VerifyResult) -> str | None:
    """Why the verification does not admit the file, or None when it does."""
    reasons = []
    if result.verdict not in PASSING:
        reasons.append(f"verdict {result.verdict.value}" + (f": {result.reason}" if result.reason else ""))
    high = next((f for f in result.findings if f.severity is Severity.HIGH), None)
    if high is not None:
        reasons.append(f"high finding {high.rule}" + (f" in {high.path}" if high.path else "") + f": {high.message}")
    return "; ".join(reasons) or None


def _npm_manifest(prepared: pipeline.Prepared) -> dict[str, Any]:
    """The artifact's own package.json (what was verified), which the served packument is made from."""
    entry = prepared.tree.files.get("package.json")
    try:
        doc = json.loads(entry.data) if entry else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        doc = None
    return doc if isinstance(doc, dict) else {}


def _details(prepared: pipeline.Prepared, purl_text: str) -> tuple[dict[str, Any], str | None]:
    """Per-version facts for the served metadata, or a refusal when the artifact contradicts its purl."""
    release = prepared.release
    details: dict[str, Any] = {"purl": purl_text, "published_at": release.published_at}
    if prepared.purl.type == "npm":
        manifest = _npm_manifest(prepared)
        if manifest.get("name") != release.name or manifest.get("version") != release.version:
            return details, (f"package.json names {manifest.get('name')}@{manifest.get('version')}, "
                             f"not {release.name}@{release.version}")
        details["manifest"] = manifest
    return details, None


def _filename(prepared: pipeline.Prepared) -> str:
    return prepared.result.artifact.filename if prepared.result.artifact else prepared.artifact_path.name


def _decide(store: MirrorStore, prepared: pipeline.Prepared, rebuild: Rebuilder | None,
            progress: Progress) -> tuple[Decision, StoredFile | None]:
    filename = _filename(prepared)
    progress(f"comparing {filename} with its source")
    result = compare_prepared(prepared)
    refusal = _refusal(result)
    outcome = None
    if refusal is None and rebuild is not None:
        progress(f"rebuilding {filename}")
        outcome = rebuild(prepared)
        if outcome not in REBUILT:
            refusal = f"rebuild outcome {outcome}, not bit-for-bit or stabilized"
    if refusal is not None:
        return Decision(filename, False, refusal, result.verdict.value), None
    digests = store.put_blob(prepared.artifact_path)
    stored = StoredFile(filename, digests["sha256"], digests["sha512"], digests["sha1"], int(digests["size"]),
                        result.verdict.value, _summary(result), outcome)
    why = f"verdict {result.verdict.value}" + (f", rebuild {outcome}" if outcome else "")
    return Decision(filename, True, why, result.verdict.value, digests["sha256"]), stored


def _others(first: pipeline.Prepared, purl_text: str,
            progress: Progress) -> Iterator[pipeline.Prepared | Decision]:
    """The release's other files, each prepared as a local artifact (its registry digest still checked); a file
    that cannot even be prepared is a refusal, not the end of the run."""
    chosen = first.result.artifact.filename if first.result.artifact else None
    for ref in first.release.artifacts:
        if ref.filename == chosen:
            continue
        with tempfile.TemporaryDirectory(prefix="ossprov-mirror-") as tmp:
            try:
                prepared = pipeline.prepare(purl_text, _download(ref, Path(tmp), progress), progress)
            except OssprovError as exc:
                yield Decision(ref.filename, False, f"could not be verified: {exc}")
                continue
            yield prepared


def _download(ref: ArtifactRef, folder: Path, progress: Progress) -> Path:
    progress(f"downloading {ref.filename}")
    cached, _ = ArtifactCache().fetch(ref.url, lambda dest: client().download(ref.url, dest))
    named = folder / Path(ref.filename).name
    shutil.copyfile(cached, named)
    return named


def add(purl_text: str, require: str = "faithful", progress: Progress = _quiet,
        store: MirrorStore | None = None, rebuild: Rebuilder | None = None) -> AddReport:
    """Verify every file of a package version and store those that pass the gate."""
    if require not in REQUIREMENTS:
        raise InputError(f"--require must be one of {', '.join(REQUIREMENTS)}, not {require!r}")
    purl = parse_purl(purl_text)
    if purl.type not in ECOSYSTEMS:
        raise InputError(f"the mirror serves {' and '.join(ECOSYSTEMS)} packages, not {purl.type}")
    rebuild = (rebuild or rebuilder()) if require == "rebuilt" else None
    store = store or MirrorStore()
    first = pipeline.prepare(purl_text, progress=progress)
    name = package_name(purl) if purl.type == "npm" else first.release.name
    details, contradiction = _details(first, purl_text)
    if contradiction:
        refused = Decision(_filename(first), False, contradiction)
        return AddReport(purl_text, purl.type, name, first.release.version, require, (refused,))
    decisions: list[Decision] = []
    stored: list[StoredFile] = []
    for prepared in _chain(first, purl_text, progress):
        if isinstance(prepared, Decision):
            decisions.append(prepared)
            continue
        decision, kept = _decide(store, prepared, rebuild, progress)
        decisions.append(decision)
        if kept is not None:
            stored.append(kept)
    if stored:
        store.record(purl.type, name, first.release.version, stored, details)
    return AddReport(purl_text, purl.type, name, first.release.version, require, tuple(decisions))


def _chain(first: pipeline.Prepared, purl_text: str,
           progress: Progress) -> Iterator[pipeline.Prepared | Decision]:
    yield first
    yield from _others(first, purl_text, progress)
