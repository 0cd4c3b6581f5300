"""The comparison keys of a popular-names list, computed once and stored beside it as sorted text lines.

Computing the keys of npm's 20,000 names (`threats.names`: compact form, look-alike skeleton, ecosystem words,
suffixes, word prefixes) takes one to four seconds of Python, which every `verify` process would pay for one
name. So the keys are computed when a list is generated or installed, and written as sorted
`kind<TAB>key<TAB>value` lines: loading is one split, a lookup one binary search. A name whose key is itself
is not written (most names): `PopularIndex` adds it back by checking the key against the list.

The file records what it was computed from (the list's bytes, this format, the key rules in `names.py`), and
is ignored — the keys recomputed in memory — when any of those changed, so a stale file is slow, never wrong.
"""

from __future__ import annotations

import bisect
import gzip
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ossprov.threats import names

FORMAT = "1"
LONG_WORD = 10
"""One-word names at least this long are also compared at two edits."""

COMPACT, SKELETON, ECOSYSTEM_WORD, SUFFIX = "c", "k", "e", "s"
"""Kinds of name → popular names keys."""
LONG, PREFIX, SCOPE = "l", "p", "o"
"""Long one-word names by length; how many names start with a run of words; how many names a scope holds."""


def key_functions(ecosystem: str) -> dict[str, Callable[[str], str]]:
    """The key of each kind, as `threats.squat` computes it for the examined name."""
    return {
        COMPACT: names.compact,
        SKELETON: names.skeleton,
        ECOSYSTEM_WORD: lambda n: names.strip_ecosystem_words(ecosystem, n),
        SUFFIX: names.strip_suffix,
    }


@dataclass(frozen=True)
class KeyIndex:
    """Sorted `kind<TAB>key<TAB>value` lines, and the characters the names are made of."""

    lines: list[str]
    alphabet: frozenset[str]

    def values(self, kind: str, key: str) -> list[str]:
        """Every value stored under (kind, key), in sorted order."""
        prefix = f"{kind}\t{key}\t"
        lines = self.lines
        at = bisect.bisect_left(lines, prefix)
        out: list[str] = []
        while at < len(lines) and lines[at].startswith(prefix):
            out.append(lines[at][len(prefix) :])
            at += 1
        return out

    def count(self, kind: str, key: str) -> int:
        found = self.values(kind, key)
        return int(found[0]) if found else 0


def build(ecosystem: str, popular: Iterable[str]) -> KeyIndex:
    """The keys of every name in the list (the slow part, done once per list)."""
    keyfns = key_functions(ecosystem)
    lines: set[str] = set()
    prefixes: Counter[str] = Counter()
    scopes: Counter[str] = Counter()
    alphabet: set[str] = set()
    for name in popular:
        alphabet.update(name)
        for kind, keyfn in keyfns.items():
            key = keyfn(name)
            if key != name:
                lines.add(f"{kind}\t{key}\t{name}")
        words = names.tokens(name)
        if len(words) == 1 and len(name) >= LONG_WORD:
            lines.add(f"{LONG}\t{len(name):04d}\t{name}")
        for k in range(1, len(words)):
            prefixes["-".join(words[:k])] += 1
        scope = names.split_scope(name)[0]
        if scope:
            scopes[scope] += 1
    lines.update(f"{PREFIX}\t{p}\t{n}" for p, n in prefixes.items())
    lines.update(f"{SCOPE}\t{s}\t{n}" for s, n in scopes.items())
    return KeyIndex(sorted(lines), frozenset(alphabet))


def fingerprint(snapshot: bytes) -> str:
    """What the keys depend on: the list's bytes, this file format and the key rules' source."""
    rules = Path(names.__file__).read_bytes()
    digest = hashlib.sha256(FORMAT.encode() + hashlib.sha256(rules).digest() + snapshot).hexdigest()
    return digest[:32]


def render(index: KeyIndex, stamp: str) -> bytes:
    header = f"# ossprov key index {stamp} {json.dumps(''.join(sorted(index.alphabet)))}"
    return gzip.compress(("\n".join([header, *index.lines]) + "\n").encode(), mtime=0)


def parse(data: bytes, stamp: str) -> KeyIndex | None:
    """The stored keys, or None when they were computed from another list or other rules, or are unreadable."""
    try:
        text = gzip.decompress(data).decode("utf-8")
        header, _, body = text.partition("\n")
        magic = f"# ossprov key index {stamp} "
        if not header.startswith(magic):
            return None
        alphabet = json.loads(header[len(magic) :])
    except (OSError, EOFError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(alphabet, str):
        return None
    lines = body.split("\n")
    if lines and not lines[-1]:
        lines.pop()
    return KeyIndex(lines, frozenset(alphabet))
