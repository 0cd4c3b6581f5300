"""Recipe inference from source trees and artifact metadata, and user overrides (no builds run here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ossprov import ecosystems
from ossprov.errors import InputError
from ossprov.fixtures.world import World
from ossprov.model import NpmPublication, PackageFile, PackageTree, to_json
from ossprov.purls import parse_purl
from ossprov.verify.recipe import Recipe, Unbuildable, apply_override, load_override, tool_version
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
    host_npm = tool_version(("npm", "--version"))
    repo, pkg = world.npm_project("acme/a", "a", "1.0.0")
    repo.commit("release")
    purl = world.publish_npm(world.npm_pack(pkg), meta={"_nodeVersion": "18.17.0", "_npmVersion": host_npm})
    published = ecosystems.get("npm").release(parse_purl(purl))
    src = _write(tmp_path / "src", {"package.json": package_json("a"), "index.js": "1"})
    recipe = ecosystems.get("npm").recipe(src, "", published, None, "a-1.0.0.tgz")
    assert _argv(recipe) == ["npm pack --pack-destination {out}"]
    assert recipe.toolchain == {"node": "18.17.0", "npm": host_npm}
    assert any(n.startswith("original node 18.17.0") for n in recipe.notes)
    json.dumps(to_json(recipe))


def test_npm_packs_with_the_npm_major_of_the_packument(tmp_path: Path) -> None:
    src = _write(tmp_path, {"package.json": package_json("a"), "index.js": "1"})
    recipe = ecosystems.get("npm").recipe(src, "", release("npm", "a", npm=NpmPublication(npm_version="7.24.2")), None, "a-1.0.0.tgz")
    assert _argv(recipe) == ["npm install --global --prefix {home}/npm-tool --no-audit --no-fund npm@7.24.2",
                             "{home}/npm-tool/bin/npm pack --pack-destination {out}"]
    assert recipe.steps[0].network and recipe.host["npm-pack"] == "7.24.2"
    assert not any(n.startswith("original npm") for n in recipe.notes)
    declared = _write(tmp_path / "b", {"package.json": package_json("b", packageManager="npm@8.19.4+sha256.abc")})
    assert _argv(ecosystems.get("npm").recipe(declared, "", release("npm", "b"), None, "b.tgz"))[0].endswith(" npm@8.19.4")


def test_npm_lockfile_means_ci_with_network_only_there(tmp_path: Path) -> None:
    src = _write(tmp_path, {"package.json": package_json("a", dependencies={"x": "1"}, scripts={"prepare": "tsc"}),
                            "package-lock.json": "{}"})
    recipe = ecosystems.get("npm").recipe(src, "", release("npm", "a"), None, "a-1.0.0.tgz")
    install, pack = recipe.steps
    assert install.argv[:2] == ("npm", "ci") and install.network and install.phase == "install"
    assert not pack.network


def test_npm_dependencies_installed_only_when_packing_needs_them(tmp_path: Path) -> None:
    """A package whose packing runs no script (and bundles nothing) is packed without installing its
    devDependencies, which may not even be reachable (git dependencies)."""
    plain = _write(tmp_path / "a", {"package.json": package_json("a", devDependencies={"t": "git+ssh://x/y"})})
    recipe = ecosystems.get("npm").recipe(plain, "", release("npm", "a"), None, "a.tgz")
    assert _argv(recipe) == ["npm pack --pack-destination {out}"]
    assert any("dependencies not installed" in n for n in recipe.notes)
    bundled = _write(tmp_path / "b", {"package.json": package_json("b", dependencies={"t": "1"},
                                                                   bundleDependencies=["t"])})
    assert _argv(ecosystems.get("npm").recipe(bundled, "", release("npm", "b"), None, "b.tgz"))[0].startswith("npm install")


def test_npm_build_script_only_when_output_shipped(tmp_path: Path) -> None:
    src = _write(tmp_path, {"package.json": package_json("a", scripts={"build": "tsc"}), "src/a.ts": ""})
    shipped = _tree({"package.json": b"{}", "dist/a.js": b""})
    assert "npm run build" in _argv(ecosystems.get("npm").recipe(src, "", release("npm", "a"), shipped, "a.tgz"))
    plain = _tree({"package.json": b"{}", "src/a.ts": b""})
    assert "npm run build" not in _argv(ecosystems.get("npm").recipe(src, "", release("npm", "a"), plain, "a.tgz"))


def test_npm_workspace_installs_at_root_and_packs_in_subdir(tmp_path: Path) -> None:
    src = _write(tmp_path, {"package.json": package_json("root", workspaces=["packages/*"], devDependencies={"t": "1"}),
                            "package-lock.json": "{}", ".nvmrc": "v20\n",
                            "packages/b/package.json": package_json("b", scripts={"prepack": "tsc"})})
    recipe = ecosystems.get("npm").recipe(src, "packages/b", release("npm", "b"), None, "b-1.0.0.tgz")
    assert [(s.argv[1], s.cwd) for s in recipe.steps] == [("ci", ""), ("pack", "packages/b")]
    assert recipe.toolchain["node"] == "v20"


def test_npm_version_rewritten_at_publish(tmp_path: Path) -> None:
    src = _write(tmp_path, {"package.json": package_json("a", "0.0.0-development")})
    recipe = ecosystems.get("npm").recipe(src, "", release("npm", "a", "2.3.4"), None, "a-2.3.4.tgz")
    assert "npm pkg set version=2.3.4" in _argv(recipe)


def test_npm_6_told_by_the_changelog_it_always_packed(tmp_path: Path) -> None:
    """The registry dropped `_npmVersion`; a CHANGELOG outside `files` says npm 6 or older packed it."""
    src = _write(tmp_path, {"package.json": package_json("a", files=["index.js", "lib"]), "index.js": "1"})
    old = _tree({"package.json": b"{}", "index.js": b"1", "CHANGELOG.md": b"# 1.0.0\n"})
    recipe = ecosystems.get("npm").recipe(src, "", release("npm", "a"), old, "a.tgz")
    assert _argv(recipe)[0].endswith("npm@6") and recipe.toolchain["npm"] == "6"
    assert recipe.steps[-1].argv == ("sh", "-c", '"$0" "$@" && mv -- ./*.tgz {out}/', "{home}/npm-tool/bin/npm",
                                     "pack")  # npm 6 has no --pack-destination
    new = _tree({"package.json": b"{}", "index.js": b"1", "changelogs/x.js": b""})
    assert "npm" not in ecosystems.get("npm").recipe(src, "", release("npm", "a"), new, "a.tgz").toolchain


def test_npm_clean_publish_copy_is_packed(tmp_path: Path) -> None:
    src = _write(tmp_path, {"package.json": package_json("a", devDependencies={"clean-publish": "^4.2.0"}),
                            "pnpm-lock.yaml": "lockfileVersion: '6.0'\n"})
    assert _argv(ecosystems.get("npm").recipe(src, "", release("npm", "a"), None, "a.tgz")) == [
        "corepack enable --install-directory {home}/bin pnpm", "corepack pnpm@8 install --frozen-lockfile --ignore-scripts",
        "npm exec --no -- clean-publish --without-publish --temp-dir {home}/clean-publish",
        "npm pack {home}/clean-publish --pack-destination {out}"]


def test_npm_other_package_manager_noted(tmp_path: Path) -> None:
    src = _write(tmp_path, {"package.json": package_json("a", packageManager="pnpm@8.6.0")})
    recipe = ecosystems.get("npm").recipe(src, "", release("npm", "a"), None, "a.tgz")
    assert any("pnpm" in n for n in recipe.notes)


@pytest.mark.parametrize("lockfile, text, install", [
    ("yarn.lock", "# THIS IS AN AUTOGENERATED FILE.\n# yarn lockfile v1\n",
     "corepack yarn install --pure-lockfile --ignore-scripts --non-interactive"),
    ("yarn.lock", "__metadata:\n  version: 6\n", "corepack yarn install --immutable --mode=skip-build"),
    ("pnpm-lock.yaml", "lockfileVersion: '6.0'\n", "corepack pnpm@8 install --frozen-lockfile --ignore-scripts"),
    ("package-lock.json", "{}", "npm ci --ignore-scripts --no-audit --no-fund"),
])
def test_npm_lockfile_installed_by_the_tool_that_wrote_it(tmp_path: Path, lockfile: str, text: str,
                                                           install: str) -> None:
    src = _write(tmp_path, {"package.json": package_json("a", devDependencies={"x": "1"}, scripts={"prepare": "x"}),
                            lockfile: text})
    recipe = ecosystems.get("npm").recipe(src, "", release("npm", "a"), None, "a.tgz")
    if install.startswith("corepack"):
        assert _argv(recipe)[0] == f"corepack enable --install-directory {{home}}/bin {install.split()[1].split('@')[0]}"
    assert _argv(recipe)[-2] == install and recipe.steps[-2].network
    assert recipe.env["COREPACK_HOME"] == "{home}/corepack"
    assert ("COREPACK_INTEGRITY_KEYS" in recipe.env) == install.startswith("corepack")


PUBLISHING_SCRIPTS = {
    "build": "tsc",
    "prepack": "npm run build && npm run changelog",
    "changelog": "conventional-changelog -i CHANGELOG.md -s && git commit -am changelog && git push",
    "prepare": "node setup.js",
    "prepublishOnly": "npm test && git push --follow-tags",
    "release": "npm publish --access public",
    "postversion": "git push && git push --tags",
    "ship": "np --yolo",
}


def test_npm_scripts_that_publish_are_never_run(tmp_path: Path) -> None:
    src = _write(tmp_path, {"package.json": package_json("a", scripts=PUBLISHING_SCRIPTS), "src/a.ts": ""})
    shipped = _tree({"package.json": b"{}", "dist/a.js": b""})
    recipe = ecosystems.get("npm").recipe(src, "", release("npm", "a"), shipped, "a.tgz")
    assert _argv(recipe) == ["npm run build", "npm run prepare", "npm pack --ignore-scripts --pack-destination {out}"]
    assert any("prepack not run" in n for n in recipe.notes)
    never = next(n for n in recipe.notes if n.startswith("never run"))
    assert all(name in never for name in ("changelog", "prepublishOnly", "release", "postversion", "ship"))


def test_npm_build_script_that_publishes_is_not_run(tmp_path: Path) -> None:
    src = _write(tmp_path, {"package.json": package_json("a", scripts={"build": "tsc && semantic-release"})})
    recipe = ecosystems.get("npm").recipe(src, "", release("npm", "a"), _tree({"package.json": b"{}", "dist/a.js": b""}), "a.tgz")
    assert _argv(recipe) == ["npm pack --pack-destination {out}"]
    assert any("`build` script not run" in n for n in recipe.notes)


def test_npm_without_manifest_is_unbuildable(tmp_path: Path) -> None:
    with pytest.raises(Unbuildable, match=r"no package\.json at sub"):
        ecosystems.get("npm").recipe(tmp_path, "sub", release("npm", "a"), None, "a.tgz")


def test_npm_malformed_manifest_is_unbuildable(tmp_path: Path) -> None:
    _write(tmp_path, {"package.json": "[1, 2"})
    with pytest.raises(Unbuildable, match="cannot be read"):
        ecosystems.get("npm").recipe(tmp_path, "", release("npm", "a"), None, "a.tgz")


def test_pypi_backend_generator_and_scm(tmp_path: Path) -> None:
    src = _write(tmp_path, {"pyproject.toml": '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\n'
                                              'build-backend = "hatchling.build"\n'})
    wheel = _tree({"a-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: hatchling 1.18.0\n"})
    recipe = ecosystems.get("pypi").recipe(src, "", release("pypi", "a", "1.0"), wheel, "a-1.0-py3-none-any.whl")
    assert recipe.artifact_kind == "wheel" and recipe.output == "*.whl"
    assert recipe.toolchain["backend"] == "hatchling.build"
    assert recipe.toolchain["hatchling"] == "1.18.0"
    assert recipe.env["SETUPTOOLS_SCM_PRETEND_VERSION"] == "1.0"
    assert recipe.steps[-1].argv[1:5] == ("-m", "build", "--no-isolation", "--wheel")
    install = recipe.steps[2].argv
    assert install[-1] == "hatchling==1.18.0" and "build" in install and "hatch-vcs" in install


def test_pypi_builds_in_a_fresh_venv_holding_the_frontend(tmp_path: Path) -> None:
    """The build frontend and the requirements are installed in the build's own environment, never taken from
    the host's (whose newer backend writes other metadata)."""
    src = _write(tmp_path, {"pyproject.toml": '[build-system]\nrequires = ["setuptools>=61"]\n'
                                              'build-backend = "setuptools.build_meta"\n'})
    recipe = ecosystems.get("pypi").recipe(src, "", release("pypi", "a", published_at="2023-02-01T00:00:00Z"), None, "a-1.0.tar.gz")
    venv, uninstall, install, hook, build = recipe.steps
    assert venv.argv == ("{python}", "-m", "venv", "{home}/venv") and not venv.network
    assert uninstall.argv[-1] == "setuptools"
    assert install.argv[:6] == ("{home}/venv/bin/python", "-m", "pip", "install", "--no-warn-script-location",
                                "build") and install.argv[6:] == ("setuptools>=61",) and install.network
    assert hook.network and "get_requires_for_build('sdist')" in hook.argv[-1]
    assert build.argv[0] == "{home}/venv/bin/python" and "--sdist" in build.argv and not build.network
    assert any("as of the release (2023-02-01" in n for n in recipe.notes)


def test_pypi_setup_py_and_nothing(tmp_path: Path) -> None:
    _write(tmp_path, {"setup.py": "from setuptools import setup; setup()"})
    assert ecosystems.get("pypi").recipe(tmp_path, "", release("pypi", "a"), None, "a-1.0.tar.gz").toolchain["backend"] \
        == "setuptools.build_meta:__legacy__"
    with pytest.raises(Unbuildable, match=r"no pyproject\.toml or setup\.py"):
        ecosystems.get("pypi").recipe(tmp_path / "missing", "", release("pypi", "a"), None, "a-1.0.tar.gz")


def test_pypi_bad_toml_is_unbuildable(tmp_path: Path) -> None:
    _write(tmp_path, {"pyproject.toml": "[build-system\n"})
    with pytest.raises(Unbuildable, match="not valid TOML"):
        ecosystems.get("pypi").recipe(tmp_path, "", release("pypi", "a"), None, "a-1.0.tar.gz")


def test_other_ecosystems_unbuildable(tmp_path: Path) -> None:
    with pytest.raises(Unbuildable, match="not supported"):
        ecosystems.get("nuget").recipe(tmp_path, "", release("nuget", "a"), None, "a.1.0.0.nupkg")


def test_override_replaces_fields(tmp_path: Path) -> None:
    src = _write(tmp_path / "src", {"package.json": package_json("a")})
    base = ecosystems.get("npm").recipe(src, "", release("npm", "a"), None, "a.tgz")
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
