"""The npm recipe for packages published from a copy of the package rather than its root: dual-publish's dual
copy, and a build directory a publish guard names (prettier). No build runs here."""

from __future__ import annotations

from pathlib import Path

from ossprov import ecosystems
from ossprov.model import PackageFile, PackageTree
from tests.rebuild.conftest import package_json, release


def test_the_dual_publish_copy_is_packed(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(package_json("a", devDependencies={"dual-publish": "^4.0.0"}))
    (tmp_path / "pnpm-lock.yaml").write_text("lockfileVersion: '6.0'\n")
    recipe = ecosystems.get("npm").recipe(tmp_path, "", release("npm", "a"), None, "a.tgz")
    assert [" ".join(s.argv) for s in recipe.steps] == [
        "corepack enable --install-directory {home}/bin pnpm", "corepack pnpm@8 install --frozen-lockfile --ignore-scripts",
        "npm exec --no -- dual-publish --without-publish",
        "npm pack ./dual-publish-tmp --pack-destination {out}"]
    assert any("dual-publish" in note for note in recipe.notes)


def _argv(tmp_path: Path, scripts: dict[str, str]) -> list[str]:
    (tmp_path / "package.json").write_text(package_json("a", scripts=scripts, devDependencies={"esbuild": "^0.19"}))
    (tmp_path / "package-lock.json").write_text("{}")
    recipe = ecosystems.get("npm").recipe(tmp_path, "", release("npm", "a"), _shipped(), "a.tgz")
    return [" ".join(s.argv) for s in recipe.steps]


def _shipped() -> PackageTree:
    """A published package with build output the source lacks (so the build runs)."""
    return PackageTree({p: PackageFile(p, b"x") for p in ("package.json", "index.mjs")})


def test_the_directory_a_publish_guard_names_is_packed_after_the_build(tmp_path: Path) -> None:
    guard = {"build": "node ./scripts/build/build.js",
             "prepublishOnly": 'echo "Error: must publish from dist/" && exit 1'}
    assert _argv(tmp_path, guard)[-2:] == ["npm run build", "npm pack ./dist --pack-destination {out}"]


def test_a_script_that_only_mentions_a_directory_is_no_publish_guard(tmp_path: Path) -> None:
    """It must refuse to publish (fail): a prepublishOnly that runs fine publishes the root."""
    mention = {"build": "tsc", "prepublishOnly": 'echo "publish from dist/ is checked" && npm test'}
    assert _argv(tmp_path, mention)[-1] == "npm pack --pack-destination {out}"
