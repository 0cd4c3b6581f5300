"""A rebuild's source holds the submodules the artifact ships files of, exported at the commits the
superproject's gitlinks pin: an npm package that packs a checked-out submodule is reproduced."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from ossprov.fixtures.world import World
from ossprov.model import LocateResult, Repository
from ossprov.verify.rebuild import Outcome, rebuild
from tests.rebuild.conftest import release

pytestmark = pytest.mark.slow


def test_a_package_shipping_a_submodule_is_rebuilt_with_it(world: World, tmp_path: Path) -> None:
    lib = world.repo("acme/lib")
    lib.commit("lib", {"lib.js": "module.exports = 2\n"})
    lib.commit("later", {"lib.js": "module.exports = 'head, not pinned'\n"})
    app = world.repo("acme/app")
    app.write({"package.json": json.dumps({"name": "app-sub", "version": "1.0.0", "files": ["index.js", "vendor"]}),
               "index.js": "module.exports = require('./vendor/lib/lib.js')\n"})
    env = {**os.environ, "GIT_CONFIG_GLOBAL": str(world.root / "gitconfig")}
    subprocess.run(["git", "-c", "protocol.file.allow=always", "submodule", "add", "-q", "../lib", "vendor/lib"],
                   cwd=app.path, env=env, check=True, capture_output=True)
    subprocess.run(["git", "checkout", "-q", "HEAD~1"], cwd=app.path / "vendor/lib", check=True, capture_output=True)
    sha = app.commit("release")
    out = subprocess.run(["npm", "pack", "--ignore-scripts", "--pack-destination", str(tmp_path)], cwd=app.path,
                         check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    located = LocateResult(purl="pkg:npm/app-sub@1.0.0", repository=Repository("https://github.com/acme/app"),
                           commit=sha, confidence=1.0)
    result = rebuild(located, tmp_path / out, release("npm", "app-sub"))
    assert result.outcome in (Outcome.BIT_FOR_BIT, Outcome.STABILIZED), (result.reason, result.findings)
    assert not result.findings
