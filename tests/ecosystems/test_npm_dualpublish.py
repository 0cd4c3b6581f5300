"""Packages published through dual-publish (nanoid 3): CommonJS in the repository, an ES module, a `.cjs` twin,
per-directory package.json files, `.d.cts` copies and NODE_ENV variants written at publish. Plain `verify PURL`
vouches for each only when it is byte for byte what dual-publish writes from the commit; every hostile twin is
served by the loopback registry with valid digests (the hijacked-registry threat model) and is `mismatch`.

`data/dualpublish/source` is the repository; `data/dualpublish/published` is what the real dual-publish 4.0.0
(with clean-publish 4.4.0 and `cleanComments`) wrote from it (`dual-publish --check --clean-comments`), packed
here by the real `npm pack`.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest

from ossprov import stages
from ossprov.ecosystems.npm.dualpublish_manifest import RELEASES, lines_for
from ossprov.fixtures.world import Repo, World
from ossprov.model import FileStatus, Severity, Verdict

DATA = Path(__file__).parent / "data" / "dualpublish"


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _release(world: World, tmp_path: Path, changes: Mapping[str, bytes | None] | None = None,
             source: dict[str, bytes] | None = None) -> tuple[str, Repo]:
    """Commit the fixture repository (tagged v1.2.0), pack dual-publish's output of it, tamper with the tarball
    as `changes` say, and publish it to the loopback registry."""
    repo = world.repo("acme/dualnano")
    repo.commit("Release 1.2.0", {**_tree(DATA / "source"), **(source or {})})
    repo.tag("v1.2.0")
    published = tmp_path / "dual-publish-tmp"
    shutil.copytree(DATA / "published", published)
    tarball = world.npm_pack(published)
    return world.publish_npm(World.tamper_npm(tarball, dict(changes)) if changes else tarball), repo


def _highs(result) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in result.findings:
        if f.severity is Severity.HIGH:
            out.setdefault(f.path, set()).add(f.rule)
    return out


def _published(path: str) -> str:
    return (DATA / "published" / path).read_text()


def test_genuine_dual_publish_output_is_faithful_with_build_output(world: World, tmp_path: Path) -> None:
    result = stages.verify(_release(world, tmp_path)[0])
    assert not _highs(result), result.findings
    assert result.verdict is Verdict.FAITHFUL_WITH_BUILD_OUTPUT
    status = {r.path: r for r in result.file_results}
    written = ["index.js", "index.cjs", "index.browser.js", "index.browser.cjs", "index.d.cts", "async/index.js",
               "async/index.cjs", "async/index.native.js", "async/package.json", "url-alphabet/index.cjs",
               "url-alphabet/package.json", "warn/index.cjs", "warn/index.dev.js", "warn/index.prod.js"]
    for path in written:
        assert status[path].status is FileStatus.GENERATED, (path, status[path])
        assert "dual-publish" in status[path].reason
    assert status["warn/index.prod.js"].source_path == "warn/index.js"
    assert status["index.d.ts"].status is FileStatus.IDENTICAL
    assert "exactly as dual-publish 4.0.0 writes them" in status["package.json"].reason
    assert "clean-publish left out clean-publish, devDependencies, scripts" in status["package.json"].reason
    assert status["package.json"].status is FileStatus.NORMALIZED
    vouched = {f.path for f in result.findings if f.rule == "OSP203"}
    assert set(written) <= vouched


HOSTILE = {
    "a statement added to the ES module": (
        "index.js", lambda t: t.replace("const POOL", "import('child_process').then(c => c.exec('id'))\nconst POOL")),
    "a string changed in a CommonJS twin": (
        "url-alphabet/index.cjs", lambda t: t.replace("useandom", "usEandom")),
    "an extra require of another module": (
        "index.cjs", lambda t: "require('./telemetry.cjs')\n" + t),
    "an extra import in the native module": (
        "async/index.native.js", lambda t: "import 'expo-crypto-shim'\n" + t),
    "a NODE_ENV variant that keeps the development branch": (
        "warn/index.prod.js", lambda t: t.replace("if (false", "if (true")),
    "a generated package.json pointing elsewhere": (
        "async/package.json", lambda t: t.replace('"main": "index.cjs"', '"main": "../evil.cjs"')),
    "a .d.cts that is not the copy of the types": (
        "index.d.cts", lambda t: t + "export declare const extra: string\n"),
}


@pytest.mark.parametrize("what", sorted(HOSTILE))
def test_what_dual_publish_would_not_write_is_mismatch(world: World, tmp_path: Path, what: str) -> None:
    path, tamper = HOSTILE[what]
    result = stages.verify(_release(world, tmp_path, {path: tamper(_published(path)).encode()})[0])
    assert result.verdict is Verdict.MISMATCH
    assert path in _highs(result), result.findings


def test_an_extra_file_is_mismatch(world: World, tmp_path: Path) -> None:
    result = stages.verify(_release(world, tmp_path, {"telemetry/index.cjs": b"require('https').get('x')\n"})[0])
    assert result.verdict is Verdict.MISMATCH
    assert "telemetry/index.cjs" in _highs(result)


def _root_package(edit) -> bytes:
    doc = json.loads(_published("package.json"))
    edit(doc)
    return json.dumps(doc, indent=2).encode()


def test_an_added_exports_entry_is_mismatch(world: World, tmp_path: Path) -> None:
    changes = {"package.json": _root_package(lambda d: d["exports"].update({"./hook": "./hook/index.js"})),
               "hook/index.js": b"export default 1\n"}
    result = stages.verify(_release(world, tmp_path, changes)[0])
    assert result.verdict is Verdict.MISMATCH
    assert "OSP114" in _highs(result)["package.json"]


def test_reordered_export_conditions_are_mismatch(world: World, tmp_path: Path) -> None:
    """Node picks the first condition that applies: `import` before `browser` changes what a bundler loads."""
    def reorder(doc: dict) -> None:
        entry = doc["exports"]["."]
        doc["exports"]["."] = {"import": entry["import"], **entry}
    result = stages.verify(_release(world, tmp_path, {"package.json": _root_package(reorder)})[0])
    assert "OSP114" in _highs(result).get("package.json", set())


def test_an_install_script_in_the_rewritten_package_json_is_mismatch(world: World, tmp_path: Path) -> None:
    changes = {"package.json": _root_package(lambda d: d.update({"scripts": {"postinstall": "node warn"}}))}
    result = stages.verify(_release(world, tmp_path, changes)[0])
    assert result.verdict is Verdict.MISMATCH
    assert "OSP111" in _highs(result)["package.json"]


def test_without_dual_publish_in_the_repository_nothing_is_explained(world: World, tmp_path: Path) -> None:
    manifest = json.loads((DATA / "source" / "package.json").read_text())
    del manifest["devDependencies"]["dual-publish"]
    result = stages.verify(_release(world, tmp_path, source={"package.json": json.dumps(manifest, indent=2).encode()})[0])
    highs = _highs(result)
    assert result.verdict is Verdict.MISMATCH
    assert {"index.js", "index.cjs", "async/package.json"} <= set(highs), highs


def test_a_later_commit_of_the_dual_package_by_hand_does_not_win_the_pin(world: World, tmp_path: Path) -> None:
    """nanoid's 3.x branch later committed dual-publish's output; those generated files must not pull the pin
    away from the release commit (where they are re-derived)."""
    purl, repo = _release(world, tmp_path)
    release = repo.head()
    by_hand = {p: d for p, d in _tree(DATA / "published").items()
               if p.endswith((".cjs", ".d.cts", "/package.json")) or p.endswith(("index.dev.js", "index.prod.js"))}
    repo.commit("Move to manually ESM/CJS dual package", by_hand)
    result = stages.verify(purl)
    assert result.locate.commit == release
    assert not _highs(result), result.findings


@pytest.mark.parametrize(("spec", "releases"), [
    ("^4.0.0", ["4.0.0"]), ("^3.0.0", ["3.0.0", "3.0.1"]), ("^1.0.5", ["1.0.5", "1.0.9"]), ("~3.0.0", ["3.0.0", "3.0.1"]),
    ("3.0.1", ["3.0.1"]), ("^0.8.6", []), (">=3 || ~1.0.9", ["1.0.9", "3.0.0", "3.0.1", "4.0.0"]),
])
def test_a_devdependencies_range_admits_the_releases_it_names(spec: str, releases: list[str]) -> None:
    """A lockfile is not kept, so each release the range admits is a way the genuine package may be written."""
    assert [line.version for line in lines_for(spec)] == releases


def test_a_range_naming_no_version_admits_every_modelled_release() -> None:
    assert lines_for("latest") == RELEASES
