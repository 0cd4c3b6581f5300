"""Rebuild the shipped popular-names snapshots from registry package listings (TSV, first line the columns):
a maintainer's tool, run by hand when the listings are refreshed:

    python -m ossprov.threats.snapshot --npm npm.tsv --pypi pypi.tsv --nuget nuget.tsv \
        --maven maven-partial.tsv --date 2026-11-24 --out src/ossprov/threats/data

Each snapshot is written with its key index (`threats.keyindex`). After a change to the key rules in
`threats/names.py`, rewrite the key indexes of the shipped snapshots (no listings needed):

    python -m ossprov.threats.snapshot --keys-only --out src/ossprov/threats/data

npm listings carry monthly downloads (`downloads_a_month`), PyPI ones a download rank
(`rank_among_..._most_downloaded`); the NuGet and Maven listings are selections of served packages without
popularity, shipped as `listed` (rows whose version column says `not-served` are dropped), and so is the Go
listing (`--golang go-partial.tsv`). Crates: the crates the blessed.rs curated list recommends (`--cargo` its
`data/crates.json`) and those its site's `Cargo.lock` pins (`--cargo-lock`), also `listed`.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

from ossprov.safefile import regular_file
from ossprov.threats import keyindex, names
from ossprov.threats.popular import SnapshotInfo, keys_path, load_snapshot, render_snapshot

LIMITS = {"npm": 20_000, "pypi": 12_000, "nuget": 5_000, "maven": 5_000, "golang": 5_000, "cargo": 5_000}
"""How many names each shipped snapshot keeps. npm's registry is about ten times PyPI's, and names that
squatters copied (babel-cli, discord.js) rank below its top 10,000."""


def _rows(path: Path) -> Iterator[list[str]]:
    csv.field_size_limit(1 << 24)
    regular_file(path)  # a FIFO would block the open, a device never end
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


def blessed(path: Path, lock: Path | None) -> list[tuple[str, float]]:
    """The crates a blessed.rs `crates.json` recommends (or names beside a recommendation), and the
    registry crates of a `Cargo.lock`."""
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("recommendations", "see_also") and isinstance(value, list):
                    found.update(r["name"] for r in value if isinstance(r, dict) and isinstance(r.get("name"), str))
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(path.read_text(encoding="utf-8")))
    if lock is not None:
        packages = tomllib.loads(lock.read_text(encoding="utf-8")).get("package", [])
        found.update(p["name"] for p in packages if str(p.get("source", "")).startswith(("registry+", "sparse+")))
    return [(n, 1.0) for n in sorted({names.canonical("cargo", n) for n in found})]


def write_keys(snapshot: Path) -> None:
    """Write the key index beside a snapshot (`npm.tsv.gz` → `npm.keys.gz`)."""
    index = load_snapshot(snapshot)
    built = keyindex.build(index.info.ecosystem, list(index.score))
    data = keyindex.render(built, keyindex.fingerprint(snapshot.read_bytes()))
    keys_path(snapshot).write_bytes(data)
    print(f"{snapshot.name}: {len(built.lines)} key lines", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for eco in names.ECOSYSTEMS:
        parser.add_argument(f"--{eco}", type=Path, help=f"{eco} listing (TSV)")
    parser.add_argument("--cargo-lock", type=Path, help="a Cargo.lock whose registry crates join --cargo's")
    parser.add_argument("--date", help="the day the listings were made (YYYY-MM-DD)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--keys-only", action="store_true", help="rewrite the key indexes of --out's snapshots"
    )
    args = parser.parse_args(argv)
    if args.keys_only:
        for path in sorted(args.out.glob("*.tsv.gz")):
            write_keys(path)
        return 0
    if not args.date:
        parser.error("--date is required to write snapshots")
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
        "golang": (
            "listed",
            "a selection of modules the Go module proxy served (no popularity figures)",
            lambda p: listed(p, "golang"),
        ),
        "cargo": (
            "listed",
            "crates the blessed.rs curated list recommends (nicoburns/blessed-rs data/crates.json) and the registry "
            "crates its Cargo.lock pins, at its commit of that date (no popularity figures)",
            lambda p: blessed(p, args.cargo_lock),
        ),
    }
    for eco, (metric, source, read) in plans.items():
        path = getattr(args, eco)
        if path is None:
            continue
        values = read(path)[: LIMITS[eco]]
        info = SnapshotInfo(eco, source, args.date, metric, len(values), "shipped")
        target = args.out / f"{eco}.tsv.gz"
        target.write_bytes(render_snapshot(info, values))
        write_keys(target)
        print(f"{eco}: {len(values)} names", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
