"""Typo-squat detection, reverse lookup: is this name imitating a far more popular one?

A name is compared with its ecosystem's popular names (`threats.popular`) after the ecosystem's own
normalisation, family by family: look-alike characters, npm scopes, separators, ecosystem words, version or
plural suffixes, one or two character edits (Damerau–Levenshtein), and combosquats. Every near pair is
returned, flagged or not, with the reason, because a false alarm on `preact` is as costly as a miss on
`crossenv`: the judge below lets pass popular peers, established scopes, allow-listed pairs and
plugin-style names, and says so.

`assess_name` turns the flagged pairs into Findings for verify and scan: medium for the imitation alone,
high when the registry also shows what squats look like (a young package, a single maintainer, or the
popular package's repository declared as its own).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein, Indel

from ossprov.ecosystems.interface import PackageHistory
from ossprov.model import Finding, Severity
from ossprov.source.urls import normalize, same_repository
from ossprov.threats import gopaths, keyindex, names
from ossprov.threats.keyindex import LONG_WORD
from ossprov.threats.popular import PopularIndex, SnapshotInfo, load
from ossprov.threats.typo import Family, classify, neighbours

RULES: dict[str, str] = {
    "OSP501": "The name imitates a far more popular package's name (medium).",
    "OSP502": "The name imitates a far more popular package and the package is young: first release less "
    "than 90 days ago (high).",
    "OSP503": "The name imitates a far more popular package and the package has a single maintainer (high).",
    "OSP504": "The name imitates a far more popular package and declares that package's repository as its own "
    "(high).",
}

YOUNG_DAYS = 90
PEER_RATIO = 1000.0
"""A name that is itself popular is flagged only when the other is this many times more popular."""
MIN_LENGTH_ONE_EDIT = 6
"""Below this, one edit joins unrelated short names (`ms`/`ws`, `glob`/`blob`); swaps and repeats excepted."""
MIN_LENGTH_SHORT_TYPO = 4
MIN_LENGTH_COMBO = 4

SQUAT_WORDS = frozenset(
    {
        "crack",
        "dev",
        "fix",
        "fixed",
        "free",
        "latest",
        "lite",
        "new",
        "official",
        "patch",
        "plus",
        "pro",
        "safe",
        "secure",
        "tool",
        "tools",
        "update",
        "updated",
        "updater",
        "util",
        "utility",
        "utils",
        "wallet",
    }
)
"""Words added to a popular name in the combosquats of the incident reports (`lodash-utils`, `colors-dev`,
`requests-lite`). Other words (`pytest-cov`, `react-router`, `types-requests`) name a plugin, companion or
stub package, the ecosystems' normal naming, and are not flagged."""

ALLOWED_PAIRS: dict[str, dict[frozenset[str], str]] = {
    "npm": {
        frozenset({"preact", "react"}): "Preact is an established React alternative",
        frozenset({"request", "requests"}): "both are long-established packages",
        frozenset({"axios", "axio"}): "axio is an unrelated long-established package",
    },
    "pypi": {
        frozenset({"request", "requests"}): "request is long established and unrelated",
        frozenset({"pycrypto", "pycryptodome"}): "PyCryptodome is the maintained fork of PyCrypto",
        frozenset({"opencv-python", "opencv-python-headless"}): "official variant builds of OpenCV",
    },
    "cargo": {frozenset({"inotify", "notify"}): "bindings to Linux's inotify API, beside the portable notify"},
}
"""Near pairs known to be legitimate; kept small, with the reason shown to the user."""

SIBLINGS = 3
"""Names sharing their leading words with at least this many popular names form a family (`pytest-*`,
`@types/*`, `lodash.*`): an edit in the last words makes a sibling, not a squat."""
WEAK_FAMILIES = frozenset(
    {
        Family.INSERTED,
        Family.SUBSTITUTED,
        Family.KEYBOARD,
        Family.SUFFIX,
        Family.ECOSYSTEM_WORD,
        Family.TWO_EDITS,
        Family.COMBOSQUAT,
    }
)
"""Families that legitimate names also fall into (ports `python-x`, forks `x2`, companions `x-cli`): flagged
only against a name popular enough to be worth squatting."""
WEAK_MIN_RATIO = 3.0
EDIT_FAMILIES = frozenset(
    {
        Family.HOMOGLYPH,
        Family.OMITTED,
        Family.REPEATED,
        Family.SWAPPED,
        Family.KEYBOARD,
        Family.INSERTED,
        Family.SUBSTITUTED,
        Family.TWO_EDITS,
        Family.SUFFIX,
    }
)

_FAMILY_ORDER = list(Family)


@dataclass(frozen=True)
class SquatHit:
    """One popular name the examined name is near to, and whether that closeness is flagged."""

    popular: str
    family: Family
    distance: int
    """Damerau–Levenshtein distance between the canonical names."""
    ratio: float | None
    """How many times more popular the popular name is; None when the list has no popularity figures."""
    ratio_is_lower_bound: bool
    """True when the examined name is not in the popular list, so its popularity is at most the list's floor."""
    flagged: bool
    reason: str
    """Why it is flagged, or why not (popular peer, allow-listed pair, established scope, plugin naming)."""


@dataclass(frozen=True)
class SquatReport:
    """A reverse lookup: the name, its near popular names and the findings."""

    ecosystem: str
    name: str
    canonical: str
    is_popular: bool
    snapshot: SnapshotInfo
    hits: tuple[SquatHit, ...] = ()
    findings: tuple[Finding, ...] = ()
    registry: dict[str, object] = field(default_factory=dict)
    """What the registry said about the name (exists, first release, maintainers, repository), when asked."""

    @property
    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), key=lambda s: s.rank, default=None)


def _near(index: PopularIndex, raw: str, name: str) -> dict[str, tuple[Family, str]]:
    """Popular names near `name` (canonical; `raw` as typed) → (family, detail), the strongest family kept."""
    found: dict[str, tuple[Family, str]] = {}

    def add(popular: str, family: Family, detail: str = "") -> None:
        if popular == name:
            return
        old = found.get(popular)
        if old is None or _FAMILY_ORDER.index(family) < _FAMILY_ORDER.index(old[0]):
            found[popular] = (family, detail)

    eco = index.info.ecosystem
    look = names.compact(names.skeleton(raw))
    if look != names.compact(raw.lower()):
        for p in index.by_key(keyindex.SKELETON, look):
            add(p, Family.HOMOGLYPH, "look-alike characters")
    for p in index.by_key(keyindex.SKELETON, names.skeleton(name)):
        if names.compact(p) != names.compact(name):
            add(p, Family.HOMOGLYPH, "look-alike letters")
    scope, bare = names.split_scope(name)
    if scope:
        if bare in index.score:
            add(bare, Family.SCOPE, f"the unscoped {bare} under scope @{scope}")
    elif f"@{name}/{name}" in index.score:
        add(f"@{name}/{name}", Family.SCOPE, "the scoped package without its scope")
    for p in index.by_key(keyindex.COMPACT, names.compact(name)):
        if names.split_scope(p)[0] and not scope:
            add(p, Family.SCOPE, f"{p} written without its scope")
        else:
            add(p, Family.SEPARATOR, "the same words joined differently")
    if eco == "golang":
        for p in gopaths.on_another_forge(name, index):
            add(p, Family.SCOPE, "the same account and repository on another forge")
    for p in index.by_key(keyindex.ECOSYSTEM_WORD, names.strip_ecosystem_words(eco, name)):
        add(p, Family.ECOSYSTEM_WORD, "an ecosystem word added, dropped or changed")
    for p in index.by_key(keyindex.SUFFIX, names.strip_suffix(name)):
        add(p, Family.SUFFIX, "a version number or plural added or dropped")
    _edits(index, name, add)
    _combos(index, name, add)
    return found


def _edits(index: PopularIndex, name: str, add) -> None:  # type: ignore[no-untyped-def]
    """One character edit (the name's own one-edit neighbours looked up in the list), and two in long
    one-word popular names (a length-bucketed rapidfuzz scan of those names only)."""
    near = set(filter(index.score.__contains__, neighbours(name, index.alphabet)))
    if len(name) >= LONG_WORD:
        one_word = len(names.tokens(name)) == 1
        choices = [p for n in range(len(name) - 2, len(name) + 3) for p in index.long_words(n)]
        near.update(
            p
            for p, _, _ in process.extract(
                name, choices, scorer=DamerauLevenshtein.distance, score_cutoff=2, limit=None
            )
            if one_word or (abs(len(p) - len(name)) <= 1 and Indel.distance(p, name, score_cutoff=2) <= 2)
        )
    for popular in near:
        kind = classify(name, popular)
        if kind is None:
            continue
        family, d = kind
        shortest = min(len(popular), len(name))
        if family is Family.OMITTED:  # the popular name's length says how distinctive it is; a drop shortens
            shortest = len(popular)
        if d == 2 and not (shortest >= LONG_WORD and len(names.tokens(popular)) == 1):
            continue
        if (
            d == 1
            and shortest < MIN_LENGTH_ONE_EDIT
            and not (shortest >= MIN_LENGTH_SHORT_TYPO and family in (Family.SWAPPED, Family.REPEATED))
        ):
            continue
        add(popular, family, f"{d} character edit{'s' if d > 1 else ''}")


def _combos(index: PopularIndex, name: str, add) -> None:  # type: ignore[no-untyped-def]
    """The popular name as a run of whole words inside this one, plus other words."""
    words = names.tokens(name)
    for size in range(len(words) - 1, 0, -1):
        for start in range(len(words) - size + 1):
            inner = "".join(words[start : start + size])
            if len(inner) < MIN_LENGTH_COMBO:
                continue
            extra = words[:start] + words[start + size :]
            for p in index.by_key(keyindex.COMPACT, inner):
                add(p, Family.COMBOSQUAT, "+".join(extra))


def _judge(index: PopularIndex, name: str, popular: str, family: Family, detail: str) -> SquatHit:
    """Flag the pair, or say why not: the first matching reason among allow-list, established scope,
    plugin naming, sibling in a family of names, popular peer, and a target too little used to attract
    squatters of a weak family."""
    d = DamerauLevenshtein.distance(name, popular)
    in_list = name in index.score
    ratio = index.ratio(popular, name)

    def hit(flagged: bool, reason: str) -> SquatHit:
        return SquatHit(popular, family, d, ratio, not in_list and ratio is not None, flagged, reason)

    why_not = _why_not_flagged(index, name, popular, family, detail, ratio)
    if why_not:
        return hit(False, why_not)
    how = f"{family.value} ({detail})" if detail else family.value
    if in_list:
        return hit(True, f"{how}; {popular} is {_fmt_ratio(ratio or 0)}× more popular")
    bound = f"at least {_fmt_ratio(ratio)}× more popular" if ratio is not None else "in the popular list"
    return hit(True, f"{how}; not among the {index.info.count} popular names, {popular} is {bound}")


def _why_not_flagged(
    index: PopularIndex, name: str, popular: str, family: Family, detail: str, ratio: float | None
) -> str | None:
    eco = index.info.ecosystem
    allowed = ALLOWED_PAIRS.get(eco, {}).get(frozenset({name, popular}))
    if allowed:
        return f"allow-listed pair: {allowed}"
    if eco == "golang" and (publisher := gopaths.same_publisher(name, popular)):
        return publisher
    scope, bare = names.split_scope(name)
    if family is Family.SCOPE and scope and names.compact(scope) != names.compact(bare):
        if index.scope_count(scope) > 0:
            return f"@{scope} is an established scope ({index.scope_count(scope)} popular packages)"
        return f"a re-publication under @{scope}: a scope belongs to its owner, so a typo of {popular} cannot reach it"
    if family is Family.COMBOSQUAT:
        ordinary = [w for w in detail.split("+") if w and not _squat_word(eco, w)]
        if ordinary:
            return f"adds {'/'.join(ordinary)!r} to {popular}: plugin or companion naming"
    if name in index.score and (ratio is None or ratio < PEER_RATIO):
        return "both names are popular" + ("" if ratio is None else f", {_fmt_ratio(ratio)}× apart")
    added = names.compact(name).removeprefix(names.compact(popular))
    if family is Family.SUFFIX and added != names.compact(name) and re.fullmatch(r"v?\d+", added):
        return f"{popular} with a version number added: the usual name of a fork or successor"
    numbers = _numbered_series(name, popular)
    if family is Family.SUFFIX and numbers:
        return f"numbers {numbers}: different members of a numbered series (RFCs, PEPs, ISO parts, major versions)"
    stem = _shared_stem(name, popular)
    if family is Family.TWO_EDITS and stem:
        return f"the same stem {stem!r} under another short prefix: a sibling by another vendor or platform"
    family_prefix = _shared_prefix(name, popular)
    # a Go path's leading words are its publisher, judged above: not a family of sibling names
    siblings = index.prefix_count(family_prefix) if family in EDIT_FAMILIES and family_prefix and eco != "golang" else 0
    if siblings >= SIBLINGS:
        return (
            f"siblings in the {family_prefix}-* family ({siblings} popular names): "
            "they differ only in the last words"
        )
    if family in WEAK_FAMILIES and ratio is not None and ratio < WEAK_MIN_RATIO:
        return (
            f"{family.value} is a weak sign and {popular} is not popular enough to attract squatters "
            f"(at most {_fmt_ratio(ratio)}× this name)"
        )
    return None


_TRAILING_NUMBER = re.compile(r"(\d+)$")
STEM_PREFIX = 4
"""Leading characters a vendor or platform prefix takes (`py`, `xt`, `rs`, `win`, `mini`)."""
MIN_STEM = 7


def _numbered_series(a: str, b: str) -> str:
    """`562/517` when both names end in a number and the numbers differ, else empty: `pep562` and
    `pep517`, `iso-639-3` and `iso-639-1` name different documents, not one name typed wrongly. A number
    dropped (`urllib` for `urllib3`) is not this."""
    x, y = _TRAILING_NUMBER.search(a), _TRAILING_NUMBER.search(b)
    return f"{x.group(1)}/{y.group(1)}" if x and y and x.group(1) != y.group(1) else ""


def _shared_stem(a: str, b: str) -> str:
    """The common ending when two names differ only in their first few characters (`pycocotools` and
    `xtcocotools`, `winkerberos` and `minikerberos`), else empty."""
    common = 0
    while common < min(len(a), len(b)) and a[-1 - common] == b[-1 - common]:
        common += 1
    stem = a[len(a) - common :]
    if len(stem) >= MIN_STEM and len(a) - common <= STEM_PREFIX and len(b) - common <= STEM_PREFIX:
        return stem
    return ""


def _shared_prefix(a: str, b: str) -> str:
    """The leading whole words two names of as many words share (`eslint-plugin` for two eslint plugins),
    joined by `-`; empty when their word counts differ."""
    words_a, words_b = names.tokens(a), names.tokens(b)
    if len(words_a) != len(words_b):
        return ""
    shared: list[str] = []
    for x, y in zip(words_a[:-1], words_b[:-1], strict=True):
        if x != y:
            break
        shared.append(x)
    return "-".join(shared)


def _squat_word(eco: str, word: str) -> bool:
    return (
        word in SQUAT_WORDS
        or word in names.ECOSYSTEM_WORDS.get(eco, ())
        or word.isdigit()
        or bool(re.fullmatch(r"v\d+", word))
    )


def _fmt_ratio(ratio: float) -> str:
    return f"{ratio:,.0f}" if ratio >= 10 else f"{ratio:.1f}"


def imitations(ecosystem: str, name: str, index: PopularIndex | None = None) -> list[SquatHit]:
    """Every popular name near `name`, flagged first, then by family strength and popularity."""
    index = index or load(ecosystem)
    canon = names.canonical(ecosystem, name)
    hits = [_judge(index, canon, p, fam, detail) for p, (fam, detail) in _near(index, name, canon).items()]
    hits = [h for h in hits if h.ratio is None or h.ratio >= 1]  # a less popular name is not imitated
    hits.sort(
        key=lambda h: (not h.flagged, _FAMILY_ORDER.index(h.family), -index.popularity(h.popular), h.popular)
    )
    return hits


def _age_days(history: PackageHistory, now: dt.datetime) -> float | None:
    first = history.first_release
    if not first:
        return None
    try:
        when = dt.datetime.fromisoformat(first)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return (now - when).total_seconds() / 86400


def declares_repository(declared: str | None, repository: str | None) -> bool:
    """Whether two repository references (any spelling npm or PyPI allow) name the same repository."""
    if not declared or not repository:
        return False
    a, b = normalize(declared), normalize(repository)
    return bool(a and b and same_repository(a.url, b.url))


def _repo_named_like(declared: str | None, popular: str, name: str) -> bool:
    """Whether the declared repository is named after the popular package rather than this one
    (`loadsh` declaring github.com/lodash/lodash): the offline sign of a borrowed repository."""
    repo = normalize(declared) if declared else None
    if repo is None:
        return False
    last = names.compact(repo.url.rstrip("/").rsplit("/", 1)[-1].lower())
    return last == names.compact(names.split_scope(popular)[1]) != names.compact(names.split_scope(name)[1])


def findings_for(
    hit: SquatHit,
    name: str,
    history: PackageHistory | None,
    declared_repo: str | None,
    popular_repo: str | None = None,
    now: dt.datetime | None = None,
) -> list[Finding]:
    """The finding for one flagged hit: OSP504, OSP502 or OSP503 (high) when the registry shows a sign of
    a squat, else OSP501 (medium); the message lists every sign found."""
    if not hit.flagged:
        return []
    now = now or dt.datetime.now(dt.UTC)
    signs: list[tuple[str, str]] = []
    if declares_repository(declared_repo, popular_repo) or (
        popular_repo is None and _repo_named_like(declared_repo, hit.popular, name)
    ):
        signs.append(("OSP504", f"declares {hit.popular}'s repository {declared_repo}"))
    if history is not None:
        age = _age_days(history, now)
        if age is not None and age < YOUNG_DAYS:
            signs.append(("OSP502", f"first released {age:.0f} days ago"))
        if len(history.maintainers) == 1:
            signs.append(("OSP503", f"single maintainer {history.maintainers[0]}"))
    rule = signs[0][0] if signs else "OSP501"
    severity = Severity.HIGH if signs else Severity.MEDIUM
    extra = "; ".join(s for _, s in signs)
    message = f"{name} imitates {hit.popular}: {hit.reason}" + (f"; {extra}" if extra else "")
    return [Finding(severity=severity, rule=rule, path=None, message=message)]


def assess_name(
    ecosystem: str,
    name: str,
    history: PackageHistory | None,
    declared_repo: str | None,
    popular_repos: dict[str, str | None] | None = None,
    now: dt.datetime | None = None,
    index: PopularIndex | None = None,
) -> list[Finding]:
    """Findings for a package name, for verify and scan: one per popular name it imitates. `history` is the
    package's own registry history (None when unknown), `declared_repo` the repository it declares, and
    `popular_repos` the imitated packages' repositories when the caller knows them (else a repository named
    after the imitated package counts as the imitated package's). Pass `index` (`popular.load`) when
    assessing many names: loading checks the user's data directory each time."""
    canon = names.canonical(ecosystem, name)
    out: list[Finding] = []
    for hit in imitations(ecosystem, name, index):
        known = (popular_repos or {}).get(hit.popular)
        out += findings_for(hit, canon, history, declared_repo, known, now)
    return out


def reverse_lookup(
    ecosystem: str,
    name: str,
    history: PackageHistory | None = None,
    declared_repo: str | None = None,
    registry: dict[str, object] | None = None,
) -> SquatReport:
    """The whole reverse lookup for the command: hits (flagged or not), findings, snapshot used."""
    index = load(ecosystem)
    canon = names.canonical(ecosystem, name)
    hits = imitations(ecosystem, name, index)
    findings = [f for h in hits for f in findings_for(h, canon, history, declared_repo)]
    return SquatReport(
        ecosystem=ecosystem,
        name=name,
        canonical=canon,
        is_popular=canon in index.score,
        snapshot=index.info,
        hits=tuple(hits),
        findings=tuple(findings),
        registry=registry or {},
    )
