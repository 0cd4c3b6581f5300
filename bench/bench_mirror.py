"""Mirror serving speed: packuments and simple pages per second from a store of 1,000 synthetic packages per
ecosystem, and artifact download throughput against reading the same file from disk.

The store is filled through `MirrorStore` directly (no verification: this measures serving), and served by
`ossprov mirror serve` in its own process so the clients' threads do not share its interpreter.
Run: `python bench/bench_mirror.py [--packages N] [--seconds S] [--clients C] [--artifact-mib M]`.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from ossprov.mirror.store import MirrorStore, StoredFile

CHUNK = 1 << 20


def fill(store: MirrorStore, work: Path, count: int, artifact_mib: int) -> None:
    """`count` npm packages and `count` PyPI projects of one small file each, and one large npm artifact."""
    for i in range(count):
        for eco, name, filename in (("npm", f"pkg-{i}", f"pkg-{i}-1.0.{i}.tgz"),
                                    ("pypi", f"proj-{i}", f"proj_{i}-1.0.{i}-py3-none-any.whl")):
            source = work / "src"
            source.write_bytes(os.urandom(2048))
            d = store.put_blob(source)
            manifest = {"name": name, "version": f"1.0.{i}", "dependencies": {f"dep-{j}": "^1.0.0" for j in range(5)}}
            store.record(eco, name, f"1.0.{i}", [StoredFile(filename, d["sha256"], d["sha512"], d["sha1"],
                                                           int(d["size"]), "faithful", {"counts": {"identical": 9}})],
                         {"manifest": manifest, "published_at": "2024-01-15T12:00:00Z"})
    big = work / "big.tgz"
    with big.open("wb") as out:
        for _ in range(artifact_mib):
            out.write(os.urandom(CHUNK))
    d = store.put_blob(big)
    store.record("npm", "big", "1.0.0", [StoredFile("big-1.0.0.tgz", d["sha256"], d["sha512"], d["sha1"],
                                                    int(d["size"]), "faithful")],
                 {"manifest": {"name": "big", "version": "1.0.0"}})


def serve(data_dir: Path) -> tuple[subprocess.Popen, str, int]:
    env = {**os.environ, "OSSPROV_DATA": str(data_dir)}
    proc = subprocess.Popen([sys.executable, "-m", "ossprov", "mirror", "serve", "--port", "0", "--quiet"],
                            stderr=subprocess.PIPE, text=True, env=env)
    line = proc.stderr.readline() if proc.stderr else ""
    match = re.search(r"http://([\d.]+):(\d+)/", line)
    if not match:
        proc.kill()
        raise SystemExit(f"server did not start: {line}")
    return proc, match.group(1), int(match.group(2))


def rate(host: str, port: int, paths: list[str], headers: dict[str, str], seconds: float, clients: int) -> float:
    """Requests per second over keep-alive connections from `clients` threads, each request checked."""
    done = [0] * clients
    stop = time.monotonic() + seconds

    def client(slot: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        rng = random.Random(slot)
        while time.monotonic() < stop:
            conn.request("GET", rng.choice(paths), headers=headers)
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                raise SystemExit(f"unexpected {resp.status}")
            done[slot] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.monotonic() - start)


def download_mib_s(host: str, port: int, size: int, rounds: int = 3) -> float:
    best = 0.0
    for _ in range(rounds):
        conn = http.client.HTTPConnection(host, port, timeout=30)
        start = time.monotonic()
        conn.request("GET", "/big/-/big-1.0.0.tgz")
        resp = conn.getresponse()
        got = 0
        while chunk := resp.read(CHUNK):
            got += len(chunk)
        conn.close()
        assert got == size, (got, size)
        best = max(best, size / (1 << 20) / (time.monotonic() - start))
    return best


def disk_mib_s(path: Path, rounds: int = 3) -> float:
    best = 0.0
    for _ in range(rounds):
        start = time.monotonic()
        with path.open("rb") as f:
            while f.read(CHUNK):
                pass
        best = max(best, path.stat().st_size / (1 << 20) / (time.monotonic() - start))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--artifact-mib", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-mirror-") as tmp:
        work = Path(tmp)
        store = MirrorStore(work / "data" / "mirror")
        start = time.monotonic()
        fill(store, work, args.packages, args.artifact_mib)
        print(f"store: {args.packages} npm packages + {args.packages} PyPI projects + one "
              f"{args.artifact_mib} MiB artifact, filled in {time.monotonic() - start:.1f} s")
        proc, host, port = serve(work / "data")
        try:
            n = args.packages
            cases = [
                ("npm packuments", [f"/pkg-{i}" for i in range(n)], {}),
                ("PyPI simple pages, JSON (PEP 691)", [f"/simple/proj-{i}/" for i in range(n)],
                 {"Accept": "application/vnd.pypi.simple.v1+json"}),
                ("PyPI simple pages, HTML (PEP 503)", [f"/simple/proj-{i}/" for i in range(n)],
                 {"Accept": "text/html"}),
                ("small artifact downloads", [f"/pkg-{i}/-/pkg-{i}-1.0.{i}.tgz" for i in range(n)], {}),
            ]
            for label, paths, headers in cases:
                print(f"{label:38} {rate(host, port, paths, headers, args.seconds, args.clients):8.0f} req/s "
                      f"({args.clients} keep-alive clients)")
            size = args.artifact_mib << 20
            record = store.load("npm", "big")
            assert record is not None, "the big artifact was stored above"
            big = store.blob_path(record["versions"]["1.0.0"]["files"][0]["sha256"])
            served, disk = download_mib_s(host, port, size), disk_mib_s(big)
            print(f"artifact download over HTTP: {served:8.0f} MiB/s; read from disk (page cache): {disk:8.0f} MiB/s "
                  f"({served / disk:.0%})")
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
