"""Typo-squat reverse lookup speed: index build (cold), one name (warm), and a 1,000-name list.

Targets: one name under 50 ms warm, 1,000 names under 2 s. Run: python bench/bench_squat.py
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from ossprov.threats.popular import load
from ossprov.threats.squat import imitations

LEGIT = Path(__file__).parent.parent / "tests" / "threats" / "data"


def main() -> None:
    for eco in ("npm", "pypi"):
        start = time.perf_counter()
        index = load(eco)
        build = time.perf_counter() - start
        names = (LEGIT / f"legit_{eco}.txt").read_text().split()[:1000]
        one = []
        for name in names[:200]:
            start = time.perf_counter()
            imitations(eco, name, index)
            one.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        for name in names:
            imitations(eco, name, index)
        batch = time.perf_counter() - start
        print(
            f"{eco}: {len(index.score)} popular names, index build {build:.2f} s; one name median "
            f"{statistics.median(one):.2f} ms, max {max(one):.2f} ms; {len(names)} names {batch:.2f} s"
        )


if __name__ == "__main__":
    main()
