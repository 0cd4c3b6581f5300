"""npm and pip install from `ossprov mirror serve` (a real subprocess): only verified files, even after the
version is gone upstream. Slow: real npm and pip runs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ossprov.fixtures.world import World
from ossprov.mirror import admit
from tests.mirror.fixtures_world import genuine_npm, genuine_pypi, tampered_npm

pytestmark = pytest.mark.slow


@pytest.fixture
def mirror_url(world: World) -> Iterator[str]:
    """`ossprov mirror serve --port 0` as a subprocess over the test's data directory; its base URL."""
    proc = subprocess.Popen([sys.executable, "-m", "ossprov", "mirror", "serve", "--port", "0", "--quiet"],
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline() if proc.stderr else ""
        match = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
        assert match, line
        yield match.group(1)
    finally:
        proc.terminate()
        proc.wait(10)


def npm_install(url: str, spec: str, tmp: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "npm_config_cache": str(tmp / "npm-cache"), "npm_config_userconfig": str(tmp / "npmrc"),
           "npm_config_update_notifier": "false"}
    return subprocess.run(["npm", "install", "--registry", f"{url}/", spec, "--prefix", str(tmp / "app"),
                           "--no-audit", "--no-fund", "--ignore-scripts"], capture_output=True, text=True, env=env,
                          timeout=120)


def pip_install(url: str, spec: str, tmp: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(PIP_CONFIG_FILE="/dev/null", PIP_FIND_LINKS="", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-cache-dir", "--index-url",
                           f"{url}/simple/", "--target", str(tmp / "site"), spec],
                          capture_output=True, text=True, env=env, timeout=120)


def test_npm_installs_verified_package_even_after_upstream_removal(world: World, mirror_url: str,
                                                                     tmp_path: Path) -> None:
    purl, tarball = genuine_npm(world)
    assert admit.add(purl).admitted
    world.unpublish_npm("plain", "1.0.0")
    proc = npm_install(mirror_url, "plain@1.0.0", tmp_path)
    assert proc.returncode == 0, proc.stderr
    installed = tmp_path / "app" / "node_modules" / "plain"
    assert (installed / "lib" / "helper.js").read_text() == "exports.h = 1;\n"
    lock = (tmp_path / "app" / "package-lock.json").read_text()
    assert f"{mirror_url}/plain/-/{tarball.name}" in lock


def test_npm_cannot_install_a_refused_package(world: World, mirror_url: str, tmp_path: Path) -> None:
    assert not admit.add(tampered_npm(world)).admitted
    proc = npm_install(mirror_url, "evil@1.0.0", tmp_path)
    assert proc.returncode != 0 and "404" in proc.stderr
    assert not (tmp_path / "app" / "node_modules" / "evil").exists()


def test_pip_installs_verified_wheel_from_simple_api(world: World, mirror_url: str, tmp_path: Path) -> None:
    assert admit.add(genuine_pypi(world)).admitted
    shutil.rmtree(world.root / "registry" / "pypi")  # gone upstream: only the mirror has it now
    proc = pip_install(mirror_url, "snake==1.0", tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "site" / "snake" / "__init__.py").read_text() == "X = 1\n"
    missing = pip_install(mirror_url, "requests==2.31.0", tmp_path / "other")
    assert missing.returncode != 0 and "snake" not in missing.stdout
