"""Benchmark: `ossprov practices` on a cached clone of a synthetic repository with 20,000 commits and
5,000 files (built with `git fast-import`). Target: under 3 s wall. Prints the figures.

Run: python bench/bench_practices.py [--commits N] [--files N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORKFLOW = b"""on: [push, pull_request]
permissions: read-all
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@8f4b7f84864484a7bf31766abe9204da3cbe65b3
      - run: pip install -r requirements.txt && python -m pytest
"""


def fast_import_stream(commits: int, files: int, now: int) -> bytes:
    """A fast-import stream: the first commit adds every file, later ones each change one file."""
    out: list[bytes] = []
    span = 2 * 365 * 86400
    for n in range(commits):
        stamp = now - span + span * n // commits
        author = f"Dev{n % 7} <dev{n % 7}@org{n % 4}.example.net> {stamp} +0000"
        message = f"change {n}" + (f" (#{n})" if n % 3 == 0 else "")
        out.append(b"commit refs/heads/main\nmark :%d\n" % (n + 1))
        out.append(f"author {author}\ncommitter {author}\n".encode())
        out.append(b"data %d\n%s\n" % (len(message), message.encode()))
        if n:
            out.append(b"from :%d\n" % n)
        if n == 0:
            out.append(b"M 100644 inline .github/workflows/ci.yml\ndata %d\n%s\n" % (len(WORKFLOW), WORKFLOW))
            for f in range(files - 1):
                body = f"file {f}\n".encode()
                out.append(b"M 100644 inline src/d%d/f%d.py\ndata %d\n%s\n" % (f % 50, f, len(body), body))
        else:
            f = n % (files - 1)
            body = f"file {f} rev {n}\n".encode()
            out.append(b"M 100644 inline src/d%d/f%d.py\ndata %d\n%s\n" % (f % 50, f, len(body), body))
        if n and n % 2000 == 0:
            out.append(b"reset refs/tags/v%d.0.0\nfrom :%d\n\n" % (n // 2000, n + 1))
    return b"".join(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument("--files", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ossprov-bench-") as tmp:
        os.environ["OSSPROV_CACHE"] = str(Path(tmp) / "cache")
        os.environ.pop("GITHUB_TOKEN", None)
        from ossprov.practices.runner import assess
        from ossprov.source.git import clone_dir_for

        url = "https://git.example.test/acme/big"
        repo = clone_dir_for(url)
        repo.parent.mkdir(parents=True)
        start = time.perf_counter()
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(repo)], check=True)
        subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, check=True,
                       input=fast_import_stream(args.commits, args.files, int(time.time())))
        (repo / "ossprov-fetched").touch()  # a fresh cached clone: ensure_clone does not fetch
        built = time.perf_counter() - start

        start = time.perf_counter()
        result = assess(url, token_env=None)
        wall = time.perf_counter() - start
        scored = len(result.checks) - len(result.excluded)
        print(f"repository built: {args.commits} commits, {args.files} files in {built:.2f} s")
        print(f"practices: {wall:.2f} s wall (target < 3 s), score {result.score}, "
              f"{scored} checks scored, left out: {', '.join(result.excluded)}")
        for check in result.checks:
            print(f"  {check.name:24} {check.score:>3}  {check.reason}")
        sys.exit(0 if wall < 3.0 else 1)


if __name__ == "__main__":
    main()
