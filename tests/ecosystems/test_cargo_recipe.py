"""The cargo rebuild recipe, run as written (outside the sandbox, which the rebuild stage adds): `cargo
package` of the exported commit reproduces the published crate's files."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from ossprov import stages
from ossprov.ecosystems.cargo.recipe import infer
from ossprov.fixtures import cargo_registry as cr
from ossprov.fixtures.world import World
from ossprov.verify.rebuild import export_tree
from tests.ecosystems.plugin_worlds import point_at
from tests.ecosystems.test_cargo import FILES

pytestmark = pytest.mark.skipif(shutil.which("cargo") is None, reason="needs cargo")


def _contents(crate: Path) -> dict[str, bytes]:
    with tarfile.open(crate) as tar:
        return {m.name: (tar.extractfile(m) or open(os.devnull, "rb")).read() for m in tar.getmembers() if m.isfile()}


@pytest.mark.parametrize(("name", "phases"), [("tiny", ["build", "build"]),
                                              ("app", ["install", "build"])])
def test_recipe_rebuilds_the_published_crate(world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                             name: str, phases: list[str]) -> None:
    point_at(cr.cargo_environment(world), monkeypatch)
    if name == "app":  # a binary with a registry dependency, and no Cargo.lock in the repository
        helper = world.repo("acme/helper")
        helper.commit("release", {**FILES, "Cargo.toml": str(FILES["Cargo.toml"]).replace("tiny", "helper")})
        cr.publish_crate(world, cr.cargo_package(world, helper), "helper", "0.1.0")
    files: dict[str, str | bytes] = FILES if name == "tiny" else {
        "Cargo.toml": str(FILES["Cargo.toml"]).replace("tiny", "app") + '\n[dependencies]\nhelper = "0.1"\n',
        "src/main.rs": "fn main() {}\n"}
    repo = world.repo(f"acme/{name}")
    sha = repo.commit("release", files)
    published = cr.cargo_package(world, repo)
    purl = cr.publish_crate(world, published, name, "0.1.0")
    prepared = stages.run_stages(purl, ["locate"], stages.Settings())
    assert prepared.release is not None and prepared.primary is not None
    src, home, out = tmp_path / "src", tmp_path / "home", tmp_path / "out"
    export_tree(repo.bare, sha, src)
    recipe = infer(src, "", prepared.release, prepared.primary.tree)
    assert [s.phase for s in recipe.steps] == phases
    places = {"home": str(home), "out": str(out), "src": str(src)}

    def expand(text: str) -> str:
        for key, value in places.items():
            text = text.replace("{" + key + "}", value)
        return text

    for name, content in recipe.files.items():
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_text(expand(content))
    out.mkdir()
    rustup = os.environ.get("RUSTUP_HOME") or str(Path(pwd.getpwuid(os.getuid()).pw_dir) / ".rustup")
    env = {**os.environ, "RUSTUP_HOME": rustup, **{k: expand(v) for k, v in recipe.env.items()}}
    for step in recipe.steps:
        subprocess.run([expand(a) for a in step.argv], cwd=src / step.cwd, env=env, check=True, timeout=300,
                       capture_output=True)
    rebuilt = sorted(out.glob(recipe.output))
    assert len(rebuilt) == 1
    assert _contents(rebuilt[0]) == _contents(published)
