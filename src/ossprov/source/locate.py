"""From source hints to a repository, subdirectory and commit: rank candidates, clone, validate, pin."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, replace

from ossprov.ecosystems.common import is_doc
from ossprov.ecosystems.interface import Ecosystem
from ossprov.errors import GitError
from ossprov.model import Evidence, RepoCandidate, Repository, SourceHint
from ossprov.source import urls
from ossprov.source.content import ArtifactContent
from ossprov.source.git import Repo, ensure_clone
from ossprov.source.pin import Pin, pin

ORIGIN_WEIGHT = {
    "declared-repository": 1.0,
    "vcs-commit": 1.0,
    "declared-repository-parent": 0.9,
    "git-properties-remote": 0.9,
    "manifest-scm": 0.8,
    "sourcelink": 0.9,
    "homepage": 0.5,
    "bugs": 0.45,
    "download-url": 0.35,
    "readme-link": 0.3,
    "readme-blob-link": 0.3,
    "clone-command": 0.45,
    "docs-link": 0.25,
    "description-link": 0.25,
    "owner-account": 0.2,
    "maintainer-account": 0.15,
}
BADGE_WEIGHT = 0.35
"""A CI or coverage badge names the repository the service builds: usually the package's own."""
PROJECT_URL_WEIGHT = 0.4
MAX_VALIDATED = 4
"""Candidates cloned at most per package (the pipeline stops at the first conclusive one)."""
GUESSED_ORIGINS = frozenset({"owner-account", "maintainer-account"})
"""Candidates nobody named: a repository that exists there is the answer only if it holds the package's own code."""
DECLARED_ORIGINS = frozenset({"declared-repository", "declared-repository-parent", "vcs-commit",
                              "git-properties-remote", "manifest-scm", "sourcelink", "download-url"})
"""Metadata whose job is to name the source. Other links (homepage, README, description) count only when
they point into a known forge: a project website is not a git repository, and cloning it is a request to
an arbitrary host."""


def _weight(origin: str) -> float:
    if origin.startswith("ci-badge:"):
        return BADGE_WEIGHT
    return ORIGIN_WEIGHT.get(origin, PROJECT_URL_WEIGHT if origin.startswith("project-url:") else 0.2)


def rank_candidates(hints: list[SourceHint]) -> list[RepoCandidate]:
    """Group hints by normalised repository, score by the weight of the metadata naming each, best first."""
    grouped: dict[str, dict] = {}
    for hint in hints:
        norm = urls.normalize(hint.url)
        if norm is None or norm.url.startswith("file://") or (
                hint.origin not in DECLARED_ORIGINS and norm.host not in urls.FORGES):
            continue  # metadata may not make ossprov clone a directory of this machine
        key = norm.url.lower()
        slot = grouped.setdefault(key, {"url": norm.url, "subdir": "", "origins": {}, "evidence": [], "more": {},
                                             "seen": set()})
        subdir = urls.safe_subdir(hint.subdir or norm.subdir) or ""
        if subdir and (hint.origin == "declared-repository" or not slot["subdir"]):
            slot["subdir"] = subdir
        if hint.origin in slot["origins"]:  # one row per origin: a README naming the repository ten times
            if (hint.origin, hint.url) not in slot["seen"]:
                slot["seen"].add((hint.origin, hint.url))
                slot["more"][hint.origin] = slot["more"].get(hint.origin, 0) + 1
            continue
        slot["seen"].add((hint.origin, hint.url))
        slot["origins"][hint.origin] = _weight(hint.origin)
        detail = f"{hint.origin} names {hint.url}" + (f" (directory {subdir})" if subdir else "")
        slot["evidence"].append(Evidence("declared-repository" if hint.origin in DECLARED_ORIGINS
                                         else "metadata-link", detail, {"origin": hint.origin, "url": hint.url}))
    ranked = []
    for slot in grouped.values():
        weights = sorted(slot["origins"].values(), reverse=True)
        score = min(1.0, weights[0] + 0.1 * sum(weights[1:]))
        evidence = tuple(
            Evidence(e.kind, e.detail + (f" (and {n} more link(s))" if (n := slot["more"].get(e.data["origin"]))
                                         else ""), e.data) for e in slot["evidence"])
        ranked.append(RepoCandidate(slot["url"], slot["subdir"], round(score, 3), evidence))
    ranked.sort(key=lambda c: (-c.score, c.url))
    return ranked


@dataclass(frozen=True)
class Located:
    """The outcome of validating one candidate."""

    candidate: RepoCandidate
    repo: Repo | None
    pin: Pin | None
    subdir: str


def validate(candidate: RepoCandidate, eco: Ecosystem, *, name: str, version: str, files: dict[str, bytes],
             direct_commit: str | None, direct_kind: str, released_at: str | None,
             hint_tags: list[str] | None = None, others: dict[str, dict[str, bytes]] | None = None,
             version_times: dict[str, str] | None = None, artifact_name: str = "artifact") -> Located:
    """Clone the candidate, pin the artifact in it, and look at what its manifest says.

    `others`: the comparable files of the release's other artifacts (a wheel beside the sdist), by file name:
    every artifact is a witness of the commit. `version_times`: the registry's time of every version, to tell
    real upload times from a mirror's copy dates."""
    try:
        repo = Repo(ensure_clone(candidate.url))
    except GitError as exc:
        # a guessed account or repository that does not exist is not a failure to reach the source
        guess = bool(_origins(candidate)) and _origins(candidate) <= GUESSED_ORIGINS
        ev = Evidence("guess-not-found" if guess else "clone", str(exc), supports=False)
        return Located(replace(candidate, validated=False, evidence=(*candidate.evidence, ev)), None, None,
                       candidate.subdir)
    content = ArtifactContent.of(artifact_name, files)
    witnesses = tuple(ArtifactContent.of(n, f) for n, f in sorted((others or {}).items()))
    result = pin(repo, eco, name=name, version=version, files=content, subdir=candidate.subdir,
                 direct_commit=direct_commit, direct_kind=direct_kind, released_at=released_at,
                 repo_name=candidate.url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git"), hint_tags=hint_tags,
                 others=witnesses, version_times=version_times)
    subdir = _subdir_for(repo, eco, result.commit, result.prefix) if result.commit else candidate.subdir
    claim, named = None, False
    if result.matched == 0:
        rev = result.commit or repo.default_branch() or "HEAD"
        manifest = eco.read_manifest(lambda p: repo.read_file(rev, p), subdir) if repo.resolve(rev) else None
        if manifest and manifest.name and _norm(manifest.name) != _norm(name):
            claim = manifest.name
        # every file tampered (a single-module package): the pinned commit's manifest naming the package still
        # validates the repository, so the comparison runs and reports the tampering
        named = bool(manifest and manifest.name and _norm(manifest.name) == _norm(name))
    validated = result.matched > 0 or (result.commit is not None and (result.total == 0 or named))
    if validated and _undeclared(candidate) and not _distinctive(result):
        validated = False
        candidate = replace(candidate, evidence=(*candidate.evidence, Evidence(
            "guess-rejected", f"{candidate.url} was a guess and holds none of the package's own files (only "
            f"{result.matched} stock or documentation file(s)): not the source", supports=False)))
    updated = replace(candidate, subdir=subdir, validated=validated, claim=claim,
                      score=round(candidate.score + (1.0 if result.matched else 0.0), 3))
    return Located(updated, repo, result, subdir)


def _origins(candidate: RepoCandidate) -> set[str]:
    """The metadata that named the candidate."""
    return {e.data.get("origin", "") for e in candidate.evidence if e.kind in ("declared-repository", "metadata-link")}


def _undeclared(candidate: RepoCandidate) -> bool:
    """Whether only links that do not name the source as such named it (badges, README and docs links, account
    guesses): its content must then show it holds the package."""
    origins = _origins(candidate)
    return not origins & DECLARED_ORIGINS and not origins & {"homepage", "bugs"}


def _distinctive(result: Pin) -> bool:
    """A guessed repository holds the package only if code or manifest files match (a stock LICENSE or an
    identical README is no evidence) and the pin is not a coin toss."""
    own = [p for p in result.matched_paths if not is_doc(p)]
    return bool(own) and result.confidence >= 0.5


def _norm(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _subdir_for(repo: Repo, eco: Ecosystem, commit: str, prefix: str) -> str:
    """The package's directory: the nearest directory at or above the content prefix that holds the package's
    manifest (files sit in `src/` of a Python project, in `src/main/java/` of a Maven module)."""
    subdir = prefix.rstrip("/")
    candidate = subdir
    while True:
        if eco.read_manifest(lambda p: repo.read_file(commit, p), candidate) is not None:
            return candidate
        if not candidate:
            return subdir
        candidate = posixpath.dirname(candidate)


def conclusive(loc: Located) -> bool:
    """Whether a validated candidate settles the question, so that weaker candidates need not be cloned:
    it holds at least half of the artifact's files at a commit pinned with confidence."""
    return bool(loc.pin and loc.pin.commit and loc.pin.matched * 2 >= loc.pin.total and loc.pin.confidence >= 0.8)


def choose(located: list[Located]) -> Located | None:
    """The validated candidate holding the most artifact files, then the best-scored."""
    good = [loc for loc in located if loc.candidate.validated and loc.pin and loc.pin.commit]
    if not good:
        return None
    return max(good, key=lambda loc: (loc.pin.matched if loc.pin else 0, loc.pin.confidence if loc.pin else 0.0,
                                      loc.candidate.score))


def repository_of(loc: Located) -> Repository:
    return Repository(loc.candidate.url, loc.subdir)
