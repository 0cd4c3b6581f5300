"""Rebuild the shipped popular-names snapshots from registry package listings (TSV, first line the columns):
a maintainer's tool, run by hand when the listings are refreshed:

    python -m ossprov.threats.snapshot --npm npm.tsv --pypi pypi.tsv --nuget nuget.tsv \
        --maven maven-partial.tsv --date 2026-11-24 --out src/ossprov/threats/data

npm listings carry monthly downloads (`downloads_a_month`), PyPI ones a download rank
(`rank_among_..._most_downloaded`); the NuGet and Maven listings are selections of served packages without
popularity, shipped as `listed` (rows whose version column says `not-served` are dropped).
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterator
from pathlib import Path

from ossprov.threats import names
from ossprov.threats.popular import SnapshotInfo, render_snapshot

LIMITS = {"npm": 20_000, "pypi": 12_000, "nuget": 5_000, "maven": 5_000}
"""How many names each shipped snapshot keeps. npm's registry is about ten times PyPI's, and names that
squatters copied (babel-cli, discord.js) rank below its top 10,000."""


def _rows(path: Path) -> Iterator[list[str]]:
    csv.field_size_limit(1 << 24)
    with path.open(encoding="utf-8", newline="") as f:
        yield from csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)


def _column(header: list[str], prefix: str) -> int:
    for i, title in enumerate(header):
        if title.startswith(prefix):
            return i
    raise SystemExit(f"no column starting with {prefix!r} in {header[:4]}")


def ranked(path: Path, ecosystem: str, column: str, higher_is_better: bool) -> list[tuple[str, float]]:
    """(canonical name, value) for the rows with a value, most popular first, first spelling kept."""
    rows = _rows(path)
    col = _column(next(rows), column)
    best: dict[str, float] = {}
    for row in rows:
        if len(row) > col and row[col].strip():
            name = names.canonical(ecosystem, row[0])
            value = float(row[col])
            if name not in best or (value > best[name]) == higher_is_better:
                best[name] = value
    return sorted(best.items(), key=lambda kv: -kv[1] if higher_is_better else kv[1])


def listed(path: Path, ecosystem: str) -> list[tuple[str, float]]:
    rows = _rows(path)
    next(rows)
    served = {names.canonical(ecosystem, r[0]) for r in rows if len(r) > 1 and "not-served" not in r[1]}
    return [(n, 1.0) for n in sorted(served)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for eco in names.ECOSYSTEMS:
        parser.add_argument(f"--{eco}", type=Path, help=f"{eco} listing (TSV)")
    parser.add_argument("--date", required=True, help="the day the listings were made (YYYY-MM-DD)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    plans = {
        "npm": (
            "downloads",
            "npm registry download counts for the last month",
            lambda p: ranked(p, "npm", "downloads_a_month", True),
        ),
        "pypi": (
            "rank",
            "PyPI download rank (among the 15,000 most downloaded projects)",
            lambda p: ranked(p, "pypi", "rank_among", False),
        ),
        "nuget": (
            "listed",
            "a selection of packages NuGet served (no popularity figures)",
            lambda p: listed(p, "nuget"),
        ),
        "maven": (
            "listed",
            "a selection of artifacts Maven Central served (no popularity figures)",
            lambda p: listed(p, "maven"),
        ),
    }
    for eco, (metric, source, read) in plans.items():
        path = getattr(args, eco)
        if path is None:
            continue
        values = read(path)[: LIMITS[eco]]
        info = SnapshotInfo(eco, source, args.date, metric, len(values), "shipped")
        (args.out / f"{eco}.tsv.gz").write_bytes(render_snapshot(info, values))
        print(f"{eco}: {len(values)} names", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
