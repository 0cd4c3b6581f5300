"""Typo-squat detection, forward lookup: which variants of a popular name exist in the registry, and do they
look like squats (young, one maintainer, the popular package's repository declared as their own)?

Variants are generated in the same families as the reverse lookup uses, ranked by how often squatters use
the family, and only the first `max_queries` are asked of the registry: a popular name has hundreds of
one-edit variants, and a registry is no place for a bulk scan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from ossprov import ecosystems
from ossprov.errors import InputError
from ossprov.model import Finding, Severity
from ossprov.threats import names
from ossprov.threats.popular import load
from ossprov.threats.squat import SQUAT_WORDS, SquatHit, declares_repository, findings_for
from ossprov.threats.typo import Family, distance, generate

DEFAULT_MAX_QUERIES = 40

_RANK = (
    Family.SEPARATOR,
    Family.OMITTED,
    Family.SWAPPED,
    Family.ECOSYSTEM_WORD,
    Family.HOMOGLYPH,
    Family.SCOPE,
    Family.REPEATED,
    Family.SUFFIX,
    Family.COMBOSQUAT,
    Family.KEYBOARD,
)
"""Families in the order they are queried: the most frequent in incident reports first."""

_AFFIXES: dict[str, tuple[tuple[str, str], ...]] = {
    "pypi": (("python-", ""), ("python3-", ""), ("py-", ""), ("", "-python"), ("", "-py"), ("py", "")),
    "npm": (("node-", ""), ("", "-js"), ("", ".js"), ("", "js"), ("node", "")),
    "nuget": (("", ".Net"), ("", ".Core")),
    "maven": (),
}


@dataclass(frozen=True)
class Variant:
    """A variant of a popular name that the registry knows."""

    name: str
    family: Family
    distance: int
    first_release: str | None
    maintainers: tuple[str, ...]
    repository: str | None
    same_repository: bool | None
    """True when it declares the popular package's repository; None when either declares none."""
    findings: tuple[Finding, ...] = ()

    @property
    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), key=lambda s: s.rank, default=None)


@dataclass(frozen=True)
class VariantReport:
    ecosystem: str
    popular: str
    generated: int
    """Distinct variants generated (valid names, not themselves popular)."""
    queried: int
    """Registry look-ups made, the popular package's own included."""
    max_queries: int
    found: tuple[Variant, ...] = ()
    popular_peers: tuple[str, ...] = ()
    """Variants that are popular packages themselves: known, not queried."""

    @property
    def worst(self) -> Severity | None:
        return max((v.worst for v in self.found if v.worst), key=lambda s: s.rank, default=None)


def candidates(ecosystem: str, popular: str) -> Iterator[tuple[str, Family]]:
    """Variant names of `popular` (as typed; canonicalised by the caller), family by family."""
    scope, bare = names.split_scope(popular)
    if scope:  # a scope is owned: a squat changes the scope, or drops it
        for variant, family in generate(scope):
            yield f"@{variant}/{bare}", family
        for joined in (bare, f"{scope}-{bare}", f"{scope}{bare}"):
            yield joined, Family.SCOPE
        return
    words = names.tokens(bare)
    for sep in ("", *names.SEPARATORS):
        yield sep.join(words), Family.SEPARATOR
    yield from generate(bare)
    for before, after in _AFFIXES.get(ecosystem, ()):
        yield before + bare + after, Family.ECOSYSTEM_WORD
    stripped = [w for w in words if w not in names.ECOSYSTEM_WORDS.get(ecosystem, ())]
    if stripped and stripped != words:
        yield "-".join(stripped), Family.ECOSYSTEM_WORD
    if ecosystem == "npm":
        yield f"@{bare}/{bare}", Family.SCOPE
    yield popular + "s", Family.SUFFIX
    yield popular + "2", Family.SUFFIX
    if popular.endswith("s"):
        yield popular[:-1], Family.SUFFIX
    for word in sorted(SQUAT_WORDS):
        yield f"{popular}-{word}", Family.COMBOSQUAT


def ranked(ecosystem: str, popular: str) -> tuple[list[tuple[str, Family]], list[str]]:
    """Distinct valid variants in query order, and those that are popular packages themselves."""
    index = load(ecosystem)
    canon = names.canonical(ecosystem, popular)
    seen: dict[str, Family] = {}
    for raw, family in candidates(ecosystem, popular):
        try:
            name = names.canonical(ecosystem, names.validate(ecosystem, raw))
        except InputError:
            continue
        if name != canon and name not in seen:
            seen[name] = family
    peers = sorted(n for n in seen if n in index.score)
    order = {f: i for i, f in enumerate(_RANK)}
    rest = [(n, f) for n, f in seen.items() if n not in index.score]
    rest.sort(key=lambda nf: order.get(nf[1], len(order)))
    return rest, peers


def forward_lookup(
    ecosystem: str, popular: str, max_queries: int = DEFAULT_MAX_QUERIES, now: dt.datetime | None = None
) -> VariantReport:
    """Ask the registry about the best-ranked variants of `popular`, at most `max_queries` look-ups in all."""
    if max_queries < 2:
        raise InputError("--max-queries must be at least 2 (the popular package and one variant)")
    names.validate(ecosystem, popular)
    registry = ecosystems.get(ecosystem)
    canon = names.canonical(ecosystem, popular)
    own = registry.history(canon)
    popular_repo = own.repository if own else None
    variants, peers = ranked(ecosystem, popular)
    index = load(ecosystem)
    found: list[Variant] = []
    queried = 1
    for name, family in variants[: max_queries - 1]:
        queried += 1
        history = registry.history(name)
        if history is None:
            continue
        hit = SquatHit(
            canon,
            family,
            distance(name, canon),
            index.ratio(canon, name),
            True,
            True,
            f"{family.value} variant of {canon}",
        )
        found.append(
            Variant(
                name=name,
                family=family,
                distance=hit.distance,
                first_release=history.first_release,
                maintainers=history.maintainers,
                repository=history.repository,
                same_repository=_same(history.repository, popular_repo),
                findings=tuple(findings_for(hit, name, history, history.repository, popular_repo, now)),
            )
        )
    return VariantReport(ecosystem, canon, len(variants), queried, max_queries, tuple(found), tuple(peers))


def _same(a: str | None, b: str | None) -> bool | None:
    if not a or not b:
        return None
    return declares_repository(a, b)
