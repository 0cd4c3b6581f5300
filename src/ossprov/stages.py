"""`run_stages`: the only place the stages are composed. Every command, scan, the batch runner, the mirror's
gate and the practices command call it, so that they agree on the verdict and do the work once.

    purl ──▶ release          the registry record, fetched once per run (a removed version is a result)
         ──▶ artifacts        every installable file (or the user's --artifact): fetched, digest checked,
                              read once
         ──▶ locate / pin     on the primary artifact; each candidate's clone checked once
         ──▶ pinned source    the commit's file list and parsed manifest, read once for every artifact
         ──▶ compare          each artifact; files identical across artifacts compared once; a file with
                              high findings there compared again with the commit it was built from, when
                              that is one of the release's own history (`pin.own_commit`, OSP205)
         ──▶ rebuild          the primary artifact (every artifact for the mirror), from what was read
         ──▶ practices        the clone the locate stage opened
         ──▶ verdict          `ossprov.verdict`, once, over every finding of every stage and artifact

The result is one `PackageRun`; `documents` gives the JSON record of each stage, the same that is printed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packageurl import PackageURL

from ossprov import artifacts, ecosystems, verdict
from ossprov.artifacts import ReadArtifact, Removed
from ossprov.document import verify_document
from ossprov.ecosystems.interface import Ecosystem, one_run
from ossprov.errors import InputError, NotFoundError, NotLocatedError, OssprovError
from ossprov.locating import locate as locate_stage
from ossprov.model import (
    ArtifactRef,
    ArtifactResult,
    Finding,
    LocateResult,
    Release,
    Severity,
    Verdict,
    VerifyResult,
    to_json,
)
from ossprov.purls import canonical, parse_purl
from ossprov.report.jsonout import locate_json
from ossprov.source import pin
from ossprov.source.content import ArtifactContent
from ossprov.source.git import Repo, git_blob_id, save_memos
from ossprov.threats.checks import name_findings
from ossprov.threats.removed import release_status_findings, removed_finding
from ossprov.verdict import OTHER_COMMIT
from ossprov.verify.compare import (
    PinnedSource,
    Shared,
    claim_findings,
    compare_artifact,
    integrity_findings,
    pinned_source,
)

if TYPE_CHECKING:  # the rebuild and practices stages load when they run (verify starts without them)
    from ossprov.practices.records import PracticesResult
    from ossprov.verify.rebuild import RebuildOptions, RebuildResult

STAGES = ("locate", "verify", "rebuild", "practices")
"""Every stage, in the order they run."""
WEAK_PRACTICES = 3
"""An aggregate practices score below this is a (low) finding."""

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class Settings:
    """How to run the stages (everything but the purl and the stage list)."""

    artifact: Path | None = None
    """Verify this local file (matched to the registry's files by digest) instead of the registry's files."""
    artifact_filter: str | None = None
    """A glob on filenames: only the installable files it matches are verified (default: all of them)."""
    rebuild: RebuildOptions | None = None
    """How to rebuild (default: sandboxed, network only to install dependencies)."""
    rebuild_every_artifact: bool = False
    """Rebuild each verified artifact that passed the static comparison, not just the primary one (the
    mirror stores each file only when its own rebuild reproduced it)."""
    token_env: str | None = "GITHUB_TOKEN"
    """Environment variable holding the GitHub token for the practices checks that need the API."""
    osv: Path | None = None
    """A checked OSV export (directory or zip) for the Vulnerabilities check (`practices.runner.osv_export`)."""
    progress: Progress = _quiet
    now: float | None = None
    """The moment maintenance signals are computed for (tests fix it)."""


@dataclass(frozen=True)
class PackageRun:
    """Everything one run learnt about one package version, built stage by stage and passed forward."""

    purl: str
    stages: tuple[str, ...]
    release: Release | None = None
    artifacts: tuple[ReadArtifact, ...] = ()
    """The files read (primary first), with their trees."""
    locate: LocateResult | None = None
    repo: Repo | None = None
    """The clone the locate stage validated (reused by practices)."""
    source: PinnedSource | None = None
    """The pinned commit's file list and manifest (None when not located or not compared)."""
    verify: VerifyResult | None = None
    """The verdict over every stage that ran, every artifact's result, every finding."""
    rebuilds: dict[str, RebuildResult] = field(default_factory=dict)
    """Rebuild results by artifact filename."""
    practices: PracticesResult | None = None
    removed: Removed | None = None
    errors: dict[str, OssprovError] = field(default_factory=dict)
    """Stages that could not run, with why (practices of a package whose source was not found)."""

    @property
    def primary(self) -> ReadArtifact | None:
        return self.artifacts[0] if self.artifacts else None

    @property
    def rebuild(self) -> RebuildResult | None:
        """The primary artifact's rebuild."""
        return self.rebuilds.get(self.primary.info.filename) if self.primary else None

    def require(self, stage: str) -> None:
        """Raise the error that kept `stage` from running, if any."""
        if stage in self.errors:
            raise self.errors[stage]


def ordered(stages: Iterable[str]) -> tuple[str, ...]:
    """`stages` in run order; InputError for an unknown one."""
    wanted = set(stages)
    unknown = wanted - set(STAGES)
    if unknown:
        raise InputError(f"unknown stage(s) {', '.join(sorted(unknown))} (stages: {', '.join(STAGES)})")
    return tuple(s for s in STAGES if s in wanted)


def run_stages(purl_text: str, stages: Iterable[str], settings: Settings = Settings()) -> PackageRun:
    """Run `stages` for one package version (a stage needs the ones before it: they run too, once)."""
    wanted = ordered(stages)
    purl = parse_purl(purl_text)
    eco = ecosystems.get(purl.type)
    with one_run():
        try:
            return _run(purl, eco, wanted, settings)
        finally:
            save_memos()  # what the run learnt of its repositories is kept, however the process ends


def _run(purl: PackageURL, eco: Ecosystem, wanted: tuple[str, ...], settings: Settings) -> PackageRun:
    progress = settings.progress
    progress("reading registry metadata")
    release, evidence, removed = artifacts.release(purl, eco, settings.artifact)
    if removed is not None:
        return removed_run(canonical(purl), wanted, removed)
    compares = "verify" in wanted or "rebuild" in wanted
    read = _read_artifacts(eco, release, settings, every=compares)
    primary = read[0]
    if release is None:
        release = eco.artifact_release(purl, primary.tree)
    located, repo = locate_stage(purl, eco, release, primary, [*evidence, *primary.evidence], progress, read[1:])
    run = PackageRun(canonical(purl), wanted, release, tuple(read), located, repo)
    if compares:
        run = _compare(run, eco, progress)
    if "rebuild" in wanted:
        run = _rebuild(run, settings)
    if "practices" in wanted:
        run = _practices(run, purl, settings)
    if run.verify is not None:
        run = replace(run, verify=_conclude(run))
    return run


def _read_artifacts(eco: Ecosystem, release: Release | None, settings: Settings, every: bool) -> list[ReadArtifact]:
    """The user's file, or the registry's installable files (just the primary one unless `every`)."""
    if settings.artifact is not None:
        return [artifacts.read_local(eco, release, settings.artifact)]
    if release is None:
        raise InputError("no release metadata and no --artifact")
    refs = eco.installable(release, settings.artifact_filter)
    if not refs:
        what = f"no installable file matches {settings.artifact_filter!r}" if settings.artifact_filter else \
            "the registry lists no artifact for this version"
        raise NotFoundError(f"{release.purl}: {what}")
    first = artifacts.read_published(eco, refs[0], settings.progress)
    return [first] + ([_read_other(eco, ref, settings.progress) for ref in refs[1:]] if every else [])


def _read_other(eco: Ecosystem, ref: ArtifactRef, progress: Progress) -> ReadArtifact:
    """A further file of the release; one that cannot be fetched or read is that file's result, not the end
    of the run."""
    try:
        return artifacts.read_published(eco, ref, progress)
    except OssprovError as exc:
        return artifacts.unread(ref, exc)


def _compare(run: PackageRun, eco: Ecosystem, progress: Progress) -> PackageRun:
    located, repo, release = run.locate, run.repo, run.release
    assert located is not None and release is not None
    source = None
    if located.located and repo is not None and located.repository is not None and located.commit is not None:
        source = pinned_source(repo, eco, located.commit, located.repository.subdir, located.repository.url)
    sources = _Sources(eco, source)
    results = []
    for index, read in enumerate(run.artifacts):
        progress(f"comparing {read.info.filename}")
        root = located.content_root if index == 0 or source is None else \
            _content_root(read, sources.by_blob(source), located.content_root)
        result = _compare_one(eco, release, located, read, source, root, sources.shared(source))
        if source is not None and not read.unreadable and _high(result.findings):
            result = _own_commit(eco, release, located, read, result, source, sources) or result
        results.append(result)
    overall = VerifyResult(located, Verdict.UNVERIFIABLE, artifacts=tuple(results))
    return replace(run, source=source, verify=overall)


class _Sources:
    """The commits artifacts are compared with in one run (the release's, and any an artifact was built from),
    each read once, with what comparing against it found (identical files are compared once per commit)."""

    def __init__(self, eco: Ecosystem, release: PinnedSource | None) -> None:
        self.eco, self.release = eco, release
        self._pinned = {release.commit: release} if release else {}
        self._shared: dict[str, Shared] = {}
        self._by_blob: dict[str, dict[str, list[str]]] = {}

    def get(self, commit: str) -> PinnedSource:
        """Another commit of the release's repository, read as the release's is."""
        assert self.release is not None
        if commit not in self._pinned:
            self._pinned[commit] = pinned_source(self.release.repo, self.eco, commit, self.release.subdir,
                                                 self.release.url)
        return self._pinned[commit]

    def shared(self, source: PinnedSource | None) -> Shared:
        return self._shared.setdefault(source.commit, {}) if source else {}

    def by_blob(self, source: PinnedSource) -> dict[str, list[str]]:
        """The commit's blob ids → their paths."""
        if source.commit not in self._by_blob:
            by_blob: dict[str, list[str]] = {}
            for path, blob in source.files.items():
                by_blob.setdefault(blob, []).append(path)
            self._by_blob[source.commit] = by_blob
        return self._by_blob[source.commit]


def _high(findings: Iterable[Finding]) -> bool:
    return any(f.severity is Severity.HIGH for f in findings)


def _own_commit(eco: Ecosystem, release: Release, located: LocateResult, read: ReadArtifact,
                against_release: ArtifactResult, release_source: PinnedSource,
                sources: _Sources) -> ArtifactResult | None:
    """The artifact compared with the commit it was built from, when that is another commit of the release's
    published history (`pin.own_commit` says which count) and the artifact is faithful to it: no high finding
    there. It carries a medium finding (OSP205) naming the commit, how far from the release commit, and where
    it was published. None when no such commit explains the artifact: its high findings stand."""
    content = ArtifactContent.of(read.info.filename, eco.comparable_files(read.tree))
    own = pin.own_commit(release_source.repo, content, release_source.commit,
                         [against_release.content_root, located.content_root])
    if own is None:
        return None
    source = sources.get(own.commit)
    root = _content_root(read, sources.by_blob(source), own.prefix)
    result = _compare_one(eco, release, located, read, source, root, sources.shared(source))
    if _high(result.findings):
        return None
    finding = Finding(Severity.MEDIUM, OTHER_COMMIT, None, f"{read.info.filename} "
                      f"{own.describe(release_source.commit)}: not the release commit's code", read.info.filename)
    return replace(result, commit=own.commit, findings=(finding, *result.findings))


def _compare_one(eco: Ecosystem, release: Release, located: LocateResult, read: ReadArtifact,
                 source: PinnedSource | None, root: str, shared: Shared) -> ArtifactResult:
    own = integrity_findings(read.info, read.tree)
    if not read.unreadable:
        own += eco.artifact_findings(release, read.tree)
    if read.refused:
        own.append(Finding(Severity.MEDIUM, "OSP140", read.info.filename,
                           f"the archive could not be read safely: {read.unreadable}"))
    if source is None or read.unreadable:
        return ArtifactResult(read.info, read.kind, Verdict.UNVERIFIABLE, _why_not(located, read), "", (),
                              _tag(own, read.info.filename))
    file_results, findings, reused = compare_artifact(eco, release, read.tree, root, source, shared)
    return ArtifactResult(read.info, read.kind, Verdict.UNVERIFIABLE, "", root, tuple(file_results),
                          _tag(own + findings, read.info.filename), reused)


def _tag(findings: Iterable[Finding], filename: str) -> tuple[Finding, ...]:
    """The findings, each naming the file of the release it is about."""
    return tuple(replace(f, artifact=filename) for f in findings)


def _content_root(read: ReadArtifact, by_blob: dict[str, list[str]], default: str) -> str:
    """Where a further artifact's files sit in the repository: the prefix under which most of its files'
    bytes are found at the commit (a wheel of a src layout sits under `src/`, its sdist at the root).
    `by_blob` maps the commit's blob ids to their paths."""
    votes: dict[str, int] = {}
    for artifact_path, f in read.tree.files.items():
        for path in by_blob.get(git_blob_id(f.data), ()):
            if path == artifact_path or path.endswith("/" + artifact_path):
                prefix = path[: len(path) - len(artifact_path)]
                votes[prefix] = votes.get(prefix, 0) + 1
    if not votes:
        return default
    return max(sorted(votes), key=lambda p: (votes[p], p == default))


def _why_not(located: LocateResult, read: ReadArtifact) -> str:
    """Why an artifact could not be compared with source."""
    if read.unreadable:
        return read.unreadable
    if located.repository_claim == "unverified-other-package":
        return "the declared repository holds another package and none of this one's files"
    if located.clone_failed:
        failure = next(e for e in located.evidence if e.kind == "clone")
        return f"no candidate repository could be cloned ({failure.detail})"
    return "no source repository could be found" if located.repository is None else "no commit could be pinned"


def _rebuild(run: PackageRun, settings: Settings) -> PackageRun:
    """Rebuild the primary artifact (or each one that passed the comparison) from the located source."""
    from ossprov.verify.rebuild import RebuildOptions, rebuild

    assert run.locate is not None and run.release is not None and run.verify is not None
    options = settings.rebuild or RebuildOptions()
    results = {r.artifact.filename: r for r in run.verify.artifacts}
    todo = [run.artifacts[0]]
    if settings.rebuild_every_artifact:
        todo += [a for a in run.artifacts[1:] if not a.unreadable
                 and not any(f.severity is Severity.HIGH for f in results[a.info.filename].findings)]
    rebuilds = {}
    for read in todo:
        settings.progress(f"rebuilding {read.info.filename}")
        located = replace(run.locate, artifact=read.info,  # a file built from its own commit is rebuilt from it
                          commit=results[read.info.filename].commit or run.locate.commit)

        def phase(name: str, state: str, seconds: float, file: str = read.info.filename) -> None:
            done = f" ({seconds:.1f} s)" if state == "finished" else ""
            settings.progress(f"rebuilding {file}: {name} {state}{done}")

        rebuilds[read.info.filename] = rebuild(located, read.path, run.release, options, progress=phase)
    return replace(run, rebuilds=rebuilds)


def _practices(run: PackageRun, purl: PackageURL, settings: Settings) -> PackageRun:
    """Score the located repository at the pinned commit, reusing the clone the locate stage opened."""
    from ossprov.practices.runner import Target, assess_target

    located, repo = run.locate, run.repo
    if located is None or repo is None or not located.located or located.repository is None or not located.commit:
        error = NotLocatedError(f"the source repository and commit of {run.purl} could not be located")
        return replace(run, errors={**run.errors, "practices": error})
    target = Target(repo, located.commit, repo.resolve("HEAD") or located.commit, located.repository.url, purl)
    now = time.time() if settings.now is None else settings.now
    return replace(run, practices=assess_target(target, token_env=settings.token_env, now=now, osv=settings.osv))


def _conclude(run: PackageRun) -> VerifyResult:
    """The verdict, reason and findings of the whole run, and each artifact's own verdict."""
    assert run.verify is not None and run.release is not None and run.locate is not None
    eco = ecosystems.get(run.release.ecosystem)
    general = (claim_findings(run.locate) + release_status_findings(run.release)
               + name_findings(eco, run.release) + _practices_findings(run.practices))
    concluded = []
    for result in run.verify.artifacts:
        rebuilt = run.rebuilds.get(result.artifact.filename)
        later = _tag(rebuilt.findings, result.artifact.filename) if rebuilt else ()
        findings = verdict.settled_by_rebuild([*result.findings, *later], rebuilt.outcome.value if rebuilt else None)
        compared = bool(result.file_results)
        mine = [*general, *findings]
        why = "" if compared else result.reason
        concluded.append(replace(result, findings=tuple(findings),
                                 verdict=verdict.verdict(mine, result.file_results, compared=compared),
                                 reason=verdict.explain(mine, result.file_results, why)))
    findings = _unique([*general, *(f for r in concluded for f in r.findings)])
    primary = concluded[0]
    everything = [r for a in concluded for r in a.file_results]
    overall = verdict.verdict(findings, everything, compared=any(a.file_results for a in concluded))
    overall = max([overall, *(a.verdict for a in concluded)], key=lambda v: v.rank)
    why = "" if primary.file_results else primary.reason
    return VerifyResult(run.locate, overall, primary.file_results, tuple(findings),
                        verdict.explain(findings, everything, why), tuple(concluded))


def _practices_findings(practices: PracticesResult | None) -> list[Finding]:
    score = practices.score if practices else None
    if score is None or score >= WEAK_PRACTICES:
        return []
    return [Finding(Severity.LOW, "OSP601", None, f"repository practices score {score}/10 (OpenSSF Scorecard checks)")]


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))


def removed_run(text: str, wanted: Iterable[str], removed: Removed) -> PackageRun:
    """A version the registry took down: a result with what is known, for every stage asked. Scan calls it
    too, for a version its lockfile names that the registry does not serve (the lockfile proves it was)."""
    wanted = ordered(wanted)
    located = LocateResult(text, evidence=removed.evidence)
    finding = removed_finding(text, removed.detail)
    result = VerifyResult(located, Verdict.REMOVED, findings=(finding,),
                          reason=f"the registry no longer serves this version ({removed.detail})")
    error = NotLocatedError(f"{text} is no longer served by the registry: nothing to assess")
    return PackageRun(text, wanted, locate=located, verify=result, removed=removed,
                      errors={s: error for s in ("rebuild", "practices") if s in wanted})


def documents(run: PackageRun, *, keep_going: bool = False) -> dict[str, Any]:
    """The JSON record of each stage that ran, as the commands print them and the store keeps them. A stage
    that could not run raises its error, or with `keep_going` has `{"error": reason}` as its record."""
    out: dict[str, Any] = {}
    for stage in run.stages:
        if keep_going and stage in run.errors:
            out[stage] = {"error": str(run.errors[stage])}
            continue
        run.require(stage)
        if stage == "locate":
            assert run.locate is not None
            out[stage] = locate_json(run.locate)
        elif stage in ("verify", "rebuild"):
            out[stage] = run_document(run)
        else:
            out[stage] = to_json(run.practices)
    return out


def run_document(run: PackageRun) -> dict[str, Any]:
    """The verification document of the run, with the rebuild when one ran."""
    assert run.verify is not None
    return verify_document(run.verify, {"rebuild": to_json(run.rebuild)} if run.rebuild else None)


# --- what the entry points that want a single record call ------------------------------------------------
def locate(purl: str, artifact: Path | None = None, progress: Progress = _quiet) -> LocateResult:
    """Where a package version's source is."""
    run = run_stages(purl, ["locate"], Settings(artifact=artifact, progress=progress))
    assert run.locate is not None
    return run.locate


def verify(purl: str, artifact: Path | None = None, progress: Progress = _quiet,
           artifact_filter: str | None = None) -> VerifyResult:
    """Locate, then compare every installable file with the source at the pinned commit."""
    run = run_stages(purl, ["verify"], Settings(artifact=artifact, progress=progress, artifact_filter=artifact_filter))
    assert run.verify is not None
    return run.verify


def digests_served(result: VerifyResult) -> set[tuple[str, str]]:
    """Every (algorithm, hex) the registry publishes for the version or that the files read have: what a
    lockfile's digest is checked against."""
    served = set(result.locate.published_digests)
    for artifact in result.artifacts:
        served |= set(artifact.artifact.digests.items())
    if result.locate.artifact:
        served |= set(result.locate.artifact.digests.items())
    return served
