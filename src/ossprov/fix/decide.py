"""Whether a release's declared repository needs fixing, judged against where its code was found.

A fix is only ever proposed towards a repository that content matching confirmed: proposing a repository
field from a guess would spread the very mistake the field exists to prevent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ossprov import ecosystems
from ossprov.model import LocateResult, Repository, SourceHint
from ossprov.source.urls import normalize, same_repository

MIN_CONFIDENCE = 0.8


@dataclass(frozen=True)
class Decision:
    needed: bool
    reason: str
    """One sentence a maintainer can read."""
    target: Repository | None = None
    """The repository (and subdirectory) the manifest should declare; None when not confidently located."""


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

    Every plug-in names the repository field (npm `repository`, a source-like PyPI Project-URL, Maven
    `scm`, NuGet `repository`) `declared-repository`; the PyPI plug-in also gives that origin to a Home-page
    that is itself a repository on a forge, as tools that read PyPI metadata do.
    """
    return [hint for hint in hints if hint.origin == "declared-repository"]


def problem(declared: list[SourceHint], target: Repository, ecosystem: str) -> str | None:
    """What is wrong with `declared` (as filtered by `declaring_hints`) given the true location, or None."""
    if not declared:
        return "names no source repository"
    resolved = [(h, normalize(h.url)) for h in declared]
    matching = [(h, ref) for h, ref in resolved if ref is not None and same_repository(ref.url, target.url)]
    if not matching:
        other = next((ref.url for _, ref in resolved if ref is not None), None)
        if other is None:
            return f"declares {declared[0].url!r}, which does not name a repository"
        return f"declares {other}, but its code is in {target.url}"
    subdir = target.subdir.strip("/")
    if ecosystems.get(ecosystem).declares_directory and subdir:
        given = {(h.subdir or ref.subdir).strip("/") for h, ref in matching}
        if subdir in given:
            return None
        named = sorted(g for g in given if g)
        if named:
            return f"declares the directory {named[0]!r}, but the package lives in {subdir!r} of {target.url}"
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
