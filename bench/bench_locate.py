"""Benchmarks of locate: content search on synthetic repositories (2k and 20k commits), and a whole
`locate` on a cached clone pinned by gitHead/tag (the loopback world). Prints a table of figures.

Usage: python bench/bench_locate.py [--commits 2000 20000] [--files 1000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_practices import fast_import_stream


def pin_cost(repo_dir: Path, commits: int) -> tuple[float, float, bool, bool]:
    """(pin s with exact files, pin s with the same files CRLF-converted, right commit each time): what
    searching the normalised forms costs when exact blob ids find nothing (a Windows-packed artifact)."""
    from ossprov import ecosystems
    from ossprov.source.content import ArtifactContent
    from ossprov.source.git import Repo
    from ossprov.source.pin import pin

    repo = Repo(repo_dir)
    target = repo.git("rev-parse", f"main~{commits // 2}").decode().strip()
    tree = dict(list(repo.ls_tree(target, "src").items())[:200])
    contents = dict(repo.read_blobs(tree.values()))
    data = {p.removeprefix("src/"): contents[b] for p, b in tree.items()}
    figures = []
    for files in (data, {p: d.replace(b"\n", b"\r\n") for p, d in data.items()}):
        start = time.perf_counter()
        result = pin(repo, ecosystems.get("npm"), name="bench", version="9.9.9", files=ArtifactContent.of("a", files),
                     subdir="src", direct_commit=None)
        figures.append((time.perf_counter() - start, result.commit is not None and
                        repo.ls_tree(result.commit, "src").items() >= tree.items()))
    return figures[0][0], figures[1][0], figures[0][1], figures[1][1]


def content_search(commits: int, files: int, tmp: Path) -> tuple[float, float, float, bool]:
    """(index build s, warm search s, cold total s, found the right commit) for an artifact made of the
    tree of a commit in the middle of the history."""
    from ossprov.source import index
    from ossprov.source.git import Repo

    repo_dir = tmp / f"r{commits}.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(repo_dir)], check=True)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo_dir, check=True,
                   input=fast_import_stream(commits, files, int(time.time())))
    repo = Repo(repo_dir)
    target = repo.git("rev-parse", f"main~{commits // 2}").decode().strip()
    tree = repo.ls_tree(target, "src")
    artifact = {p.removeprefix("src/"): b for p, b in list(tree.items())[:200]}
    start = time.perf_counter()
    index.load_index(repo)
    built = time.perf_counter() - start
    start = time.perf_counter()
    matches = index.search(repo, artifact)
    warm = time.perf_counter() - start
    best = matches[0] if matches else None
    # Commits that only touched files outside the artifact hold it too: any of them is a right answer.
    found = best is not None and best.matched == len(artifact) and all(
        repo.ls_tree(best.commit, "src").get("src/" + p) == b for p, b in artifact.items())
    return built, warm, built + warm, found


def locate_cached() -> float:
    """Wall time of a second `locate` (cached clone and index) of a gitHead+tag package in the loopback world."""
    from ossprov import http, stages
    from ossprov.fixtures.world import World

    with tempfile.TemporaryDirectory() as tmp:
        world = World(Path(tmp) / "w").start()
        os.environ.update(world.environment())
        os.environ["OSSPROV_CACHE"] = str(Path(tmp) / "cache")
        http.reset_client()
        repo, pkg = world.npm_project("bench/pad", "pad", "1.0.0")
        sha = repo.commit("release")
        repo.tag("v1.0.0")
        purl = world.publish_npm(world.npm_pack(pkg), git_head=sha)
        stages.locate(purl)
        start = time.perf_counter()
        result = stages.locate(purl)
        wall = time.perf_counter() - start
        world.stop()
        assert result.commit == sha
        return wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commits", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    print("| commits | files | index build (s) | search, warm index (s) | cold total (s) | right commit |")
    print("|---|---|---|---|---|---|")
    pins = []
    with tempfile.TemporaryDirectory(prefix="ossprov-bench-") as tmp:
        for n in args.commits:
            built, warm, cold, found = content_search(n, args.files, Path(tmp))
            print(f"| {n} | {args.files} | {built:.2f} | {warm:.3f} | {cold:.2f} | {found} |")
            pins.append((n, *pin_cost(Path(tmp) / f"r{n}.git", n)))
    print("\n| commits | pin, exact files (s) | pin, CRLF files: normalised search (s) | right commit (exact, CRLF) |")
    print("|---|---|---|---|")
    for n, exact, crlf, ok_exact, ok_crlf in pins:
        print(f"| {n} | {exact:.2f} | {crlf:.2f} | {ok_exact}, {ok_crlf} |")
    print(f"\nlocate on a cached clone (gitHead + tag): {locate_cached():.2f} s wall")


if __name__ == "__main__":
    main()
