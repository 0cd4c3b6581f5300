"""Pin a package version to one commit of a repository, and say how sure we are and why.

Every kind of evidence proposes commits: the registry's gitHead (or nuspec commit, Maven SCM revision), tags
named like the version (a tag for another distribution, `-deno`, counts against its commit), commits where the
manifest's version became this version, and content search over the blob index (exact blob ids, and the ids
of line-ending/BOM-normalised forms). Each proposed commit is then checked the same way against every artifact
given (an sdist and a wheel are two witnesses): which files are there unchanged, unchanged after
normalisation, present with other content, or absent.

One ranking decides, in this order:
1. a commit made after a real upload time cannot be the source;
2. a commit *consistent* with the artifacts (no file that tells commits apart has other content there, and a
   fair share of the files is there) beats one that is not: a tag pointing at a commit whose files differ
   loses to the commit that holds them all, while a few coincidental files of a distant commit (a stock
   LICENSE, two old CRLF files) never make it consistent;
3. among consistent commits the content (exact files count 1, normalised 0.9), then the version evidence
   (gitHead, tag, manifest version change); among inconsistent ones the version evidence first;
4. then the oldest commit, then the sha: the same answer every run.

When the artifact's files are unchanged over many commits, content cannot single one out: version evidence
decides and the answer says so, and without any the result is "ambiguous between these N commits".

A further artifact built from another commit than the primary one (wheels uploaded later) is set apart rather
than counted against every commit; `own_commit` finds the commit such a file was built from, and says which
commits may count (the release's own published history, within one release interval).
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ossprov.ecosystems.interface import Ecosystem
from ossprov.model import Evidence
from ossprov.source import index, tags, times
from ossprov.source.content import NORMALISERS, ArtifactContent, Counts
from ossprov.source.git import Repo

VERSION_RANK = {"gitHead": 4, "vcs-commit": 4, "tag": 3, "manifest-version": 2, "metadata-tag": 1}
"""How strongly each kind of evidence names a commit as this version's (a tag the metadata names without the
version in it, a POM's stale `<scm><tag>`, only proposes)."""
NORMALISED_WEIGHT = 0.9
CONSISTENT = 0.98
"""Share of the telling files that must match for a commit to be consistent with the artifacts."""
MIN_COVERAGE = 0.25
"""Share of the artifact's files a consistent commit must hold (a distant commit holding only LICENSE is not)."""
SEARCH_DEPTH = 5
RECENT = 7 * 86400
"""A release commit made within this long before the upload is what an upload time supports."""


@dataclass(frozen=True)
class Pin:
    commit: str | None
    prefix: str
    """Repository path prefix under which the artifact's files sit at that commit."""
    matched: int
    """Artifact files at that commit exactly or after normalisation."""
    total: int
    confidence: float
    evidence: tuple[Evidence, ...]
    normalised: int = 0
    """Of `matched`, the files equal only after line-ending/BOM normalisation."""
    ambiguous: tuple[str, ...] = ()
    """(first, last) commit of the run holding the same files, when nothing singles one out."""
    ambiguous_count: int = 0
    matched_paths: tuple[str, ...] = field(default=(), repr=False)
    """Artifact paths that matched (the caller tells distinctive files from stock ones)."""


@dataclass
class _Candidate:
    sha: str
    evidence: list[Evidence]
    time: int = 0
    counts: list[Counts] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    telling_differ: int = 0

    @property
    def version_rank(self) -> int:
        ranks = [VERSION_RANK.get(e.kind, 0) for e in self.evidence if e.supports]
        if ranks and max(ranks) > 0:
            return max(ranks)
        return -1 if any(e.kind == "tag" and not e.supports for e in self.evidence) else 0

    @property
    def matched(self) -> int:
        return sum(c.matched for c in self.counts)

    @property
    def weighted(self) -> float:
        return sum(c.exact + NORMALISED_WEIGHT * c.normalised for c in self.counts)

    @property
    def total(self) -> int:
        return sum(c.total for c in self.counts)

    @property
    def consistent(self) -> bool:
        matched = self.matched
        return (matched > 0 and matched / (matched + self.telling_differ) >= CONSISTENT
                and matched >= MIN_COVERAGE * self.total)


def _prefix(subdir: str) -> str:
    return subdir.strip("/") + "/" if subdir.strip("/") else ""


def _manifest_version_commits(repo: Repo, eco: Ecosystem, subdir: str, version: str, limit: int = 5) -> list[str]:
    """Commits whose change to the manifest made its version this version (newest first)."""
    paths = [_prefix(subdir) + m for m in eco.manifest_files]
    pattern = r"version.{0,8}[\"']?" + re.escape(version) + r"[\"']?"
    out = repo.git("log", "--all", "--format=%H", f"-G{pattern}", "--", *paths, check=False).decode()
    commits = []
    for sha in out.split()[: limit * 4]:
        manifest = eco.read_manifest(functools.partial(repo.read_file, sha), subdir)
        if manifest and manifest.version == version:
            commits.append(sha)
            if len(commits) >= limit:
                break
    return commits


def _propose(repo: Repo, eco: Ecosystem, *, name: str, version: str, artifacts: list[ArtifactContent], subdir: str,
             direct_commit: str | None, direct_kind: str, repo_name: str, hint_tags: list[str],
             upload: int | None, evidence: list[Evidence]) -> tuple[dict[str, list[Evidence]], list[str], bool]:
    """Commits proposed by every kind of evidence, the path prefixes content search found the files under, and
    whether content search ran (not when the registry's commit holds every file: `_direct_holds_all`)."""
    proposals: dict[str, list[Evidence]] = {}

    def propose(sha: str, ev: Evidence) -> None:
        proposals.setdefault(sha, []).append(ev)

    if direct_commit:
        if repo.has_commit(direct_commit):
            propose(direct_commit, Evidence(direct_kind, f"the registry names commit {direct_commit[:12]}",
                                            {"commit": direct_commit}))
        else:
            evidence.append(Evidence(direct_kind, f"the registry names commit {direct_commit[:12]}, which is not in "
                                     "the repository (never pushed, or history rewritten)",
                                     {"commit": direct_commit}, supports=False))
    for tag in tags.version_tags(repo, eco, name, version, repo_name, hint_tags):
        if tag.flavour:
            propose(tag.commit, Evidence("tag", f"tag {tag.tag} names the {tag.flavour} build of {version}: evidence "
                                         "for that distribution, not this one",
                                         {"tag": tag.tag, "commit": tag.commit, "flavour": tag.flavour},
                                         supports=False))
        else:
            kind = "tag" if tag.how.startswith("names") or tag.how.startswith("contains") else "metadata-tag"
            propose(tag.commit, Evidence(kind, f"tag {tag.tag} {tag.how}", {"tag": tag.tag, "commit": tag.commit}))
    for sha in _manifest_version_commits(repo, eco, subdir, version):
        propose(sha, Evidence("manifest-version", f"commit {sha[:12]} set the manifest's version to {version}",
                              {"commit": sha}))
    prefixes = [_prefix(subdir)]
    searched = not _direct_holds_all(repo, direct_commit, proposals, artifacts, prefixes, upload)
    if searched:
        _search(repo, artifacts, prefixes, propose)
    return proposals, prefixes, searched


def _search(repo: Repo, artifacts: list[ArtifactContent], prefixes: list[str],
            propose: Callable[[str, Evidence], None]) -> None:
    """Content search: the commits the blob index finds holding most of each artifact's files are proposed, and
    the prefixes they sit under added to `prefixes`."""

    def search(view: dict[str, str]) -> int:
        best = 0
        for match in index.search(repo, view, prefixes=prefixes)[:SEARCH_DEPTH]:
            best = max(best, match.matched)
            propose(match.commit, Evidence("content-match", "", {"commit": match.commit}))
            if match.prefix not in prefixes:
                prefixes.append(match.prefix)
        return best

    for art in artifacts:
        best = search(art.exact)
        if best * 2 >= art.total:
            continue  # exact ids found the files: normalised forms would find nothing better (nor are worked out)
        for view in art.views:
            best = max(best, search(view))
            if best * 2 >= art.total:
                break


def _direct_holds_all(repo: Repo, direct_commit: str | None, proposals: dict[str, list[Evidence]],
                      artifacts: list[ArtifactContent], prefixes: list[str], upload: int | None) -> bool:
    """Whether the commit the registry names (proposed: it is in the repository), made no later than the upload,
    holds every file of every artifact, byte for byte, under the declared subdirectory. Content search could
    then change nothing: no commit holds more files, a tie is decided by the version evidence and nothing
    outranks the registry's commit, no rival lowers the confidence that evidence sets, and the upload time is
    judged the same (the commit holding the files precedes it). So the blob index is not loaded; the commit is
    still measured file by file like every candidate."""
    if not direct_commit or direct_commit not in proposals or not all(a.total for a in artifacts):
        return False
    if upload is not None and repo.commit_info(direct_commit).time > upload + times.SLACK:
        return False
    tree = repo.ls_tree(direct_commit, prefixes[0])
    return all(art.compare(tree, prefixes[0]).exact == art.total for art in artifacts)


def _measure(repo: Repo, cand: _Candidate, artifacts: list[ArtifactContent], prefixes: list[str]) -> None:
    """Each artifact against the candidate's tree, under the prefix where most of its files match (the first
    such prefix on ties: the declared subdirectory, then content search's order)."""
    tree: dict[str, str] = {}
    for prefix in [""] if "" in prefixes else prefixes:  # only the parts of a big tree the files can sit in
        tree.update(repo.ls_tree(cand.sha, prefix))
    cand.time = repo.commit_info(cand.sha).time
    for art in artifacts:
        best_prefix, best = prefixes[0], art.compare(tree, prefixes[0])
        for prefix in prefixes[1:]:
            counts = art.compare(tree, prefix)
            if (counts.exact + NORMALISED_WEIGHT * counts.normalised) > (best.exact + NORMALISED_WEIGHT * best.normalised):
                best_prefix, best = prefix, counts
        cand.counts.append(best)
        cand.prefixes.append(best_prefix)


def _fits(counts: Counts, held: frozenset[str]) -> bool:
    """Whether one artifact is consistent with one commit (`_Candidate.consistent`, for that artifact alone)."""
    telling = len(counts.differing & held)
    return (counts.matched > 0 and counts.matched / (counts.matched + telling) >= CONSISTENT
            and counts.matched >= MIN_COVERAGE * counts.total)


def _set_apart(cands: list[_Candidate],
               artifacts: list[ArtifactContent]) -> tuple[list[ArtifactContent], list[Evidence]]:
    """The artifacts that witness the commit, without those built from another commit than the primary one: a
    further artifact consistent with some candidate, while no candidate is consistent with it and with the
    primary artifact together (wheels uploaded later, built from a later commit) testifies for its own commit
    and would only make every commit inconsistent. It is left out of the candidates' counts (the compare stage
    pins it to its own commit). A primary artifact consistent with no commit sets nothing apart."""
    held = [frozenset().union(*(c.counts[i].matching for c in cands)) for i in range(len(artifacts))]
    fits = [[_fits(c.counts[i], held[i]) for i in range(len(artifacts))] for c in cands]
    if not any(f[0] for f in fits):
        return artifacts, []
    apart = {i for i in range(1, len(artifacts))
             if any(f[i] for f in fits) and not any(f[0] and f[i] for f in fits)}
    if not apart:
        return artifacts, []
    evidence = []
    for i in sorted(apart):
        holder = max((c for c, f in zip(cands, fits, strict=True) if f[i]), key=lambda c: (c.counts[i].matched, -c.time))
        evidence.append(Evidence("artifact-content", f"{artifacts[i].name}: its files are those of commit "
                                 f"{holder.sha[:12]}, which does not hold the {artifacts[0].name}'s: built from "
                                 "another commit, not a witness of this one", {"artifact": artifacts[i].name,
                                                                              "commit": holder.sha}, supports=False))
    keep = [i for i in range(len(artifacts)) if i not in apart]
    for cand in cands:
        cand.counts = [cand.counts[i] for i in keep]
        cand.prefixes = [cand.prefixes[i] for i in keep]
    return [artifacts[i] for i in keep], evidence


def _telling(cands: list[_Candidate], n_artifacts: int) -> None:
    """A file no candidate holds says nothing about which commit it is (a setup.cfg rewritten by the build, a
    version file, a file published from an uncommitted work tree): a differing file counts against a commit
    only when another candidate holds it."""
    for i in range(n_artifacts):
        held = frozenset().union(*(c.counts[i].matching for c in cands))
        for c in cands:
            c.telling_differ += len(c.counts[i].differing & held)


def pin(repo: Repo, eco: Ecosystem, *, name: str, version: str, files: ArtifactContent, subdir: str,
        direct_commit: str | None, direct_kind: str = "gitHead", released_at: str | None = None,
        repo_name: str = "", hint_tags: list[str] | None = None, others: tuple[ArtifactContent, ...] = (),
        version_times: dict[str, str] | None = None) -> Pin:
    """The commit of `repo` the artifact (and the `others` of the same release) was made from, with the evidence."""
    evidence: list[Evidence] = []
    artifacts = [files, *others]
    upload = times.judge(released_at, version_times)
    proposals, prefixes, searched = _propose(
        repo, eco, name=name, version=version, artifacts=artifacts, subdir=subdir, direct_commit=direct_commit,
        direct_kind=direct_kind, repo_name=repo_name, hint_tags=hint_tags or [], upload=upload.epoch,
        evidence=evidence)
    if not proposals:
        return Pin(None, _prefix(subdir), 0, files.total, 0.0, tuple(evidence))
    cands = [_Candidate(sha, evs) for sha, evs in sorted(proposals.items())]
    for cand in cands:
        _measure(repo, cand, artifacts, prefixes)
    artifacts, elsewhere = _set_apart(cands, artifacts)
    evidence += elsewhere
    _telling(cands, len(artifacts))
    holding = [c.time for c in cands if c.consistent]
    if holding:
        upload = times.before_source(upload, min(holding))
    if upload.note and released_at:  # the registry's time is not an upload time: as good as a missing field
        evidence.append(Evidence("registry-missing-field", upload.note, {"field": "time", "released_at": released_at}))

    def late(c: _Candidate) -> bool:
        return upload.epoch is not None and c.time > upload.epoch + times.SLACK

    def key(c: _Candidate) -> tuple:
        content = round(c.weighted, 3)
        order = (content, c.version_rank) if c.consistent else (c.version_rank, content)
        return (late(c), not c.consistent, *(-x for x in order), c.time, c.sha)

    cands.sort(key=key)
    best = cands[0]
    span = index.same_content_span(repo, [best.prefixes[0] + p for p in files.exact], best.sha) if searched else None
    evidence += _winner_evidence(best, artifacts, upload, late(best))
    if not searched:
        evidence.append(Evidence("content-search", f"the commit the registry names holds every file of the "
                                 f"artifact{'s' if others else ''} unchanged: the history was not searched for other "
                                 f"commits holding them (no other commit could hold more, and the {direct_kind} "
                                 "decides between commits holding as many)", {"commit": best.sha}))
    evidence += _rival_evidence(best, cands[1:], span)
    confidence, more = _confidence(best, [c for c in cands[1:] if not late(c)], span, late(best))
    evidence += more
    ambiguous = (span.first, span.last) if span and span.count > 1 and best.version_rank < 2 and best.consistent else ()
    primary = best.counts[0]
    prefix = best.prefixes[0]
    return Pin(best.sha, prefix, primary.matched, primary.total, confidence, tuple(evidence), primary.normalised,
               ambiguous, span.count if ambiguous and span else 0, tuple(sorted(primary.matching)))


def _content_detail(counts: Counts, sha: str) -> str:
    detail = f"{counts.exact} of {counts.total} artifact files are in commit {sha[:12]} unchanged"
    if counts.normalised:
        detail += f", {counts.normalised} more after normalising {NORMALISERS}"
    return detail


def _winner_evidence(best: _Candidate, artifacts: list[ArtifactContent], upload: times.UploadTime,
                     late: bool) -> list[Evidence]:
    out = []
    primary = best.counts[0]
    data = {"commit": best.sha, "matched": primary.matched, "total": primary.total,
            "exact": primary.exact, "normalised": primary.normalised}
    for ev in best.evidence:
        if ev.kind != "content-match":
            out.append(Evidence(ev.kind, ev.detail, {**ev.data, **data}, ev.supports))
    if primary.matched:
        out.append(Evidence("content-match", _content_detail(primary, best.sha), data))
    if primary.normalised:
        out.append(Evidence("normalised-match", f"{primary.normalised} file(s) match only after normalising "
                            f"{NORMALISERS} (packed on another platform): a lower confidence",
                            {"commit": best.sha, "normalised": primary.normalised}))
    for art, counts in zip(artifacts[1:], best.counts[1:], strict=True):
        absent = counts.total - counts.present
        out.append(Evidence("artifact-content", f"{art.name}: {_content_detail(counts, best.sha)}"
                            + (f"; {absent} absent from the commit (build output, or stale files of a build "
                               "directory)" if absent else ""),
                            {"artifact": art.name, "matched": counts.matched, "total": counts.total},
                            supports=counts.matched > 0 and not counts.differing))
    if upload.epoch is not None:
        gap = upload.epoch - best.time
        when = datetime.datetime.fromtimestamp(upload.epoch, datetime.UTC).isoformat()
        if late:
            out.append(Evidence("upload-time", f"commit {best.sha[:12]} was made after the upload ({when}): it cannot "
                                "be the source, and no earlier commit holds the files", {"released_at": when},
                                supports=False))
        elif gap <= RECENT:
            out.append(Evidence("upload-time", f"commit {best.sha[:12]} was made {_duration(gap)} before the upload "
                                f"({when})", {"released_at": when, "seconds_before": gap}))
        else:
            out.append(Evidence("registry-missing-field", f"the registry dates the upload {when}, {_duration(gap)} "
                                f"after commit {best.sha[:12]}: a late upload or a mirror's copy date, no evidence "
                                "either way", {"field": "time", "released_at": when, "seconds_before": gap}))
    return out


def _duration(seconds: int) -> str:
    seconds = abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds} seconds"


def _rival_evidence(best: _Candidate, rivals: list[_Candidate], span: index.Span | None) -> list[Evidence]:
    out = []
    for other in rivals:
        for ev in other.evidence:
            if ev.kind == "content-match":
                continue
            if not ev.supports:
                out.append(Evidence(ev.kind, f"{ev.detail} (commit {other.sha[:12]}, not chosen)", ev.data, False))
            elif round(other.weighted, 3) == round(best.weighted, 3) and other.consistent:
                out.append(Evidence(ev.kind, f"{ev.detail}; commit {other.sha[:12]} holds as many files unchanged "
                                    f"({other.matched}), commit {best.sha[:12]} is preferred by its evidence",
                                    ev.data))
            else:
                out.append(Evidence(ev.kind, f"{ev.detail}, but only {other.matched} of {other.total} files match "
                                    f"there ({other.telling_differ} differ); commit {best.sha[:12]} holds "
                                    f"{best.matched}", ev.data, supports=False))
    if span and span.count > 1:
        decided = next((e for e in best.evidence if e.supports and VERSION_RANK.get(e.kind, 0) >= 2), None)
        rng = f"{span.first[:12]}..{span.last[:12]}"
        if decided is not None:
            out.append(Evidence("content-tie", f"the artifact's files are unchanged in {span.count} commits ({rng}): "
                                f"content cannot single one out, the {decided.kind} decides",
                                {"first": span.first, "last": span.last, "count": span.count}))
        elif best.consistent:
            out.append(Evidence("ambiguous", f"ambiguous between these {span.count} commits ({rng}): the artifact's "
                                "files are unchanged in all of them and no tag, gitHead or version change names one; "
                                f"the oldest, {best.sha[:12]}, is given", {"first": span.first, "last": span.last,
                                                                           "count": span.count}, supports=False))
    return out


def _within(cand: _Candidate, span: index.Span) -> bool:
    """Whether the candidate lies in the run of commits (by commit time: positions are not kept here)."""
    return cand.sha in (span.first, span.last) or span.first_time <= cand.time <= span.last_time


def _confidence(best: _Candidate, rivals: list[_Candidate], span: index.Span | None,
                late: bool) -> tuple[float, list[Evidence]]:
    """How sure the commit is the one. Calibrated on the pinning fixtures (tests/core/test_pin_calibration.py):
    a pin stated at 0.8 or more must be right at least 99% of the time."""
    primary = best.counts[0]
    present = sum(c.present for c in best.counts)
    rank = best.version_rank
    notes: list[Evidence] = []
    if present == 0:
        return (0.6 if rank >= 3 else 0.2), notes
    ratio = best.weighted / present
    if not best.consistent:
        value = 0.3 + 0.3 * ratio + (0.15 if rank >= 3 else 0.05 if rank == 2 else 0.0)
        notes.append(Evidence("confidence", "no commit holds the artifact's files consistently: the version evidence "
                              "decides, at a lower confidence", supports=False))
        return round(min(value, 0.75), 3), notes
    value = 0.55 + 0.4 * ratio + (0.1 if rank >= 3 else 0.05 if rank == 2 else 0.0)
    if span is None or span.count <= 1:
        value += 0.05
    cap = 1.0
    if primary.normalised:
        cap = 0.9 if rank >= 2 else 0.85
    if span and span.count > 1 and rank < 2:
        cap = 0.5
    elif span and span.count > 1 and rank == 2:
        cap = 0.75  # the commit that set the version is the likeliest of the run, not the only candidate
    twins = [r for r in rivals if r.consistent and round(r.weighted, 3) == round(best.weighted, 3)
             and (span is None or not _within(r, span))]
    if twins and rank == 2:
        cap = min(cap, 0.75)
    twins = [r for r in twins if r.version_rank >= rank]
    if twins:  # the same files again elsewhere in history (a revert), nothing telling them apart
        cap = min(cap, 0.5)
        notes.append(Evidence("ambiguous", f"ambiguous: commit {twins[0].sha[:12]} holds the same files "
                              f"({twins[0].matched}) and no stronger evidence; the oldest is given",
                              {"commits": [best.sha, *(t.sha for t in twins)]}, supports=False))
    close = [r for r in rivals if r.consistent and abs(r.weighted - best.weighted) <= 1.0
             and round(r.weighted, 3) != round(best.weighted, 3) and (r.version_rank >= rank or rank < 2)]
    if close:
        cap = min(cap, 0.75)
        notes.append(Evidence("confidence", f"commit {close[0].sha[:12]} holds nearly as many of the files "
                              f"({close[0].matched} against {best.matched})", supports=False))
    if late:
        cap = min(cap, 0.5)
    return round(min(value, cap, 1.0), 3), notes


@dataclass(frozen=True)
class OwnCommit:
    """The commit one artifact of a release was built from, when it is not the release's commit."""

    commit: str
    prefix: str
    """Repository path prefix under which the artifact's files sit at that commit."""
    after: bool
    """True: a descendant of the release commit (built later); False: an ancestor (built earlier)."""
    distance: int
    """Commits on the way from the release commit to this one, or back (a merge of a side branch counts once)."""
    ref: str
    """A published ref holding the commit, as `branch NAME` or `tag NAME`."""

    def describe(self, release_commit: str) -> str:
        return (f"built from commit {self.commit[:12]}, {self.distance} commit{'s' if self.distance != 1 else ''} "
                f"{'after' if self.after else 'before'} the release commit {release_commit[:12]}, on {self.ref}")


def own_commit(repo: Repo, files: ArtifactContent, release_commit: str, prefixes: list[str]) -> OwnCommit | None:
    """The commit of the release's own published history that holds more of this artifact's files than the
    release commit does, consistently (no file that tells commits apart has other content there): a wheel
    uploaded later, built from a later commit of the release branch. None when no such commit exists.

    The rule, and why an attacker gains nothing from it: the commit must be a descendant or an ancestor of the
    release commit (not a commit of a diverged or unrelated history: an orphan branch, a branch that never
    merged the release), with no tag between the two (a file built across another release, an older version's
    code republished under this version, is a downgrade), and reachable from a branch or tag of the repository
    (`refs/heads/*`, `refs/tags/*`, checked explicitly: a commit only on a pull-request ref, in a fork — the
    forge serves a fork's objects through the parent's URL — or never pushed does not count, even in a clone
    that holds such refs). Someone holding only the registry's token can put such a commit nowhere, and can pick
    only among the commits of one release interval. The commit found here only proposes: the caller compares the
    artifact with it by every rule, and reports the artifact's own commit, its distance and the ref at medium
    (OSP205): code of another commit than the release's, an unreleased or an older one, is what the users of
    that file run.

    Candidates: the commits of that history nearest the release commit that changed a file of the artifact
    differing from (or absent at) the release commit, merges included (content a merge made is in no other
    commit's own changes, which is all the blob index records), and what content search finds anywhere (the
    rule above then decides)."""
    release = _Candidate(release_commit, [])
    _measure(repo, release, [files], prefixes)
    counts, prefix = release.counts[0], release.prefixes[0]
    absent = sorted(files.exact.keys() - counts.matching - counts.differing)
    paths = [prefix + p for p in [*sorted(counts.differing), *absent][:MAX_PATHS]]
    if not paths:
        return None
    proposed = dict.fromkeys(_nearest_changes(repo, release_commit, paths))
    _search(repo, [files], list(prefixes), lambda sha, _: proposed.setdefault(sha))
    cands = [_Candidate(sha, []) for sha in proposed if sha != release_commit]
    for cand in cands:
        _measure(repo, cand, [files], prefixes)
    _telling([release, *cands], 1)
    better = [(c, related) for c in cands if c.consistent and c.weighted > release.weighted
              and (related := _relation(repo, release_commit, c.sha))]
    for cand, (after, distance) in sorted(better, key=lambda b: (-round(b[0].weighted, 3), b[1][1], b[0].sha)):
        ref = _published_ref(repo, cand.sha)
        if ref:
            return OwnCommit(cand.sha, cand.prefixes[0], after, distance, ref)
    return None


NEAREST = 20
"""Commits looked at on each side of the release commit."""
MAX_PATHS = 500
"""Paths whose history is walked (the differing files first, then those absent at the release commit)."""


def _nearest_changes(repo: Repo, release_commit: str, paths: list[str]) -> list[str]:
    """The commits changing `paths` nearest the release commit: descendants on the published refs (oldest
    first), then ancestors (newest first)."""
    spec = ["--", *(":(literal)" + p for p in paths)]
    later = repo.git("rev-list", "--ancestry-path", "--topo-order", "--reverse", "--branches", "--tags",
                     f"^{release_commit}", *spec).decode().split()[:NEAREST]
    earlier = repo.git("rev-list", f"--max-count={NEAREST + 1}", release_commit, *spec).decode().split()
    return list(dict.fromkeys(sha for sha in later + earlier if sha != release_commit))


def _relation(repo: Repo, release_commit: str, commit: str) -> tuple[bool, int] | None:
    """(True, n) when `commit` descends from the release commit, (False, n) when it precedes it, n counting the
    commits on the way (a merge bringing in a side branch counts once). None when the histories diverged, or
    when a tag lies between the two (the commit itself included): a file built across another release is
    another version's code under this version's name."""
    def between(start: str, end: str) -> list[str] | None:
        if int(repo.git("rev-list", "--count", f"{end}..{start}")) != 0:
            return None  # `start` is no ancestor of `end`
        return [*repo.git("rev-list", "--ancestry-path", f"{start}..{end}").decode().split(), start, end]

    for after, (start, end) in ((True, (release_commit, commit)), (False, (commit, release_commit))):
        path = between(start, end)
        if path is not None:
            tagged = set(repo.tags().values()) & (set(path) - {release_commit})
            return None if tagged else (after, len(set(path)) - 1)
    return None


def _published_ref(repo: Repo, commit: str) -> str | None:
    """A branch (the default one first) or else a tag of the repository holding `commit`, or None."""
    out = repo.git("for-each-ref", f"--contains={commit}", "--format=%(refname)", "refs/heads/", "refs/tags/")
    refs = out.decode("utf-8", "surrogateescape").split()
    branches = [r.removeprefix("refs/heads/") for r in refs if r.startswith("refs/heads/")]
    default = repo.default_branch()
    if branches:
        return f"branch {default if default in branches else branches[0]}"
    return next((f"tag {r.removeprefix('refs/tags/')}" for r in refs), None)
