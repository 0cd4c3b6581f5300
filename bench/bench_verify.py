"""verify of a 2,000-file npm package against a cached clone, next to `diff -r` over the two extracted trees.

Usage: python bench/bench_verify.py [--files 2000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=2000)
    args = parser.parse_args()
    from ossprov import http, stages
    from ossprov.archive import materialize, read_archive, strip_root
    from ossprov.fixtures.world import World

    with tempfile.TemporaryDirectory(prefix="ossprov-bench-") as tmp:
        world = World(Path(tmp) / "w").start()
        os.environ.update(world.environment())
        os.environ["OSSPROV_CACHE"] = str(Path(tmp) / "cache")
        http.reset_client()
        files = {f"lib/d{i % 40}/m{i}.js": f"module.exports = {i};\n" * (1 + i % 20) for i in range(args.files)}
        repo, pkg = world.npm_project("bench/big", "big", "1.0.0", files)
        sha = repo.commit("release")
        tarball = world.npm_pack(pkg)
        purl = world.publish_npm(tarball, git_head=sha)
        start = time.perf_counter()
        stages.verify(purl)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        result = stages.verify(purl)
        warm = time.perf_counter() - start

        published, source = Path(tmp) / "published", Path(tmp) / "source"
        materialize(strip_root(read_archive(tarball)), published)
        source.mkdir()
        subprocess.run(f"git -C {repo.path} archive {sha} | tar -x -C {source}", shell=True, check=True)
        start = time.perf_counter()
        subprocess.run(["diff", "-r", "-q", str(source), str(published)], capture_output=True)
        diff_r = time.perf_counter() - start
        world.stop()
    n = sum(result.counts.values())
    print(f"files compared: {n}, verdict {result.verdict.value}")
    print(f"verify, cold (clone + index + download): {cold:.2f} s")
    print(f"verify, warm (cached clone and artifact): {warm:.2f} s")
    print(f"diff -r -q over the two extracted trees: {diff_r:.3f} s (ossprov warm / diff -r = {warm / diff_r:.1f})")


if __name__ == "__main__":
    main()
