"""Whether a release's declared repository needs fixing, judged against where its code was found.

A fix is only ever proposed towards a repository that content matching confirmed: proposing a repository
field from a guess would spread the very mistake the field exists to prevent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ossprov.fix.manifests.labels import source_label
from ossprov.fix.urls import parse_repository, same_repository
from ossprov.model import LocateResult, Repository, SourceHint

MIN_CONFIDENCE = 0.8
FORGE_HOSTS = frozenset({"github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "git.sr.ht"})
"""Hosts where a Home-page URL of the form host/owner/name is itself a repository."""


@dataclass(frozen=True)
class Decision:
    needed: bool
    reason: str
    """One sentence a maintainer can read."""
    target: Repository | None = None
    """The repository (and subdirectory) the manifest should declare, when confidently located."""


def content_verified(result: LocateResult) -> bool:
    """True when the located repository is backed by a content match and confidence ≥ MIN_CONFIDENCE."""
    if not result.located or result.confidence < MIN_CONFIDENCE or result.repository is None:
        return False
    evidence = list(result.evidence)
    for cand in result.candidates:
        if same_repository(cand.url, result.repository.url):
            evidence += cand.evidence
    return any(e.kind == "content-match" and e.supports for e in evidence)


def declaring_hints(hints: Iterable[SourceHint], ecosystem: str) -> list[SourceHint]:
    """The hints that count as the package's declaration of its repository.

    npm, Maven and NuGet have one repository field (`declared-repository`). PyPI has none: a source-like
    Project-URL counts, and so does a Home-page that is itself a repository on a forge.
    """
    chosen = []
    for hint in hints:
        if hint.origin == "declared-repository":
            chosen.append(hint)
        elif ecosystem == "pypi" and hint.origin.startswith("project-url:"):
            if source_label(hint.origin.split(":", 1)[1]):
                chosen.append(hint)
        elif ecosystem == "pypi" and hint.origin == "homepage":
            ref = parse_repository(hint.url)
            if ref is not None and ref.host.lower() in FORGE_HOSTS:
                chosen.append(hint)
    return chosen


def problem(declared: list[SourceHint], target: Repository, ecosystem: str) -> str | None:
    """What is wrong with `declared` (already filtered by `declaring_hints`) given the true location, or None."""
    if not declared:
        return "names no source repository"
    wanted = parse_repository(target.url)
    resolved = [(h, parse_repository(h.url)) for h in declared]
    matching = [h for h, ref in resolved if ref is not None and wanted is not None and ref.key == wanted.key]
    if not matching:
        unresolved = [h.url for h, ref in resolved if ref is None]
        if len(unresolved) == len(declared):
            return f"declares {unresolved[0]!r}, which does not name a repository"
        other = next(h.url for h, ref in resolved if ref is not None)
        return f"declares {other}, but its code is in {target.url}"
    subdir = target.subdir.strip("/")
    if ecosystem == "npm" and subdir and not any(h.subdir.strip("/") == subdir for h in matching):
        given = next((h.subdir for h in matching if h.subdir), "")
        if given:
            return f"declares the directory {given!r}, but the package lives in {subdir!r} of {target.url}"
        return f"declares {target.url} without the directory {subdir!r} where the package lives"
    return None


def decide(result: LocateResult, hints: Iterable[SourceHint], ecosystem: str) -> Decision:
    """Whether the release's declared repository must be fixed, and towards what."""
    if not content_verified(result) or result.repository is None:
        if not result.located:
            why = "no repository and commit found"
        elif result.confidence < MIN_CONFIDENCE:
            why = f"confidence {result.confidence:.2f} is below {MIN_CONFIDENCE}"
        else:
            why = "no content match confirms it"
        return Decision(False, f"the source could not be located with content-verified confidence ({why}); "
                               "proposing nothing")
    target = result.repository
    issue = problem(declaring_hints(hints, ecosystem), target, ecosystem)
    if issue is None:
        return Decision(False, f"the release already declares {target.url}, which holds its code", target)
    return Decision(True, f"the release {issue}", target)
