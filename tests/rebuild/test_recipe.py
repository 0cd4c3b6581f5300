"""Recipe inference from source trees and artifact metadata, and user overrides (no builds run here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ossprov import ecosystems
from ossprov.errors import InputError
from ossprov.fixtures.world import World
from ossprov.model import PackageFile, PackageTree, to_json
from ossprov.purls import parse_purl
from ossprov.verify.recipe import Recipe, Unbuildable, apply_override, infer, load_override
from tests.rebuild.conftest import package_json, release


def _tree(files: dict[str, bytes]) -> PackageTree:
    return PackageTree({p: PackageFile(p, d) for p, d in files.items()})


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _argv(recipe: Recipe) -> list[str]:
    return [" ".join(s.argv) for s in recipe.steps]


def test_npm_plain_pack_with_the_publishers_node_from_the_registry(tmp_path: Path, world: World) -> None:
    """The Node and npm versions come from the packument, read by the real npm plug-in."""
    repo, pkg = world.npm_project("acme/a", "a", "1.0.0")
    repo.commit("release")
    purl = world.publish_npm(world.npm_pack(pkg), meta={"_nodeVersion": "18.17.0", "_npmVersion": "9.6.7"})
    published = ecosystems.get("npm").release(parse_purl(purl))
    src = _write(tmp_path / "src", {"package.json": package_json("a"), "index.js": "1"})
    recipe = infer("npm", src, "", published, None, "a-1.0.0.tgz")
    assert _argv(recipe) == ["npm pack --pack-destination {out}"]
    assert recipe.toolchain == {"node": "18.17.0", "npm": "9.6.7"}
    assert any(n.startswith("original node 18.17.0") for n in recipe.notes)
    json.dumps(to_json(recipe))


def test_npm_lockfile_means_ci_with_network_only_there(tmp_path: Path) -> None:
    src = _write(tmp_path, {"package.json": package_json("a", dependencies={"x": "1"}), "package-lock.json": "{}"})
    recipe = infer("npm", src, "", release("npm", "a"), None, "a-1.0.0.tgz")
    install, pack = recipe.steps
    assert install.argv[:2] == ("npm", "ci") and install.network and install.phase == "install"
    assert not pack.network


def test_npm_build_script_only_when_output_shipped(tmp_path: Path) -> None:
    src = _write(tmp_path, {"package.json": package_json("a", scripts={"build": "tsc"}), "src/a.ts": ""})
    shipped = _tree({"package.json": b"{}", "dist/a.js": b""})
    assert "npm run build" in _argv(infer("npm", src, "", release("npm", "a"), shipped, "a.tgz"))
    plain = _tree({"package.json": b"{}", "src/a.ts": b""})
    assert "npm run build" not in _argv(infer("npm", src, "", release("npm", "a"), plain, "a.tgz"))


def test_npm_workspace_installs_at_root_and_packs_in_subdir(tmp_path: Path) -> None:
    src = _write(tmp_path, {"package.json": package_json("root", workspaces=["packages/*"], devDependencies={"t": "1"}),
                            "package-lock.json": "{}", "packages/b/package.json": package_json("b"), ".nvmrc": "v20\n"})
    recipe = infer("npm", src, "packages/b", release("npm", "b"), None, "b-1.0.0.tgz")
    assert [(s.argv[1], s.cwd) for s in recipe.steps] == [("ci", ""), ("pack", "packages/b")]
    assert recipe.toolchain["node"] == "v20"


def test_npm_version_rewritten_at_publish(tmp_path: Path) -> None:
    src = _write(tmp_path, {"package.json": package_json("a", "0.0.0-development")})
    recipe = infer("npm", src, "", release("npm", "a", "2.3.4"), None, "a-2.3.4.tgz")
    assert "npm pkg set version=2.3.4" in _argv(recipe)


def test_npm_other_package_manager_noted(tmp_path: Path) -> None:
    src = _write(tmp_path, {"package.json": package_json("a", packageManager="pnpm@8.6.0")})
    recipe = infer("npm", src, "", release("npm", "a"), None, "a.tgz")
    assert any("pnpm" in n for n in recipe.notes)


def test_npm_without_manifest_is_unbuildable(tmp_path: Path) -> None:
    with pytest.raises(Unbuildable, match=r"no package\.json at sub"):
        infer("npm", tmp_path, "sub", release("npm", "a"), None, "a.tgz")


def test_npm_malformed_manifest_is_unbuildable(tmp_path: Path) -> None:
    _write(tmp_path, {"package.json": "[1, 2"})
    with pytest.raises(Unbuildable, match="cannot be read"):
        infer("npm", tmp_path, "", release("npm", "a"), None, "a.tgz")


def test_pypi_backend_generator_and_scm(tmp_path: Path) -> None:
    src = _write(tmp_path, {"pyproject.toml": '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\n'
                                              'build-backend = "hatchling.build"\n'})
    wheel = _tree({"a-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: hatchling 1.18.0\n"})
    recipe = infer("pypi", src, "", release("pypi", "a", "1.0"), wheel, "a-1.0-py3-none-any.whl")
    assert recipe.artifact_kind == "wheel" and recipe.output == "*.whl"
    assert recipe.toolchain["backend"] == "hatchling.build"
    assert recipe.toolchain["hatchling"] == "1.18.0"
    assert recipe.env["SETUPTOOLS_SCM_PRETEND_VERSION"] == "1.0"
    assert recipe.steps[-1].argv[1:4] == ("-m", "build", "--no-isolation")


def test_pypi_missing_backend_installed_in_venv_with_network(tmp_path: Path) -> None:
    src = _write(tmp_path, {"pyproject.toml": '[build-system]\nrequires = ["no-such-backend-xyz"]\n'
                                              'build-backend = "nsb"\n'})
    recipe = infer("pypi", src, "", release("pypi", "a"), None, "a-1.0.tar.gz")
    assert [s.phase for s in recipe.steps] == ["install", "install", "build"]
    assert recipe.steps[1].network and recipe.steps[2].argv[0] == "{home}/venv/bin/python"


def test_pypi_setup_py_and_nothing(tmp_path: Path) -> None:
    _write(tmp_path, {"setup.py": "from setuptools import setup; setup()"})
    assert infer("pypi", tmp_path, "", release("pypi", "a"), None, "a-1.0.tar.gz").toolchain["backend"] \
        == "setuptools.build_meta:__legacy__"
    with pytest.raises(Unbuildable, match=r"no pyproject\.toml or setup\.py"):
        infer("pypi", tmp_path / "missing", "", release("pypi", "a"), None, "a-1.0.tar.gz")


def test_pypi_bad_toml_is_unbuildable(tmp_path: Path) -> None:
    _write(tmp_path, {"pyproject.toml": "[build-system\n"})
    with pytest.raises(Unbuildable, match="not valid TOML"):
        infer("pypi", tmp_path, "", release("pypi", "a"), None, "a-1.0.tar.gz")


def test_other_ecosystems_unbuildable(tmp_path: Path) -> None:
    with pytest.raises(Unbuildable, match="not supported"):
        infer("nuget", tmp_path, "", release("nuget", "a"), None, "a.1.0.0.nupkg")


def test_override_replaces_fields(tmp_path: Path) -> None:
    src = _write(tmp_path / "src", {"package.json": package_json("a")})
    base = infer("npm", src, "", release("npm", "a"), None, "a.tgz")
    path = _write(tmp_path, {"r.toml": 'env = { NODE_ENV = "production" }\n[[steps]]\nphase = "build"\n'
                                       'argv = ["make", "pack"]\n'}) / "r.toml"
    recipe = apply_override(base, load_override(path), str(path))
    assert recipe.env == {"NODE_ENV": "production"} and _argv(recipe) == ["make pack"]
    assert recipe.origin == str(path) and recipe.toolchain == base.toolchain


def test_override_without_inference_needs_a_whole_recipe(tmp_path: Path) -> None:
    path = _write(tmp_path, {"r.toml": 'ecosystem = "npm"\n'}) / "r.toml"
    with pytest.raises(InputError, match="needs artifact_kind, output, steps"):
        apply_override(None, load_override(path), str(path))


@pytest.mark.parametrize("text, message", [
    ("steps = 3\n[x\n", "not valid TOML"),
    ('colour = "red"\n', "unknown keys colour"),
    ('[[steps]]\nargv = ["x"]\n', "needs phase and argv"),
    ('[[steps]]\nphase = "deploy"\nargv = ["x"]\n', "phase must be install or build"),
    ('env = "x"\n', "env must be a table"),
])
def test_bad_recipe_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "r.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_override(path)
