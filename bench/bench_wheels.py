"""verify of a PyPI release with an sdist and 30 wheels (one per platform tag, the same 200 modules in each,
a compiled extension and the .dist-info that differ): one run that verifies every file with identical files
compared once, against 31 runs of one file each (what verifying each wheel on its own costs).

Usage: python bench/bench_wheels.py [--wheels 30] [--modules 200]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import tempfile
import time
import zipfile
from pathlib import Path


def _wheel(path: Path, dist: str, version: str, tag: str, files: dict[str, bytes]) -> None:
    info = f"{dist}-{version}.dist-info"
    contents = {**files, f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n\n".encode(),
                f"{info}/WHEEL": f"Wheel-Version: 1.0\nGenerator: bench 1.0\nRoot-Is-Purelib: false\nTag: {tag}\n".encode()}
    record = [f"{rel},sha256={base64.urlsafe_b64encode(hashlib.sha256(raw).digest()).rstrip(b'=').decode()},{len(raw)}"
              for rel, raw in contents.items()]
    contents[f"{info}/RECORD"] = ("\n".join([*record, f"{info}/RECORD,,"]) + "\n").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, raw in contents.items():
            zf.writestr(zipfile.ZipInfo(rel, (2024, 1, 15, 12, 0, 0)), raw)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--wheels", type=int, default=30)
    parser.add_argument("--modules", type=int, default=200)
    args = parser.parse_args()
    from ossprov import http, stages
    from ossprov.fixtures.world import World

    with tempfile.TemporaryDirectory(prefix="ossprov-bench-") as tmp:
        world = World(Path(tmp) / "w").start()
        os.environ.update(world.environment())
        os.environ["OSSPROV_CACHE"] = str(Path(tmp) / "cache")
        http.reset_client()
        modules = {f"fast/m{i}.py": f"VALUE = {i}\n" * (1 + i % 30) for i in range(args.modules)}
        source = {"pyproject.toml": '[project]\nname = "fast"\nversion = "1.0"\n', **modules}
        world.repo("bench/fast").commit("release", source)
        purl = world.publish_pypi("fast", "1.0", source, metadata={"Project-URL": ["Source, https://github.com/bench/fast"]})
        page = world.root / "registry" / "pypi" / "simple" / "fast" / "index.json"
        doc = json.loads(page.read_text())
        files_dir = world.root / "registry" / "pypi" / "files"
        assert world.server
        for n in range(args.wheels):
            tag = f"cp3{8 + n % 6}-cp3{8 + n % 6}-manylinux_2_{17 + n // 6}_x86_64"
            name = f"fast-1.0-{tag}.whl"
            payload = {k: v.encode() for k, v in modules.items()}
            payload[f"fast/_speedups.cpython-3{8 + n % 6}-x86_64-linux-gnu.so"] = b"\x7fELF" + os.urandom(4096)
            _wheel(files_dir / name, "fast", "1.0", tag, payload)
            data = (files_dir / name).read_bytes()
            doc["files"].append({"filename": name, "url": f"{world.server.url}/pypi/files/{name}",
                                 "hashes": {"sha256": hashlib.sha256(data).hexdigest()},
                                 "upload-time": "2024-01-15T12:00:00Z"})
        page.write_text(json.dumps(doc))
        (page.parent / "index.html").unlink()
        stages.verify(purl)  # warm the clone and artifact caches
        start = time.perf_counter()
        result = stages.verify(purl)
        together = time.perf_counter() - start
        start = time.perf_counter()
        for a in result.artifacts:
            stages.verify(purl, artifact_filter=a.artifact.filename)
        apart = time.perf_counter() - start
        world.stop()
    total = sum(len(a.file_results) for a in result.artifacts)
    shared = sum(a.shared for a in result.artifacts)
    print(f"{len(result.artifacts)} files verified (1 sdist, {len(result.artifacts) - 1} wheels), "
          f"verdict {result.verdict.value}")
    print(f"file results {total}: compared {total - shared}, taken from an identical file already compared {shared}")
    print(f"one run, every file, identical files compared once (warm caches): {together:.2f} s")
    print(f"one run per file ({len(result.artifacts)} runs, warm caches): {apart:.2f} s")


if __name__ == "__main__":
    main()
