"""The locate stage: from the release and its primary artifact to where the source is (repository,
subdirectory, commit) and why, with a handle on the clone that later stages reuse (checked once per run)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from packageurl import PackageURL

from ossprov.artifacts import ReadArtifact
from ossprov.ecosystems.interface import Ecosystem
from ossprov.errors import OssprovError
from ossprov.model import Evidence, LocateResult, Release, RepoCandidate, SourceHint
from ossprov.purls import canonical
from ossprov.source import locate as loc
from ossprov.source.git import Repo

Progress = Callable[[str], None]


def locate(purl: PackageURL, eco: Ecosystem, release: Release, primary: ReadArtifact, evidence: list[Evidence],
           progress: Progress, others: Sequence[ReadArtifact] = ()) -> tuple[LocateResult, Repo | None]:
    """Rank the source hints of the registry and the artifact, clone and pin the best candidates. `others`
    are the release's further files read in this run: each is a witness of the commit too (a wheel with stale
    files beside an sdist that matches one commit exactly)."""
    for missing in release.missing_fields:
        evidence.append(Evidence("registry-missing-field", f"the registry did not send `{missing}`",
                                 {"field": missing}))
    hints = list(release.hints) + eco.artifact_hints(primary.tree)
    candidates = loc.rank_candidates(hints)
    witnesses = {r.info.filename: eco.comparable_files(r.tree) for r in others if not r.unreadable}
    validated = _validate(purl, eco, release, primary, witnesses, hints, candidates, progress)
    ranked = [v.candidate for v in validated] + candidates[len(validated):]
    best = loc.choose(validated)
    result = _result(purl, release, primary, evidence, ranked, best, validated)
    return result, best.repo if best else None


def _version_times(eco: Ecosystem, release: Release) -> dict[str, str]:
    """The registry's time of every version (read once per run), to tell real upload times from a mirror's copy
    dates; empty when the registry gives no history."""
    try:
        history = eco.history(release.name)
    except OssprovError:
        return {}
    return {v.version: v.published_at for v in history.versions if v.published_at} if history else {}


def _validate(purl: PackageURL, eco: Ecosystem, release: Release, primary: ReadArtifact,
              witnesses: dict[str, dict[str, bytes]], hints: list[SourceHint], candidates: list[RepoCandidate],
              progress: Progress) -> list[loc.Located]:
    """Clone and pin the best candidates in turn, stopping at the first that settles where the source is."""
    direct = next((h.commit for h in hints if h.commit), None)
    hint_tags = list(dict.fromkeys(h.tag for h in hints if h.tag))
    files = eco.comparable_files(primary.tree)
    times = _version_times(eco, release) if candidates and eco.history_with_release else {}
    validated: list[loc.Located] = []
    for candidate in candidates[: loc.MAX_VALIDATED]:
        progress(f"cloning and searching {candidate.url}")
        validated.append(loc.validate(candidate, eco, name=release.name, version=release.version, files=files,
                                      direct_commit=direct, direct_kind=eco.direct_commit_kind,
                                      released_at=release.published_at, hint_tags=hint_tags,
                                      others=witnesses, version_times=times, artifact_name=primary.info.filename))
        if loc.conclusive(validated[-1]):
            break
    return validated


def _claim(validated: list[loc.Located]) -> str | None:
    """What the declared repository's check says: verified, holds another package, or unverified."""
    declared = next((v for v in validated if any(e.kind == "declared-repository" for e in v.candidate.evidence)),
                    None)
    if declared is None:
        return None
    if declared.candidate.validated:
        return "verified"
    if declared.candidate.claim:
        return "unverified-other-package"
    return "unverified"


def _result(purl: PackageURL, release: Release, primary: ReadArtifact, evidence: list[Evidence],
            ranked: list[RepoCandidate], best: loc.Located | None, validated: list[loc.Located]) -> LocateResult:
    claim = _claim(validated)
    declared = next((v for v in validated if v.candidate.claim), None)
    if claim == "unverified-other-package" and declared is not None:
        evidence.append(Evidence("repository-claim", f"the declared repository {declared.candidate.url} holds the "
                                 f"package {declared.candidate.claim!r}, and none of this package's files",
                                 {"url": declared.candidate.url, "claim": declared.candidate.claim}, supports=False))
    published = published_digests(release)
    if best is None or best.pin is None:
        if not ranked:
            evidence.append(Evidence("no-repository", "no metadata names a source repository", supports=False))
        evidence += [e for v in validated for e in v.candidate.evidence if e.kind == "clone" and not e.supports]
        return LocateResult(canonical(purl), None, None, 0.0, tuple(evidence), tuple(ranked), primary.info, claim,
                            release_time=release.published_at, published_digests=published)
    return LocateResult(
        purl=canonical(purl), repository=loc.repository_of(best), commit=best.pin.commit,
        confidence=best.pin.confidence, evidence=tuple(evidence) + best.candidate.evidence + best.pin.evidence,
        candidates=tuple(ranked), artifact=primary.info, repository_claim=claim, content_root=best.pin.prefix,
        release_time=release.published_at, published_digests=published,
    )


def published_digests(release: Release) -> tuple[tuple[str, str], ...]:
    """(algorithm, hex) of every file the registry lists for the version: what a lockfile digest may name."""
    return tuple(sorted({(algo, value.lower()) for a in release.artifacts for algo, value in a.digests.items()}))
