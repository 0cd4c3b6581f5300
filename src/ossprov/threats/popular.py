"""Popular names per ecosystem: the dated snapshot shipped in the package, a newer list the user loaded, and
the indexes a reverse lookup needs to compare one name with all of them in a few milliseconds.

A snapshot is a gzipped TSV: `# key: value` header lines (ecosystem, source, date, metric, count), then
`name<TAB>value`. The metric says how to read the value: `downloads` (higher is more popular), `rank`
(1 is the most popular) or `listed` (a selection without popularity figures: ratios are then unknown).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gzip
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from itertools import repeat
from operator import methodcaller
from pathlib import Path

from ossprov.atomic import atomic_write
from ossprov.errors import InputError
from ossprov.safefile import gunzip_limited, read_limited
from ossprov.threats import keyindex, names
from ossprov.threats.keyindex import KeyIndex
from ossprov.threats.lists import keys_path, user_path

METRICS = ("downloads", "rank", "listed")
MAX_UPDATE_BYTES = 64 << 20
MAX_NAMES = 200_000


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


class PopularIndex:
    """One ecosystem's popular names (canonical) with their scores and lookup keys.

    `score` is popularity on a ratio scale: downloads, or 1/rank (Zipf's law: download counts fall roughly
    as the inverse of the rank), or 1 for `listed`. `floor` is the score of a name not in the list, the
    most it can have, so a ratio against it is a lower bound. The comparison keys come from `keyindex`
    (stored beside the list, or computed on first use when absent or stale)."""

    def __init__(
        self, info: SnapshotInfo, score: dict[str, float], floor: float, keys: Callable[[], KeyIndex]
    ) -> None:
        self.info = info
        self.score = score
        self.floor = floor
        self._load_keys = keys
        self._keyfns = keyindex.key_functions(info.ecosystem)

    @functools.cached_property
    def keys(self) -> KeyIndex:
        return self._load_keys()

    @property
    def alphabet(self) -> frozenset[str]:
        """Every character the popular names use: one-edit neighbours of a name are made from these."""
        return self.keys.alphabet

    def by_key(self, kind: str, key: str) -> list[str]:
        """The popular names whose key of this kind (`keyindex.COMPACT`...) is `key`."""
        found = self.keys.values(kind, key)
        if key in self.score and self._keyfns[kind](key) == key:
            found.append(key)
        return found

    def long_words(self, length: int) -> list[str]:
        """Names of one word (no separator) and this length, when at least `LONG_WORD` long."""
        return self.keys.values(keyindex.LONG, f"{length:04d}")

    def prefix_count(self, prefix: str) -> int:
        """How many names start with this run of leading words (`pytest`, `types`, `eslint-plugin`): a
        family of siblings whose members legitimately differ in their last word."""
        return self.keys.count(keyindex.PREFIX, prefix)

    def scope_count(self, scope: str) -> int:
        """npm: how many popular packages the scope publishes (an established scope is no squat)."""
        return self.keys.count(keyindex.SCOPE, scope)

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


def _parse_snapshot(
    text: str,
    origin: str,
    expect: str | None = None,
    keys: Callable[[str, list[str]], KeyIndex] | None = None,
) -> PopularIndex:
    """The list in `text`; `keys(ecosystem, names)` gives its key index when first needed (by default
    computed in memory). Written with list operations: this runs in every process that checks a name."""
    lines = text.splitlines()
    top = next((i for i, ln in enumerate(lines) if not ln.startswith("#")), len(lines))
    header: dict[str, str] = {}
    for line in lines[:top]:
        key, sep, value = line[1:].partition(":")
        if sep:
            header[key.strip()] = value.strip()
    body = lines[top + 1 :] if lines[top : top + 1] and lines[top].startswith("name\t") else lines[top:]
    skip = methodcaller("startswith", ("#", "name\t"))
    if not all(body) or any(map(str.isspace, body)) or any(map(skip, body)):  # C loops for the usual file
        body = [ln for ln in body if ln and not skip(ln) and not ln.isspace()]
    values = dict(zip(*_columns(body, origin), strict=True))
    ecosystem, metric = header.get("ecosystem", ""), header.get("metric", "")
    if ecosystem not in names.ECOSYSTEMS or metric not in METRICS or (expect and ecosystem != expect):
        raise InputError(f"popular-names list {origin}: header names no valid ecosystem/metric")
    info = SnapshotInfo(
        ecosystem, header.get("source", "unknown"), header.get("date", "unknown"), metric, len(values), origin
    )
    build = keys or keyindex.build
    return _index(info, values, lambda: build(ecosystem, list(values)))


def _columns(rows: list[str], origin: str) -> tuple[list[str], list[float]]:
    """Names and values of `name<TAB>value` rows (a missing value is 1); when every row has exactly one
    tab, split in one go rather than row by row."""
    if set(map(str.count, rows, repeat("\t"))) == {1}:
        cells = "\t".join(rows).split("\t")
        names_, raws = cells[0::2], cells[1::2]
    else:
        split = [row.partition("\t") for row in rows]
        names_, raws = [r[0] for r in split], [r[2] for r in split]
    try:
        return names_, [float(raw) if raw else 1.0 for raw in raws]
    except ValueError:
        name, raw = next((n, r) for n, r in zip(names_, raws, strict=True) if not _is_number(r))
        raise InputError(f"popular-names list {origin}: bad value {raw!r} for {name!r}") from None


def _is_number(raw: str) -> bool:
    try:
        float(raw or 1.0)
    except ValueError:
        return False
    return True


def _index(info: SnapshotInfo, values: dict[str, float], keys: Callable[[], KeyIndex]) -> PopularIndex:
    """Scores on a ratio scale from the list's own metric."""
    if info.metric == "downloads":
        score = (
            values
            if min(values.values(), default=1.0) >= 1.0
            else {n: max(v, 1.0) for n, v in values.items()}
        )
        floor = min(score.values(), default=1.0)
    elif info.metric == "rank":
        score = {n: 1.0 / max(v, 1.0) for n, v in values.items()}
        floor = 1.0 / (max(values.values(), default=0.0) + 1.0)
    else:
        score = dict.fromkeys(values, 1.0)
        floor = 1.0
    return PopularIndex(info, score, floor, keys)


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


def stored_keys(
    data: bytes, read: Callable[[], bytes], write: Path | None = None
) -> Callable[[str, list[str]], KeyIndex]:
    """A key-index source for the list whose bytes are `data`: the stored index when `read()` gives one
    computed from these bytes and the current rules, else computed in memory (and stored at `write`,
    best effort: a read-only data directory only costs speed)."""

    def keys(ecosystem: str, popular: list[str]) -> KeyIndex:
        stamp = keyindex.fingerprint(data)
        try:
            found = keyindex.parse(read(), stamp)
        except OSError:
            found = None
        if found is not None:
            return found
        built = keyindex.build(ecosystem, popular)
        if write is not None:
            with contextlib.suppress(OSError):
                atomic_write(write, keyindex.render(built, stamp))
        return built

    return keys


def load_snapshot(path: Path) -> PopularIndex:
    """A snapshot file on its own, as the snapshot tool reads it (keys computed in memory when asked)."""
    return _parse_snapshot(_gunzip(path.read_bytes(), str(path)), str(path))


@functools.lru_cache(maxsize=16)
def _load_cached(ecosystem: str, user: Path | None, stamp: float) -> PopularIndex:
    if user is not None:
        data = user.read_bytes()
        keys = keys_path(user)
        return _parse_snapshot(
            _gunzip(data, str(user)), str(user), ecosystem, stored_keys(data, keys.read_bytes, keys)
        )
    folder = resources.files("ossprov.threats") / "data"
    data = (folder / f"{ecosystem}.tsv.gz").read_bytes()
    shipped_keys = folder / f"{ecosystem}.keys.gz"
    return _parse_snapshot(
        _gunzip(data, "shipped"), "shipped", ecosystem, stored_keys(data, shipped_keys.read_bytes)
    )


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
        data = gunzip_limited(data, MAX_UPDATE_BYTES, what=origin)
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
    data = read_limited(path, MAX_UPDATE_BYTES)
    info, values = parse_update(data, ecosystem, str(path))
    target = user_path(ecosystem)
    snapshot = render_snapshot(info, values)
    built = keyindex.build(ecosystem, [name for name, _ in values])
    atomic_write(target, snapshot)
    atomic_write(keys_path(target), keyindex.render(built, keyindex.fingerprint(snapshot)))
    return SnapshotInfo(info.ecosystem, info.source, info.date, info.metric, info.count, str(target))
