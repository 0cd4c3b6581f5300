"""Benchmark the rebuild stage on generated fixture packages (no network).

1. Rebuild overhead: `ossprov`'s rebuild (export the commit, infer the recipe, run it in the bubblewrap
   sandbox, stabilise and compare) against the bare build tool on the same checkout (`npm pack`,
   `python -m build --no-isolation`). Reported as a ratio.
2. Stabilise-and-compare against diffoscope on the same pair of artifacts (published vs rebuilt), when
   diffoscope is installed (Debian: diffoscope-minimal). Target: at least 10x faster.

Run: python bench/bench_rebuild.py [--files N] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ossprov.model import LocateResult, Release, Repository
from ossprov.verify import stabilize
from ossprov.verify.rebuild import RebuildOptions, rebuild

GIT = ["git", "-c", "user.name=Bench", "-c", "user.email=bench@example.invalid", "-c", "commit.gpgsign=false"]


def _timed(fn: Callable[[], object], repeat: int) -> float:
    """Median wall-clock seconds of `repeat` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _repo(root: Path, files: dict[str, str]) -> str:
    root.mkdir(parents=True)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    env = dict(os.environ, GIT_COMMITTER_DATE="2023-06-01T12:00:00Z", GIT_AUTHOR_DATE="2023-06-01T12:00:00Z")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "release"]):
        subprocess.run([*GIT, *args], cwd=root, check=True, env=env)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, check=True, capture_output=True,
                          text=True).stdout.strip()


def _module(i: int) -> str:
    return "".join(f"def f{i}_{j}(x):\n    return x * {j} + {i}\n\n" for j in range(60))


def npm_fixture(root: Path, n: int) -> dict[str, str]:
    files = {f"lib/m{i}.js": _module(i).replace("def ", "// ") for i in range(n)}
    files["package.json"] = json.dumps({"name": "bench-npm", "version": "1.0.0"})
    return files


def pypi_fixture(root: Path, n: int) -> dict[str, str]:
    files = {f"bench_py/m{i}.py": _module(i) for i in range(n)}
    files["bench_py/__init__.py"] = ""
    files["pyproject.toml"] = ('[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
                               '[project]\nname = "bench-py"\nversion = "1.0"\n')
    return files


def bench_case(kind: str, work: Path, n: int, repeat: int) -> None:
    repo = work / kind
    files = npm_fixture(repo, n) if kind == "npm" else pypi_fixture(repo, n)
    sha = _repo(repo, files)
    out = work / f"{kind}-published"
    out.mkdir()
    if kind == "npm":
        bare: list[str] = ["npm", "pack", "--pack-destination", str(out)]
    else:
        bare = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), "."]
    bare_s = _timed(lambda: subprocess.run(bare, cwd=repo, check=True, capture_output=True), repeat)
    artifacts = sorted(p for p in out.iterdir() if p.suffix in (".tgz", ".whl") or p.name.endswith(".tar.gz"))
    subprocess.run(["git", "clean", "-qfdx"], cwd=repo, check=True)
    for published in artifacts:
        locate = LocateResult(f"pkg:{kind}/x@1.0", Repository(str(repo)), sha, 1.0)
        version = "1.0.0" if kind == "npm" else "1.0"
        rel = Release(f"pkg:{kind}/x@{version}", kind, "bench-npm" if kind == "npm" else "bench-py", version)
        keep = RebuildOptions(keep_workdir=True, workdir_parent=work)
        result = rebuild(locate, published, rel, keep)
        assert result.workdir is not None
        pattern = "*.whl" if published.suffix == ".whl" else "*.tgz" if published.suffix == ".tgz" else "*.tar.gz"
        rebuilt = next(Path(result.workdir, "build", "out").glob(pattern))
        rebuild_s = _timed(lambda: rebuild(locate, published, rel), repeat)  # noqa: B023 - run now
        cmp_s = _timed(lambda: stabilize.compare(published, rebuilt), repeat)  # noqa: B023
        print(f"{published.name:32} outcome={result.outcome.value:11} needed={','.join(result.needed_stabilizers) or '-'}")
        print(f"  rebuild {rebuild_s:6.2f}s   bare build {bare_s:6.2f}s   overhead x{rebuild_s / bare_s:4.2f}")
        diffoscope = shutil.which("diffoscope")
        if diffoscope:
            diff_s = _timed(lambda: subprocess.run([diffoscope, "--no-progress", str(published), str(rebuilt)],  # noqa: B023
                                                   capture_output=True, check=False), 1)
            print(f"  stabilise+compare {cmp_s * 1000:7.1f}ms   diffoscope {diff_s * 1000:8.1f}ms   "
                  f"faster x{diff_s / cmp_s:6.1f}")
        else:
            print(f"  stabilise+compare {cmp_s * 1000:7.1f}ms   diffoscope not installed")
        shutil.rmtree(result.workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=200, help="source files per fixture package")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-rebuild-") as tmp:
        os.environ["OSSPROV_CACHE"] = str(Path(tmp) / "cache")
        for kind in ("npm", "pypi"):
            bench_case(kind, Path(tmp), args.files, args.repeat)


if __name__ == "__main__":
    main()
