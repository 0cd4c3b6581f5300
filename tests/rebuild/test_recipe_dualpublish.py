"""The npm recipe for packages published through dual-publish: it runs the tool as publishing did, without
publishing, and packs the dual copy it leaves (no build runs here)."""

from __future__ import annotations

from pathlib import Path

from ossprov import ecosystems
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
