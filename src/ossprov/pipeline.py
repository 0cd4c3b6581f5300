"""The pipeline's entry points: purl → release → artifact → tree → candidates → pin → comparison.

`prepare` does the work every command shares (registry, download with digest check, safe reading, locate) and
returns the records with the handles later stages need; `locate` and `verify` are what commands and the batch
runner call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from packageurl import PackageURL

from ossprov import ecosystems
from ossprov.cache import ArtifactCache, file_digests
from ossprov.ecosystems.interface import Ecosystem
from ossprov.errors import InputError, NotFoundError, RegistryError
from ossprov.http import client, redact
from ossprov.model import (
    ArtifactInfo,
    Evidence,
    LocateResult,
    PackageTree,
    Release,
    RepoCandidate,
    SourceHint,
    VerifyResult,
)
from ossprov.purls import canonical, parse_purl
from ossprov.source import locate as loc
from ossprov.source.git import Repo

if TYPE_CHECKING:
    from ossprov.practices.records import PracticesResult
    from ossprov.verify.rebuild import RebuildResult

Progress = Callable[[str], None]


@dataclass
class Prepared:
    """A located package with what later stages need: its records and handles on the clone and artifact."""

    purl: PackageURL
    eco: Ecosystem
    release: Release
    artifact_path: Path
    tree: PackageTree
    result: LocateResult
    repo: Repo | None


def _quiet(_: str) -> None:
    return None


def _get_release(purl: PackageURL, eco: Ecosystem, artifact: Path | None) -> tuple[Release | None, list[Evidence]]:
    try:
        return eco.release(purl), []
    except (RegistryError, NotFoundError) as exc:
        if artifact is None:
            raise
        return None, [Evidence("registry", f"registry metadata not used: {exc}", supports=False)]


def _artifact(release: Release | None, eco: Ecosystem, artifact: Path | None,
              progress: Progress) -> tuple[Path, str, ArtifactInfo, list[Evidence]]:
    evidence: list[Evidence] = []
    if artifact is not None:
        if not artifact.is_file():
            raise InputError(f"--artifact {artifact}: no such file")
        digests = file_digests(artifact)
        published = next((a for a in (release.artifacts if release else ()) if a.filename == artifact.name), None)
        ok = eco.digest_matches(published, digests) if published else None
        info = ArtifactInfo(artifact.name, digests["sha256"], f"local:{artifact}", ok, digests)
        if published is None and release is not None:
            evidence.append(Evidence("artifact-digest", f"{artifact.name} is not a file the registry lists for this "
                                     "version; its digest cannot be checked", {"sha256": digests["sha256"]}))
        return artifact, artifact.name, info, evidence
    if release is None:
        raise InputError("no release metadata and no --artifact")
    ref = eco.choose_artifact(release)
    if ref is None:
        raise NotFoundError(f"{release.purl}: the registry lists no artifact for this version")
    _check_location(eco, ref.url)
    progress(f"downloading {ref.filename}")
    cache = ArtifactCache()
    path, digests = cache.fetch(ref.url, lambda dest: client().download(ref.url, dest))
    ok = eco.digest_matches(ref, digests)
    if ok is False:  # the cached copy may predate a republication: judge what the registry serves now
        cache.forget(ref.url)
        path, digests = cache.fetch(ref.url, lambda dest: client().download(ref.url, dest))
        ok = eco.digest_matches(ref, digests)
    return path, ref.filename, ArtifactInfo(ref.filename, digests["sha256"], ref.url, ok, digests), evidence


def _check_location(eco: Ecosystem, url: str) -> None:
    """Registry answers are untrusted: an artifact is fetched over HTTP(S), or from a `file://` location only
    under a registry the user configured as a directory (never a path a packument chose)."""
    if url.startswith(("https://", "http://")):
        return
    if url.startswith("file://") and ".." not in url.split("/") and any(
            url.startswith(base) for base in eco.configured_local_bases()):
        return
    raise RegistryError(f"the registry names the artifact at {redact(url)}: only http(s) locations (and the "
                        "directories configured as registries) are followed")


def prepare(purl_text: str, artifact: Path | None = None, progress: Progress = _quiet) -> Prepared:
    """Registry metadata, the artifact (digest checked), its files, and the located source."""
    purl = parse_purl(purl_text)
    eco = ecosystems.get(purl.type)
    progress("reading registry metadata")
    release, evidence = _get_release(purl, eco, artifact)
    path, filename, info, more = _artifact(release, eco, artifact, progress)
    evidence += more
    tree = eco.read_artifact(path, filename)
    if release is None:
        release = eco.artifact_release(purl, tree)
    if info.digest_ok is False:
        evidence.append(Evidence("artifact-digest", f"{filename} does not match the digest the registry publishes: "
                                 "modified after publication, or a tampering mirror", {"sha256": info.sha256},
                                 supports=False))
    elif info.digest_ok:
        evidence.append(Evidence("artifact-digest", f"{filename} matches the registry's published digest",
                                 {"sha256": info.sha256}))
    for missing in release.missing_fields:
        evidence.append(Evidence("registry-missing-field", f"the registry did not send `{missing}`",
                                 {"field": missing}))
    hints = list(release.hints) + eco.artifact_hints(tree)
    candidates = loc.rank_candidates(hints)
    validated = _validate(purl, eco, release, tree, hints, candidates, progress)
    ranked = [v.candidate for v in validated] + candidates[len(validated):]
    best = loc.choose(validated)
    result = _result(purl, release, info, evidence, ranked, best, validated)
    return Prepared(purl, eco, release, path, tree, result, best.repo if best else None)


def _validate(purl: PackageURL, eco: Ecosystem, release: Release, tree: PackageTree, hints: list[SourceHint],
              candidates: list[RepoCandidate], progress: Progress) -> list[loc.Located]:
    """Clone and pin the best candidates in turn, stopping at the first that settles where the source is."""
    direct = next((h.commit for h in hints if h.commit), None)
    hint_tags = list(dict.fromkeys(h.tag for h in hints if h.tag))
    files = eco.comparable_files(tree)
    validated: list[loc.Located] = []
    for candidate in candidates[: loc.MAX_VALIDATED]:
        progress(f"cloning and searching {candidate.url}")
        validated.append(loc.validate(candidate, eco, name=release.name, version=release.version, files=files,
                                      direct_commit=direct, direct_kind="gitHead" if purl.type == "npm" else
                                      "vcs-commit", released_at=release.published_at, hint_tags=hint_tags))
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


def _result(purl: PackageURL, release: Release, info: ArtifactInfo, evidence: list[Evidence],
            ranked: list[RepoCandidate], best: loc.Located | None, validated: list[loc.Located]) -> LocateResult:
    claim = _claim(validated)
    declared = next((v for v in validated if v.candidate.claim), None)
    if claim == "unverified-other-package" and declared is not None:
        evidence.append(Evidence("repository-claim", f"the declared repository {declared.candidate.url} holds the "
                                 f"package {declared.candidate.claim!r}, and none of this package's files",
                                 {"url": declared.candidate.url, "claim": declared.candidate.claim}, supports=False))
    if best is None or best.pin is None:
        if not ranked:
            evidence.append(Evidence("no-repository", "no metadata names a source repository", supports=False))
        evidence += [e for v in validated for e in v.candidate.evidence if e.kind == "clone" and not e.supports]
        return LocateResult(canonical(purl), None, None, 0.0, tuple(evidence), tuple(ranked), info, claim,
                            release_time=release.published_at, published_digests=_published(release))
    return LocateResult(
        purl=canonical(purl), repository=loc.repository_of(best), commit=best.pin.commit,
        confidence=best.pin.confidence, evidence=tuple(evidence) + best.candidate.evidence + best.pin.evidence,
        candidates=tuple(ranked), artifact=info, repository_claim=claim, content_root=best.pin.prefix,
        release_time=release.published_at, published_digests=_published(release),
    )


def _published(release: Release) -> tuple[tuple[str, str], ...]:
    return tuple(sorted({(algo, value.lower()) for a in release.artifacts for algo, value in a.digests.items()}))


def locate(purl: str, artifact: Path | None = None, progress: Progress = _quiet) -> LocateResult:
    """Where a package version's source is."""
    return prepare(purl, artifact, progress).result


def verify(purl: str, artifact: Path | None = None, progress: Progress = _quiet) -> VerifyResult:
    """Locate, then compare the artifact with the source at the pinned commit."""
    from ossprov.verify.compare import compare_prepared

    prepared = prepare(purl, artifact, progress)
    progress("comparing files")
    return compare_prepared(prepared)


def rebuild(purl: str, artifact: Path | None = None, progress: Progress = _quiet) -> RebuildResult:
    """Locate, then rebuild in the sandbox and compare with the published artifact."""
    from ossprov.verify.rebuild import rebuild as run_rebuild

    prepared = prepare(purl, artifact, progress)
    progress("rebuilding")
    return run_rebuild(prepared.result, prepared.artifact_path, prepared.release)


def practices(purl: str) -> PracticesResult:
    """The practices of the located repository, with the package's maintenance signals."""
    from ossprov.practices.runner import assess

    return assess(purl)
