"""A cold `ossprov verify PURL` (empty cache: registry metadata, artifact, clone) next to what a person would
do by hand for the same package: `git clone --bare` of its repository and a download of its artifact
(issue 16, cold runs), on real packages whose repositories are local mirrors.

The mirrors stand in for the forge over git's own transport (`file://`), configured as the big forges are:
partial clones allowed (`uploadpack.allowFilter`). ossprov clones without file contents (`--filter=blob:none`)
and fetches the ones it reads; the floor is a full clone. The registry is the real one (its metadata and
artifact come over the network, so their times vary with it); the floor's download is the artifact URL that
ossprov's own result names, fetched with urllib.

    python bench/bench_cold.py [--runs 3] [PURL=MIRROR ...]

Default pairs: lodash and babel's core from /work/.mirror (each MIRROR is a bare repository; it is copied
with hard links into a temporary directory, never changed).
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
import urllib.request
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
DEFAULT = ("pkg:npm/lodash@4.17.21=/work/.mirror/lodash+lodash/repo",
           "pkg:npm/%40babel/core@7.23.5=/work/.mirror/babel+babel/repo")


def _timed(run) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _forge_url(repo: Path) -> str:
    """The forge URL the mirror stands for: its origin, or the search tool's `OWNER+NAME/repo` layout."""
    url = subprocess.run(["git", "-C", str(repo), "config", "--get", "remote.origin.url"], capture_output=True,
                         text=True, check=False).stdout.strip()
    if not url and repo.name == "repo" and "+" in repo.parent.name:
        url = "https://github.com/" + repo.parent.name.replace("+", "/", 1)
    return url.removesuffix(".git")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pairs", nargs="*", default=list(DEFAULT), help="PURL=MIRROR")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--forge-url", action="append", default=[],
                        help="PURL=URL when the mirror does not name its origin")
    args = parser.parse_args()
    forges = dict(p.split("=", 1) for p in args.forge_url)
    with tempfile.TemporaryDirectory(prefix="ossprov-cold-") as tmp_name:
        tmp = Path(tmp_name)
        gitconfig = ["[protocol \"file\"]\n\tallow = always\n"]
        pairs = []
        for i, pair in enumerate(args.pairs):
            purl, mirror = pair.split("=", 1)
            served = tmp / f"forge{i}.git"
            subprocess.run(["git", "clone", "--quiet", "--mirror", mirror, str(served)], check=True)
            subprocess.run(["git", "-C", str(served), "config", "uploadpack.allowFilter", "true"], check=True)
            url = forges.get(purl) or _forge_url(Path(mirror))
            if not url.startswith("https://"):
                raise SystemExit(f"{mirror}: say which forge URL it mirrors with --forge-url {purl}=URL")
            gitconfig.append(f'[url "file://{served}"]\n\tinsteadOf = {url}\n')
            pairs.append((purl, served))
        (tmp / "gitconfig").write_text("".join(gitconfig))
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env |= {"PYTHONPATH": str(SRC), "GIT_CONFIG_GLOBAL": str(tmp / "gitconfig"), "GIT_CONFIG_NOSYSTEM": "1",
                "OSSPROV_DATA": str(tmp / "data")}
        print(f"{'package':34} {'cold verify':>12} {'full clone':>11} {'download':>9} {'ratio':>6}  "
              f"{'warm verify':>11}  verdict, clone kind")
        for purl, served in pairs:
            cache = tmp / "cache"

            def verify(cache: Path = cache, purl: str = purl) -> dict:
                proc = subprocess.run([sys.executable, "-m", "ossprov", "verify", purl, "--format", "json"],
                                      env=env | {"OSSPROV_CACHE": str(cache)}, capture_output=True, text=True)
                try:
                    return json.loads(proc.stdout)["results"][0]
                except (ValueError, IndexError, KeyError):
                    raise SystemExit(f"{purl}: {proc.stderr.strip()[-400:]}") from None

            colds, doc = [], {}
            for _ in range(args.runs):
                shutil.rmtree(cache, ignore_errors=True)
                start = time.perf_counter()
                doc = verify()
                colds.append(time.perf_counter() - start)
            warm = statistics.median(_timed(verify) for _ in range(args.runs))
            clone_dirs = list((cache / "clones").glob("*.git"))
            kind = "partial" if clone_dirs and b"promisor = true" in (clone_dirs[0] / "config").read_bytes() \
                else "full"
            source = doc["artifact"]["source"]
            clones, downloads = [], []
            for _ in range(args.runs):
                target = tmp / "floor.git"
                shutil.rmtree(target, ignore_errors=True)
                try:
                    clones.append(_timed(lambda t=target, s=served: subprocess.run(
                        ["git", "clone", "--quiet", "--bare", f"file://{s}", str(t)], check=True, env=env,
                        capture_output=True)))
                except subprocess.CalledProcessError:  # a mirror missing some contents: only a partial clone works
                    clones.append(float("nan"))
                downloads.append(_timed(lambda u=source: urllib.request.urlopen(u, timeout=60).read()))
            cold, clone, download = (statistics.median(x) for x in (colds, clones, downloads))
            full = clone == clone  # NaN when the full clone failed
            note = "" if full else " (a full clone fails: the mirror lacks some contents)"
            floor = f"{clone:10.2f}s {download:8.2f}s {cold / (clone + download):5.2f}x" if full else \
                f"{'fails':>11} {download:8.2f}s {'-':>6}"
            print(f"{purl:34} {cold:11.2f}s {floor}  {warm:10.2f}s  {doc['verdict']}, {kind}{note}", flush=True)


if __name__ == "__main__":
    main()
