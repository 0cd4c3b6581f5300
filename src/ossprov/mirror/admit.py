"""The mirror's gate: a file enters the store only after it was verified against its source (and, when asked,
rebuilt to the same bytes).

Every installable file the registry lists for the version is verified (a PyPI release's sdist and its wheels),
in one run of the stages, and each is admitted on its own verdict (and its own rebuild), because the mirror
serves each of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ossprov import ecosystems
from ossprov.errors import InputError
from ossprov.mirror.store import ECOSYSTEMS, MirrorStore, StoredFile
from ossprov.model import ArtifactResult, Severity, Verdict, VerifyResult, to_json
from ossprov.purls import package_name, parse_purl
from ossprov.stages import PackageRun, Settings, run_stages

REQUIREMENTS = ("faithful", "rebuilt")
PASSING = frozenset({Verdict.FAITHFUL, Verdict.FAITHFUL_WITH_BUILD_OUTPUT})
REBUILT = frozenset({"bit-for-bit", "stabilized"})

Progress = Callable[[str], None]


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


def _summary(overall: VerifyResult, result: ArtifactResult) -> dict[str, Any]:
    """What the mirror stores about a file's verification (through `to_json`, which redacts credentials)."""
    loc = overall.locate
    counts = {k: sum(1 for r in result.file_results if r.status.value == k) for k in overall.counts}
    return to_json({"counts": counts, "findings": list(result.findings), "reason": result.reason,
                    "repository": loc.repository.url if loc.repository else None,
                    "subdir": loc.repository.subdir if loc.repository else None, "commit": loc.commit})


def _refusal(result: ArtifactResult) -> str | None:
    """Why the file's own verification does not admit it, or None when it does."""
    reasons = []
    if result.verdict not in PASSING:
        reasons.append(f"verdict {result.verdict.value}" + (f": {result.reason}" if result.reason else ""))
    high = next((f for f in result.findings if f.severity is Severity.HIGH), None)
    if high is not None:
        reasons.append(f"high finding {high.rule}" + (f" in {high.path}" if high.path else "") + f": {high.message}")
    return "; ".join(reasons) or None


def _details(run: PackageRun, purl_text: str) -> tuple[dict[str, Any], str | None]:
    """Per-version facts for the served metadata, or a refusal when the artifact contradicts its purl. Where
    the registry serves a per-version document made from the artifact (npm's package.json), the mirror serves
    the one it verified, so it must name this release."""
    release = run.release
    assert release is not None
    details: dict[str, Any] = {"purl": purl_text, "published_at": release.published_at}
    document = ecosystems.get(release.ecosystem).version_document(run.primary.tree) if run.primary else None
    if document is not None:
        if document.get("name") != release.name or document.get("version") != release.version:
            return details, (f"the artifact's manifest names {document.get('name')}@{document.get('version')}, "
                             f"not {release.name}@{release.version}")
        details["manifest"] = document
    return details, None


def _decide(store: MirrorStore, run: PackageRun, result: ArtifactResult,
            rebuilt: bool) -> tuple[Decision, StoredFile | None]:
    assert run.verify is not None
    filename = result.artifact.filename
    refusal = _refusal(result)
    rebuild = run.rebuilds.get(filename)
    outcome = rebuild.outcome.value if rebuild else None
    if refusal is None and rebuilt:
        if outcome is None:
            refusal = "not rebuilt"
        elif outcome not in REBUILT:
            refusal = f"rebuild outcome {outcome}, not bit-for-bit or stabilized"
    if refusal is not None:
        return Decision(filename, False, refusal, result.verdict.value), None
    read = next(a for a in run.artifacts if a.info.filename == filename)
    digests = store.put_blob(read.path)
    stored = StoredFile(filename, digests["sha256"], digests["sha512"], digests["sha1"], int(digests["size"]),
                        result.verdict.value, _summary(run.verify, result), outcome)
    why = f"verdict {result.verdict.value}" + (f", rebuild {outcome}" if outcome else "")
    return Decision(filename, True, why, result.verdict.value, digests["sha256"]), stored


def add(purl_text: str, require: str = "faithful", progress: Progress = _quiet,
        store: MirrorStore | None = None) -> AddReport:
    """Verify every file of a package version and store those that pass the gate."""
    if require not in REQUIREMENTS:
        raise InputError(f"--require must be one of {', '.join(REQUIREMENTS)}, not {require!r}")
    purl = parse_purl(purl_text)
    if purl.type not in ECOSYSTEMS:
        raise InputError(f"the mirror serves {' and '.join(ECOSYSTEMS)} packages, not {purl.type}")
    rebuilt = require == "rebuilt"
    store = store or MirrorStore()
    run = run_stages(purl_text, ["verify", "rebuild"] if rebuilt else ["verify"],
                     Settings(progress=progress, rebuild_every_artifact=True))
    if run.release is None or run.verify is None or not run.verify.artifacts:
        reason = run.verify.reason if run.verify else "not verified"
        return AddReport(purl_text, purl.type, package_name(purl), purl.version or "", require,
                         (Decision("", False, reason, run.verify.verdict.value if run.verify else None),))
    name = run.release.name
    details, contradiction = _details(run, purl_text)
    if contradiction:
        refused = Decision(run.verify.artifacts[0].artifact.filename, False, contradiction)
        return AddReport(purl_text, purl.type, name, run.release.version, require, (refused,))
    decisions: list[Decision] = []
    stored: list[StoredFile] = []
    for result in run.verify.artifacts:
        decision, kept = _decide(store, run, result, rebuilt)
        decisions.append(decision)
        if kept is not None:
            stored.append(kept)
    if stored:
        store.record(purl.type, name, run.release.version, stored, details)
    return AddReport(purl_text, purl.type, name, run.release.version, require, tuple(decisions))
