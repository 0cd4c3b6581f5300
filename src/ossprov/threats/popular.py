"""Popular names per ecosystem: the dated snapshot shipped in the package, a newer list the user loaded, and
the indexes a reverse lookup needs to compare one name with all of them in a few milliseconds.

A snapshot is a gzipped TSV: `# key: value` header lines (ecosystem, source, date, metric, count), then
`name<TAB>value`. The metric says how to read the value: `downloads` (higher is more popular), `rank`
(1 is the most popular) or `listed` (a selection without popularity figures: ratios are then unknown).
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ossprov.cache import atomic_write
from ossprov.config import settings
from ossprov.errors import InputError
from ossprov.threats import names

METRICS = ("downloads", "rank", "listed")
MAX_UPDATE_BYTES = 64 << 20
MAX_NAMES = 200_000
LONG_WORD = 10
"""One-word names at least this long are also compared at two edits."""


@dataclass(frozen=True)
class SnapshotInfo:
    """Where a popularity list came from, for the output's footnote."""

    ecosystem: str
    source: str
    date: str
    metric: str
    count: int
    origin: str
    """`shipped` (inside ossprov) or the path of the user's list that took precedence."""


@dataclass
class PopularIndex:
    """One ecosystem's popular names (canonical) with their scores and lookup keys.

    `score` is popularity on a ratio scale: downloads, or 1/rank (Zipf's law: download counts fall roughly
    as the inverse of the rank), or 1 for `listed`. `floor` is the score of a name not in the list, the
    most it can have, so a ratio against it is a lower bound."""

    info: SnapshotInfo
    score: dict[str, float]
    floor: float
    by_length: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    by_compact: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    by_skeleton: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    by_ecosystem_word: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    by_suffix: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    scope_count: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    """npm: how many popular packages each scope publishes (an established scope is no squat)."""
    by_deletion: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    """Each name and every name with one character deleted → the names: two names within one edit (a swap
    included) share a key, so one-edit neighbours are found by lookups instead of a scan."""
    long_words: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    """Names of one word (no separator), long enough for two-edit comparisons, by length."""
    prefix_count: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    """How many names start with each run of leading words (`pytest`, `types`, `eslint-plugin`): a family
    of siblings whose members legitimately differ in their last word."""

    def __post_init__(self) -> None:
        eco = self.info.ecosystem
        for name in self.score:
            self.by_length[len(name)].append(name)
            self.by_compact[names.compact(name)].append(name)
            self.by_skeleton[names.skeleton(name)].append(name)
            self.by_ecosystem_word[names.strip_ecosystem_words(eco, name)].append(name)
            self.by_suffix[names.strip_suffix(name)].append(name)
            for key in {name} | {name[:i] + name[i + 1 :] for i in range(len(name))}:
                self.by_deletion[key].append(name)
            words = names.tokens(name)
            if len(words) == 1 and len(name) >= LONG_WORD:
                self.long_words[len(name)].append(name)
            for k in range(1, len(words)):
                self.prefix_count["-".join(words[:k])] += 1
            scope = names.split_scope(name)[0]
            if scope:
                self.scope_count[scope] += 1

    @property
    def ratios_known(self) -> bool:
        return self.info.metric != "listed"

    def popularity(self, name: str) -> float:
        return self.score.get(name, self.floor)

    def ratio(self, popular: str, other: str) -> float | None:
        """How many times more popular `popular` is than `other` (a lower bound when `other` is unlisted),
        None when the list has no popularity figures."""
        if not self.ratios_known:
            return None
        return self.score[popular] / self.popularity(other)

    def top(self, count: int) -> list[str]:
        """The `count` most popular names, most popular first."""
        return sorted(self.score, key=lambda n: -self.score[n])[:count]


def _parse_snapshot(text: str, origin: str, expect: str | None = None) -> PopularIndex:
    header: dict[str, str] = {}
    values: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            key, sep, value = line[1:].partition(":")
            if sep:
                header[key.strip()] = value.strip()
            continue
        if not line.strip() or line.startswith("name\t"):
            continue
        name, _, raw = line.partition("\t")
        try:
            values[name] = float(raw) if raw else 1.0
        except ValueError:
            raise InputError(f"popular-names list {origin}: bad value {raw!r} for {name!r}") from None
    ecosystem, metric = header.get("ecosystem", ""), header.get("metric", "")
    if ecosystem not in names.ECOSYSTEMS or metric not in METRICS or (expect and ecosystem != expect):
        raise InputError(f"popular-names list {origin}: header names no valid ecosystem/metric")
    info = SnapshotInfo(
        ecosystem, header.get("source", "unknown"), header.get("date", "unknown"), metric, len(values), origin
    )
    return _index(info, values)


def _index(info: SnapshotInfo, values: dict[str, float]) -> PopularIndex:
    """Scores on a ratio scale from the list's own metric."""
    if info.metric == "downloads":
        score = {n: max(v, 1.0) for n, v in values.items()}
        floor = min(score.values(), default=1.0)
    elif info.metric == "rank":
        score = {n: 1.0 / max(v, 1.0) for n, v in values.items()}
        floor = 1.0 / (max(values.values(), default=0.0) + 1.0)
    else:
        score = dict.fromkeys(values, 1.0)
        floor = 1.0
    return PopularIndex(info=info, score=score, floor=floor)


def render_snapshot(info: SnapshotInfo, values: Iterable[tuple[str, float]]) -> bytes:
    """The gzipped snapshot file for `values` (most popular first)."""
    lines = [
        "# ossprov popular-names snapshot",
        f"# ecosystem: {info.ecosystem}",
        f"# source: {info.source}",
        f"# date: {info.date}",
        f"# metric: {info.metric}",
        f"# count: {info.count}",
        "name\tvalue",
    ]
    lines += [f"{n}\t{v:g}" if info.metric != "listed" else n for n, v in values]
    return gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)


def user_path(ecosystem: str) -> Path:
    return settings().data_dir / "popular" / f"{ecosystem}.tsv.gz"


@functools.lru_cache(maxsize=16)
def _load_cached(ecosystem: str, user: Path | None, stamp: float) -> PopularIndex:
    if user is not None:
        return _parse_snapshot(_gunzip(user.read_bytes(), str(user)), str(user), ecosystem)
    shipped = resources.files("ossprov.threats") / "data" / f"{ecosystem}.tsv.gz"
    return _parse_snapshot(_gunzip(shipped.read_bytes(), "shipped"), "shipped", ecosystem)


def _gunzip(data: bytes, origin: str) -> str:
    try:
        return gzip.decompress(data).decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise InputError(f"popular-names list {origin} is unreadable: {exc}") from None


def load(ecosystem: str) -> PopularIndex:
    """The ecosystem's popular names: the user's list when one was loaded, else the shipped snapshot.
    Indexed once per process (and again when the user's list changes)."""
    if ecosystem not in names.ECOSYSTEMS:
        raise InputError(f"unknown ecosystem {ecosystem!r}: choose one of {', '.join(names.ECOSYSTEMS)}")
    user = user_path(ecosystem)
    try:
        stamp = user.stat().st_mtime_ns / 1e9
    except OSError:
        return _load_cached(ecosystem, None, 0.0)
    return _load_cached(ecosystem, user, stamp)


def parse_update(data: bytes, ecosystem: str, origin: str) -> tuple[SnapshotInfo, list[tuple[str, float]]]:
    """A user-supplied list: `{"rows": [{"project": ..., "download_count": ...}]}` JSON (the shape of the
    public top-PyPI-packages dumps), an ossprov snapshot, or plain text with one name a line, most popular
    first. Names are canonicalised and validated; invalid ones are refused with the first offender named."""
    if len(data) > MAX_UPDATE_BYTES:
        raise InputError(f"{origin}: larger than {MAX_UPDATE_BYTES >> 20} MiB")
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, origin).encode()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{origin}: not UTF-8 text") from None
    date = dt.date.today().isoformat()
    stripped = text.lstrip()
    if stripped.startswith("{"):
        rows, date = _json_rows(stripped, origin, date)
        metric = "downloads"
    elif stripped.startswith("# ossprov popular-names snapshot"):
        index = _parse_snapshot(text, origin, ecosystem)
        return index.info, list(_snapshot_values(index))
    else:
        lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
        rows = [(n, float(i)) for i, n in enumerate(lines, 1)]
        metric = "rank"
    if len(rows) > MAX_NAMES:
        raise InputError(f"{origin}: more than {MAX_NAMES} names")
    seen: dict[str, float] = {}
    for raw, value in rows:
        name = names.canonical(ecosystem, names.validate(ecosystem, raw))
        seen.setdefault(name, value)
    if not seen:
        raise InputError(f"{origin}: no package names in it")
    ordered = sorted(seen.items(), key=lambda kv: -kv[1] if metric == "downloads" else kv[1])
    info = SnapshotInfo(ecosystem, f"user list {Path(origin).name}", date, metric, len(ordered), "user")
    return info, ordered


def _snapshot_values(index: PopularIndex) -> Iterable[tuple[str, float]]:
    metric = index.info.metric
    for name in index.top(len(index.score)):
        s = index.score[name]
        yield name, (round(1.0 / s) if metric == "rank" else s)


def _json_rows(text: str, origin: str, date: str) -> tuple[list[tuple[str, float]], str]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{origin}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    rows = doc.get("rows") if isinstance(doc, dict) else None
    if not isinstance(rows, list):
        raise InputError(f'{origin}: JSON needs a "rows" list of {{"project", "download_count"}}')
    out: list[tuple[str, float]] = []
    for row in rows:
        project = row.get("project") if isinstance(row, dict) else None
        count = row.get("download_count") if isinstance(row, dict) else None
        if not isinstance(project, str) or not isinstance(count, int | float) or isinstance(count, bool):
            raise InputError(f'{origin}: each row needs a "project" string and a "download_count" number')
        out.append((project, float(count)))
    stamp = doc.get("last_update")
    return out, (stamp[:10] if isinstance(stamp, str) and stamp[:4].isdigit() else date)


def install_update(path: Path, ecosystem: str) -> SnapshotInfo:
    """Load a newer popular list from `path` into the user data directory, where it takes precedence."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    info, values = parse_update(data, ecosystem, str(path))
    target = user_path(ecosystem)
    atomic_write(target, render_snapshot(info, values))
    return SnapshotInfo(info.ecosystem, info.source, info.date, info.metric, info.count, str(target))
