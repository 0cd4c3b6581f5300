"""Batch throughput on a lockfile's worth of packages (issue 16): `ossprov batch` of N packages, cold (empty
cache and database) and warm (cache kept, results recomputed with --refresh), as packages per hour; and where
one package's time goes: in git (processes and the reader), in HTTP (registry and downloads), reading the
archive, locating and pinning (ossprov's own logic, git excluded), the file comparison, and the rest, the
machinery (records, name checks, the verdict, JSON), measured by timing those calls (each counted once, for the
innermost) while the stage runner goes through the same list in one process; and, from the batch database,
how much of a worker's time per package is the batch's own (claiming, the runner process's protocol, storing).

Fixture mode (default): N npm packages of 12 files, each in its own repository with gitHead and a tag, on the
loopback registry and forge. Real mode (--real FILE): the purls in FILE (one a line) against the real
registries, repositories through GIT_CONFIG_GLOBAL (e.g. /tmp/all-gitconfig, which maps the forge's URLs to
the local mirrors).

    python bench/bench_lockfile.py [--packages 200] [--workers 2]
    GIT_CONFIG_GLOBAL=/tmp/all-gitconfig python bench/bench_lockfile.py --real purls.txt
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SRC = Path(__file__).resolve().parent.parent / "src"


def _tarball(out: Path, files: dict[str, str]) -> Path:
    """An npm-style tarball (`package/` prefix, npm's fixed 1985 mtime) without running npm 200 times."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for path, text in sorted(files.items()):
            data = text.encode()
            info = tarfile.TarInfo("package/" + path)
            info.size, info.mtime, info.mode = len(data), 499162500, 0o644
            tar.addfile(info, io.BytesIO(data))
    out.write_bytes(buf.getvalue())
    return out


def _fixture_purls(world: Any, count: int) -> list[str]:
    purls = []
    (world.root / "packs").mkdir(exist_ok=True)
    for i in range(count):
        name = f"quillwort-{i:04d}"
        files = {f"lib/part{j}.js": f"module.exports = {i * 100 + j};\n" * (1 + j) for j in range(10)}
        repo, pkg = world.npm_project(f"bench/{name}", name, "1.0.0", files)
        sha = repo.commit("release 1.0.0")
        repo.tag("v1.0.0")
        shipped = {p.relative_to(pkg).as_posix(): p.read_text() for p in pkg.rglob("*")
                   if p.is_file() and ".git" not in p.relative_to(pkg).parts}
        purls.append(world.publish_npm(_tarball(world.root / "packs" / f"{name}-1.0.0.tgz", shipped), git_head=sha))
    return purls


class Attribution:
    """Exclusive time spent inside each wrapped call kind (a call inside another is counted once, for the
    inner kind)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._stack: list[list[float]] = []

    def wrap(self, owner: Any, attr: str, kind: str) -> None:
        inner = getattr(owner, attr)

        def timed(*args: Any, **kwargs: Any) -> Any:
            frame = [time.perf_counter(), 0.0]
            self._stack.append(frame)
            try:
                result = inner(*args, **kwargs)
                if hasattr(result, "__next__"):  # a generator: time it as it is consumed
                    result = list(result)
                return result
            finally:
                self._stack.pop()
                spent = time.perf_counter() - frame[0]
                self.seconds[kind] = self.seconds.get(kind, 0.0) + spent - frame[1]
                if self._stack:
                    self._stack[-1][1] += spent

        setattr(owner, attr, timed)


def _attribute(purls: list[str]) -> tuple[float, dict[str, float], int]:
    """Run the batch's stage runner over `purls` in this process, timing git, HTTP and the comparison."""
    from ossprov import stages
    from ossprov.batch.runner import run_item
    from ossprov.errors import OssprovError
    from ossprov.http import HttpClient
    from ossprov.source import git

    att = Attribution()
    att.wrap(git, "run_git", "git")
    att.wrap(git._Reader, "ask", "git")
    att.wrap(HttpClient, "request", "http")
    att.wrap(HttpClient, "download", "http")
    att.wrap(stages, "compare_artifact", "compare")  # where the stage runner looks it up
    att.wrap(stages, "locate_stage", "locate+pin")
    att.wrap(stages.artifacts, "read_published", "archive")
    att.wrap(stages.artifacts, "read_local", "archive")
    failed = 0
    start = time.perf_counter()
    for purl in purls:
        try:
            run_item(purl, ["locate", "verify"])
        except OssprovError:
            failed += 1
    return time.perf_counter() - start, att.seconds, failed


def _batch(purls_file: Path, env: dict[str, str], workers: int, db_url: str, refresh: bool) -> tuple[float, dict]:
    cmd = [sys.executable, "-m", "ossprov", "batch", str(purls_file), "--workers", str(workers), "--format",
           "json", "--db", db_url, *(["--refresh"] if refresh else [])]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    try:
        return wall, json.loads(proc.stdout)
    except ValueError:
        raise SystemExit(f"batch failed: {proc.stderr[-600:]}") from None


@contextmanager
def _environment(args: argparse.Namespace, tmp: Path) -> Iterator[tuple[list[str], dict[str, str]]]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env |= {"PYTHONPATH": str(SRC), "OSSPROV_DATA": str(tmp / "data"), "OSSPROV_METADATA_MAX_AGE": "86400"}
    if args.real:
        yield [ln.strip() for ln in args.real.read_text().splitlines() if ln.strip() and not ln.startswith("#")], env
        return
    from ossprov.fixtures.world import World

    world = World(tmp / "w").start()
    try:
        env |= world.environment()
        os.environ.update(world.environment())
        yield _fixture_purls(world, args.packages), env
    finally:
        world.stop()


def _report(label: str, wall: float, summary: dict, count: int, db_url: str, workers: int) -> None:
    from bench_batch import steady

    counts = summary.get("counts", {})
    span, jobs, runner = steady(db_url, summary["batch"], workers)
    per_job = workers * span / jobs if jobs > 0 and span > 0 else float("nan")
    print(f"{label:5} batch: {count} packages in {wall:6.1f} s wall = {3600 * count / wall:8,.0f} packages/hour "
          f"(done {counts.get('done')}, failed {counts.get('failed')}); steady state {3600 * workers / per_job:,.0f}"
          f"/hour: a worker spends {1000 * per_job:.0f} ms a package, {1000 * runner:.0f} ms of it in the stage "
          f"runner, {100 * (per_job - runner) / per_job:.0f}% in the batch machinery", flush=True)


def _share(label: str, total: float, seconds: dict[str, float], count: int, failed: int) -> None:
    work = sum(seconds.values())
    parts = ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in sorted(seconds.items()))
    print(f"{label:5} one process: {1000 * total / count:6.0f} ms/package ({failed} failed): {parts}, "
          f"machinery {100 * (total - work) / total:.0f}% ({1000 * (total - work) / count:.0f} ms/package)",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--real", type=Path, help="a file of purls checked against the real registries")
    args = parser.parse_args()
    sys.path[:0] = [str(SRC), str(Path(__file__).resolve().parent)]
    with tempfile.TemporaryDirectory(prefix="ossprov-lockfile-") as tmp_name:
        tmp = Path(tmp_name)
        with _environment(args, tmp) as (purls, env):
            listing = tmp / "purls.txt"
            listing.write_text("\n".join(purls) + "\n")
            print(f"{len(purls)} packages, {args.workers} workers, load average {os.getloadavg()[0]:.1f}")
            cache = tmp / "cache"
            env["OSSPROV_CACHE"] = str(cache)
            db_url = f"sqlite:///{tmp / 'results.sqlite'}"
            for label, refresh in (("cold", False), ("warm", True)):
                wall, summary = _batch(listing, env, args.workers, db_url, refresh=refresh)
                _report(label, wall, summary, len(purls), db_url, args.workers)
            os.environ.update({k: v for k, v in env.items() if k.startswith(("OSSPROV", "GIT_"))})
            for label, fresh in (("cold", True), ("warm", False)):
                if fresh:
                    shutil.rmtree(cache, ignore_errors=True)
                total, seconds, failed = _attribute(purls)
                _share(label, total, seconds, len(purls), failed)

if __name__ == "__main__":
    main()
