"""A warm `ossprov verify PURL --artifact FILE` next to the floor of the same work done by hand, on three fixture
shapes in one run: extract the artifact, `git archive` the commit's subtree, `diff -r` (issue 16). Also a cold
verify next to `git clone --bare` + a download of the same repository and artifact (the forge allows partial
clones, as the big forges do: ossprov clones without file contents and fetches those it reads).

Figures are medians of --runs runs of the real CLI (`python -m ossprov`, bytecode cached, as an installed ossprov
has it), with the interpreter's own start (`python -c pass`) subtracted from ossprov's time; the floor's
processes are counted whole. Each warm run is timed twice, in turn with the floor: handed to the daemon (the
default, `ossprov.daemon`) and in its own process (OSSPROV_DAEMON=off). Cold runs go through the daemon. Loopback
registry and forge (`ossprov.fixtures.world.World`).

Usage: python bench/bench_floor.py [--runs 7] [--commits 20000] [--keep DIR]

With --keep, the fixtures and warm caches stay in DIR and DIR/warm.sh runs one warm verify of a shape
(`sh DIR/warm.sh monorepo`, or `PROFILE="-X importtime" sh DIR/warm.sh plain`) for profiling.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"


@dataclass
class Shape:
    name: str
    purl: str
    artifact: Path
    bare: Path
    """The forge's bare repository (what the floor archives from and clones)."""
    commit: str
    subdir: str
    url: str
    """Where the registry serves the artifact (the cold floor downloads it)."""


def _timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _median(run: Callable[[], object], runs: int) -> float:
    return statistics.median(_timed(run) for _ in range(runs))


def _in_turn(runs: int, *tasks: Callable[[], object]) -> list[list[float]]:
    """Times of each task, run in turn: load from other work on the machine falls on all alike."""
    times: list[list[float]] = [[] for _ in tasks]
    for _ in range(runs):
        for task, spent in zip(tasks, times, strict=True):
            spent.append(_timed(task))
    return times


@dataclass
class Row:
    shape: str
    warm: float
    """Through the daemon."""
    alone: float
    """In its own process (OSSPROV_DAEMON=off)."""
    floor: float
    ratios: list[float]
    """warm / floor of each turn."""
    alone_ratios: list[float]
    cold: float
    cold_floor: float

    def text(self) -> str:
        return (f"{self.shape:28} {self.warm * 1000:7.0f}ms {_ratio(self.ratios):>16} {self.alone * 1000:9.0f}ms "
                f"{_ratio(self.alone_ratios):>16} {self.floor * 1000:6.0f}ms {self.cold * 1000:9.0f}ms "
                f"{self.cold_floor * 1000:9.0f}ms {self.cold / self.cold_floor:5.1f}x")

    def markdown(self) -> str:
        return (f"| {self.shape} | {self.floor * 1000:,.0f} ms | {self.warm * 1000:,.0f} ms | "
                f"{_ratio(self.ratios, '×', '–')} | {self.alone * 1000:,.0f} ms | "
                f"{_ratio(self.alone_ratios, '×', '–')} | {self.cold * 1000:,.0f} ms | "
                f"{self.cold_floor * 1000:,.0f} ms | {self.cold / self.cold_floor:.1f}× |")


def _ratio(ratios: list[float], times: str = "x", dash: str = "-") -> str:
    return f"{statistics.median(ratios):.1f}{times} ({min(ratios):.1f}{dash}{max(ratios):.1f})"


MARKERS = ("<!-- bench_floor: begin (python bench/bench_floor.py --readme) -->", "<!-- bench_floor: end -->")


def write_readme(readme: Path, rows: list[Row], runs: int, python: float, load: float) -> None:
    """Replace the table between MARKERS in `readme` with these figures (`load`: the load average at the start)."""
    table = ["| shape | floor | warm verify | ratio (range) | in its own process | ratio (range) | cold verify | "
             "`git clone` + download | ratio |",
             "|---|---|---|---|---|---|---|---|---|", *(r.markdown() for r in rows), "",
             f"Medians of {runs} runs in turn with the floor, interpreter start ({python * 1000:.0f} ms) subtracted; "
             f"the ranges are of the {runs} ratios of each turn; load average {load:.1f} on 2 cores when it "
             "started. *warm verify* is handed to the daemon (the default), *in its own process* is "
             "OSSPROV_DAEMON=off."]
    text = readme.read_text(encoding="utf-8")
    begin, end = text.index(MARKERS[0]) + len(MARKERS[0]), text.index(MARKERS[1])
    readme.write_text(text[:begin] + "\n" + "\n".join(table) + "\n" + text[end:], encoding="utf-8")


def _ratios(times: list[float], floors: list[float], python: float) -> list[float]:
    return [(t - python) / f for t, f in zip(times, floors, strict=True)]


def _sh(cmd: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(cmd, shell=True, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _plain(world, tmp: Path) -> Shape:
    files = {f"lib/d{i % 8}/m{i}.js": f"module.exports = {i};\n" * (1 + i % 7) for i in range(200)}
    repo, pkg = world.npm_project("bench/plain", "plain", "1.0.0", files)
    sha = repo.commit("release")
    repo.tag("v1.0.0")
    tarball = world.npm_pack(pkg)
    purl = world.publish_npm(tarball, git_head=sha)
    url = world.packuments["plain"]["versions"]["1.0.0"]["dist"]["tarball"]
    return Shape("plain npm (200 files)", purl, tarball, world.root / "forge" / "bench/plain", sha, "", url)


def _sdist(world, tmp: Path) -> Shape:
    from ossprov.fixtures.world import FORGE

    repo = world.repo("bench/sdistpkg")
    files = {"pyproject.toml": '[project]\nname = "sdistpkg"\nversion = "1.0"\n'}
    files |= {f"src/sdistpkg/m{i}.py": f"VALUE = {i}\n" * (1 + i % 9) for i in range(150)}
    sha = repo.commit("release 1.0", files)
    repo.tag("v1.0")
    purl = world.publish_pypi("sdistpkg", "1.0", files,
                              metadata={"Project-URL": [f"Source, {FORGE}bench/sdistpkg"]})
    artifact = world.root / "registry" / "pypi" / "files" / "sdistpkg-1.0.tar.gz"
    url = f"{world.server.url}/pypi/files/sdistpkg-1.0.tar.gz"
    return Shape("PyPI sdist (150 files)", purl, artifact, world.root / "forge" / "bench/sdistpkg", sha, "", url)


def _monorepo(world, tmp: Path, commits: int) -> Shape:
    """A repository of 40 packages with `commits` commits (made with git fast-import), the package under
    `packages/p7/` released at the last one."""
    import json

    repo = world.repo("bench/mono")
    stream = []
    for n in range(commits):
        pkg = n % 40
        stream.append(f"commit refs/heads/main\nmark :{n + 1}\ncommitter B <b@example.org> {1600000000 + n} +0000\n"
                      f"data 8\nchange {n % 10}\n")
        content = f"module.exports = {n};\n"
        stream.append(f"M 100644 inline packages/p{pkg}/lib/f{n % 25}.js\ndata {len(content)}\n{content}\n")
    subprocess.run(["git", "fast-import", "--quiet", "--force"], cwd=repo.path, input="".join(stream).encode(),
                   check=True)
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=repo.path, check=True)
    subprocess.run(["git", "push", "-q", "--force", "origin", "main"], cwd=repo.path, check=True)
    manifest = {"name": "p7", "version": "1.0.0", "main": "index.js",
                "repository": {"type": "git", "url": f"git+{repo.url}.git", "directory": "packages/p7"}}
    sha = repo.commit("release p7", {"packages/p7/package.json": json.dumps(manifest, indent=2) + "\n",
                                     "packages/p7/index.js": "module.exports = require('./lib/f0.js');\n"})
    repo.tag("p7@1.0.0")
    tarball = world.npm_pack(repo.path / "packages" / "p7")
    purl = world.publish_npm(tarball, git_head=sha)
    url = world.packuments["p7"]["versions"]["1.0.0"]["dist"]["tarball"]
    return Shape(f"monorepo ({commits:,} commits)", purl, tarball, world.root / "forge" / "bench/mono", sha,
                 "packages/p7", url)


def _floor(shape: Shape, work: Path) -> Callable[[], None]:
    def run() -> None:
        shutil.rmtree(work, ignore_errors=True)
        (work / "a").mkdir(parents=True)
        (work / "s").mkdir()
        tree = f"{shape.commit}:{shape.subdir}" if shape.subdir else shape.commit
        _sh(f"tar -xzf {shape.artifact} -C {work / 'a'} --strip-components=1 && "
            f"git -C {shape.bare} archive {tree} | tar -x -C {work / 's'} && "
            f"diff -r -q {work / 's'} {work / 'a'} || true")
    return run


def _cold_floor(shape: Shape, work: Path, env: dict[str, str]) -> Callable[[], None]:
    def run() -> None:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        _sh(f"git clone --quiet --bare file://{shape.bare} {work / 'r.git'} && curl -s -o {work / 'a'} {shape.url}",
            env)
    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--commits", type=int, default=20000)
    parser.add_argument("--keep", type=Path, help="build in this directory and leave it (with warm.sh)")
    parser.add_argument("--readme", action="store_true", help="write the table into README.md's Speed section")
    args = parser.parse_args()
    sys.path.insert(0, str(SRC))
    from ossprov.fixtures.world import World

    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="ossprov-floor-") as tmp_name:
        tmp = Path(tmp_name)
        if args.keep:
            shutil.rmtree(args.keep, ignore_errors=True)
            tmp = args.keep.resolve()
            tmp.mkdir(parents=True)
        world = World(tmp / "w").start()
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env |= world.environment() | {"PYTHONPATH": str(SRC), "PYTHONPYCACHEPREFIX": str(tmp / "pyc"),
                                      "OSSPROV_DATA": str(tmp / "data"), "OSSPROV_METADATA_MAX_AGE": "86400",
                                      "OSSPROV_DAEMON": "auto", "XDG_RUNTIME_DIR": str(tmp / "run")}
        (tmp / "run").mkdir(mode=0o700)
        os.environ.update(world.environment())
        shapes = [_plain(world, tmp), _sdist(world, tmp), _monorepo(world, tmp, args.commits)]
        for shape in shapes:  # the forge serves partial clones, as the big forges do
            subprocess.run(["git", "-C", str(shape.bare), "config", "uploadpack.allowFilter", "true"], check=True)
        subprocess.run([sys.executable, "-m", "ossprov", "verify", shapes[0].purl, "--format", "json"],
                       env=env | {"OSSPROV_CACHE": str(tmp / "warm-up")}, capture_output=True)  # bytecode compiled
        python = _median(lambda: subprocess.run([sys.executable, "-c", "pass"], env=env, check=True), args.runs)
        print(f"interpreter start (python -c pass): {python * 1000:.0f} ms, subtracted from ossprov's times\n")
        subprocess.run([sys.executable, "-m", "ossprov", "daemon", "start"], env=env, check=True)
        print(f"{'shape':28} {'warm':>9} {'ratio (range)':>16} {'own process':>11} {'ratio (range)':>16} "
              f"{'floor':>8} {'cold':>11} {'clone+dl':>11} {'ratio':>6}")
        rows = []
        for i, shape in enumerate(shapes):
            cache = tmp / f"cache{i}"
            run_env = env | {"OSSPROV_CACHE": str(cache)}
            cmd = [sys.executable, "-m", "ossprov", "verify", shape.purl, "--artifact", str(shape.artifact),
                   "--format", "json"]

            def verify(cmd: list[str] = cmd, run_env: dict[str, str] = run_env, name: str = shape.name) -> None:
                proc = subprocess.run(cmd, env=run_env, capture_output=True, text=True, check=False)
                if '"verdict": "faithful"' not in proc.stdout:
                    raise SystemExit(f"{name}: not faithful: {proc.stderr or proc.stdout[:500]}")

            def cold(cache: Path = cache, verify: Callable[[], None] = verify) -> None:
                shutil.rmtree(cache, ignore_errors=True)
                verify()

            cold_t = _median(cold, max(3, args.runs // 2)) - python
            verify()  # warm the cache
            alone_env = run_env | {"OSSPROV_DAEMON": "off"}
            warms, alones, floors = _in_turn(args.runs, verify, partial(verify, run_env=alone_env),
                                             _floor(shape, tmp / "floor"))
            cold_floor_t = _median(_cold_floor(shape, tmp / "cold-floor", run_env), max(3, args.runs // 2))
            rows.append(Row(shape.name, statistics.median(warms) - python, statistics.median(alones) - python,
                            statistics.median(floors), _ratios(warms, floors, python), _ratios(alones, floors, python),
                            cold_t, cold_floor_t))
            print(rows[-1].text(), flush=True)
        subprocess.run([sys.executable, "-m", "ossprov", "daemon", "stop"], env=env, check=True)
        world.stop()
        if args.readme:
            write_readme(SRC.parent / "README.md", rows, args.runs, python, load)
        if args.keep:
            _write_warm_script(tmp, env, shapes, sys.executable)


def _write_warm_script(tmp: Path, env: dict[str, str], shapes: list[Shape], python: str) -> None:
    """DIR/warm.sh SHAPE: one warm verify of that shape (no server needed: a warm run asks the registry nothing)."""
    import shlex

    lines = [f"export {k}={shlex.quote(v)}" for k, v in sorted(env.items()) if k.startswith(("OSSPROV", "GIT_",
                                                                                             "PYTHON"))]
    lines.append("unset PYTHONDONTWRITEBYTECODE")  # bytecode cached, as an installed ossprov has it
    lines.append('case "$1" in')
    for i, (key, shape) in enumerate(zip(("plain", "sdist", "monorepo"), shapes, strict=True)):
        lines.append(f"  {key}) export OSSPROV_CACHE={shlex.quote(str(tmp / f'cache{i}'))}; "
                     f"exec {python} $PROFILE -m ossprov verify {shape.purl} --artifact {shape.artifact} "
                     f"--format json;;")
    lines.append("esac")
    (tmp / "warm.sh").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
