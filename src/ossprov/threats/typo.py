"""The character-level mutation families: which one turns a popular name into a given name (reverse lookup),
and every name one mutation away from a popular one (forward lookup). Both use the same tables, so a variant
that `generate` makes is classified back into the family that made it.

Distances are Damerau–Levenshtein (rapidfuzz): a swap of two neighbours costs 1, as a typist makes it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from itertools import repeat

from rapidfuzz.distance import DamerauLevenshtein, Levenshtein


class Family(enum.StrEnum):
    """How a squat name was made from the popular one, as the incident reports name the techniques."""

    HOMOGLYPH = "homoglyph"
    """Look-alike characters: l/I/1, 0/o, rn/m, Cyrillic or Greek letters."""
    SCOPE = "scope-confusion"
    """npm scopes: `@x/name` for `name`, `@name/name`, `name-core` for `@name/core`, another scope."""
    SEPARATOR = "separator"
    """The same words joined differently: `crossenv` for `cross-env`, `discordjs` for `discord.js`."""
    ECOSYSTEM_WORD = "ecosystem-word"
    """An ecosystem word added, dropped or changed: `python3-dateutil`, `nodefabric`, `mysqljs`."""
    SUFFIX = "version-or-plural"
    """A version number or plural added or dropped: `urllib`, `colors2`, `requests` for `request`."""
    OMITTED = "omitted-character"
    REPEATED = "repeated-character"
    SWAPPED = "swapped-characters"
    KEYBOARD = "keyboard-adjacent"
    """A character replaced by, or added next to, its neighbour on a QWERTY keyboard."""
    INSERTED = "inserted-character"
    SUBSTITUTED = "substituted-character"
    TWO_EDITS = "two-edits"
    """Two character edits in a long name."""
    COMBOSQUAT = "combosquat"
    """The popular name plus words that make it look official or handy: `lodash-utils`, `twilio-npm`."""


_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")


def _keyboard_neighbours() -> dict[str, frozenset[str]]:
    """Keys touching each key on a staggered QWERTY layout: same row ±1, the row above at i and i+1,
    the row below at i-1 and i."""
    where = {ch: (r, i) for r, row in enumerate(_ROWS) for i, ch in enumerate(row)}
    result: dict[str, frozenset[str]] = {}
    for ch, (r, i) in where.items():
        spots = [(r, i - 1), (r, i + 1), (r - 1, i), (r - 1, i + 1), (r + 1, i - 1), (r + 1, i)]
        result[ch] = frozenset(
            _ROWS[rr][ii] for rr, ii in spots if 0 <= rr < len(_ROWS) and 0 <= ii < len(_ROWS[rr])
        )
    return result


KEYBOARD = _keyboard_neighbours()

HOMOGLYPH_SWAPS: tuple[tuple[str, str], ...] = (
    ("l", "1"),
    ("l", "i"),
    ("i", "1"),
    ("o", "0"),
    ("m", "rn"),
    ("w", "vv"),
    ("d", "cl"),
)
"""Look-alike substitutions a registry accepts (ASCII only), in both directions."""

_HOMOGLYPH_CHARS = {frozenset(p) for p in HOMOGLYPH_SWAPS if len(p[0]) == len(p[1]) == 1}


def distance(a: str, b: str) -> int:
    return DamerauLevenshtein.distance(a, b)


def classify(candidate: str, popular: str) -> tuple[Family, int] | None:
    """The single-edit family that turns `popular` into `candidate`, or TWO_EDITS, with the distance; None
    when they are further apart than two edits."""
    d = DamerauLevenshtein.distance(candidate, popular, score_cutoff=2)
    if d == 0 or d > 2:
        return None
    if d == 2:
        return Family.TWO_EDITS, 2
    if len(candidate) == len(popular) and Levenshtein.distance(candidate, popular) == 2:
        return Family.SWAPPED, 1
    op = next(iter(Levenshtein.editops(popular, candidate)))
    if op.tag == "delete":
        return Family.OMITTED, 1
    if op.tag == "insert":
        added = candidate[op.dest_pos]
        around = (
            candidate[max(op.dest_pos - 1, 0) : op.dest_pos] + candidate[op.dest_pos + 1 : op.dest_pos + 2]
        )
        if added in around:
            return Family.REPEATED, 1
        if any(added in KEYBOARD.get(ch, ()) for ch in around):
            return Family.KEYBOARD, 1
        return Family.INSERTED, 1
    old, new = popular[op.src_pos], candidate[op.dest_pos]
    if frozenset((old, new)) in _HOMOGLYPH_CHARS:
        return Family.HOMOGLYPH, 1
    if new in KEYBOARD.get(old, ()):
        return Family.KEYBOARD, 1
    return Family.SUBSTITUTED, 1


def generate(name: str) -> Iterator[tuple[str, Family]]:
    """Every name one character mutation away from `name`, with its family (duplicates possible). Separators
    are left alone here: their changes are the SEPARATOR family, generated elsewhere."""
    letters = [i for i, ch in enumerate(name) if ch.isalnum()]
    for i in letters:
        yield name[:i] + name[i + 1 :], Family.OMITTED
        yield name[:i] + name[i] + name[i:], Family.REPEATED
        for near in sorted(KEYBOARD.get(name[i], ())):
            yield name[:i] + near + name[i + 1 :], Family.KEYBOARD
    for i in range(len(name) - 1):
        if name[i] != name[i + 1] and name[i].isalnum() and name[i + 1].isalnum():
            yield name[:i] + name[i + 1] + name[i] + name[i + 2 :], Family.SWAPPED
    for a, b in HOMOGLYPH_SWAPS:
        for old, new in ((a, b), (b, a)):
            start = name.find(old)
            while start != -1:
                yield name[:start] + new + name[start + len(old) :], Family.HOMOGLYPH
                start = name.find(old, start + 1)


def neighbours(name: str, alphabet: Iterable[str]) -> set[str]:
    """Every string one Damerau–Levenshtein edit from `name` over `alphabet` (a deletion, a swap of
    neighbours, a substitution, an insertion): a few thousand strings at most, so the popular names one edit
    away are found by set look-ups, with no index of the popular names' own deletions to build."""
    chars = sorted(set(alphabet))
    out = {name[:i] + name[i + 1 :] for i in range(len(name))}
    out.update(name[:i] + name[i + 1] + name[i] + name[i + 2 :] for i in range(len(name) - 1))
    for i in range(len(name) + 1):
        # `ch.join((head, tail))` is head + ch + tail, mapped in C over the alphabet
        out.update(map(str.join, chars, repeat((name[:i], name[i:]))))
        if i < len(name):
            out.update(map(str.join, chars, repeat((name[:i], name[i + 1 :]))))
    out.discard(name)
    return out
