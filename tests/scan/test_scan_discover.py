"""Directory discovery: known lockfiles found, installed trees and VCS data skipped, results merged."""

from __future__ import annotations

import json
import os

from ossprov.scan.discover import discover, read_dependencies, read_path

NPM = json.dumps({"lockfileVersion": 3, "packages": {
    "": {"dependencies": {"left-pad": "^1.3.0"}},
    "node_modules/left-pad": {"version": "1.3.0"},
}}, indent=2)
YARN = '# yarn lockfile v1\n\nleft-pad@^1.3.0:\n  version "1.3.0"\n\nchalk@^2:\n  version "2.4.2"\n'


def test_discover_prunes_and_sorts(tmp_path, write):
    write("package-lock.json", NPM)
    write("web/yarn.lock", YARN)
    write("requirements/base.txt", "six==1.16.0\n")
    write("services/api/poetry.lock", '[[package]]\nname = "idna"\nversion = "3.6"\nfiles = []\n')
    write("node_modules/x/package-lock.json", NPM)
    write(".git/yarn.lock", YARN)
    write(".venv/lib/requirements.txt", "evil==1.0\n")
    write("README.md", "# hi\n")
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "uv.lock").write_text("version = 1\n")
    os.symlink(outside / "uv.lock", tmp_path / "uv.lock")
    found = [p.relative_to(tmp_path).as_posix() for p in discover(tmp_path)]
    assert found == ["package-lock.json", "requirements/base.txt", "services/api/poetry.lock", "web/yarn.lock"]


def test_read_directory_merges_and_dedupes(tmp_path, write):
    write("package-lock.json", NPM)
    write("web/yarn.lock", YARN)
    write("py/requirements-dev.txt", "six==1.16.0\nflask\n")
    result = read_path(tmp_path)
    deps = {d.purl: d for d in result.dependencies}
    assert list(deps) == ["pkg:npm/left-pad@1.3.0", "pkg:pypi/six@1.16.0", "pkg:npm/chalk@2.4.2"]
    left_pad = deps["pkg:npm/left-pad@1.3.0"]
    assert left_pad.location.file == "package-lock.json" and left_pad.direct is True  # first file wins
    assert deps["pkg:npm/chalk@2.4.2"].location.file == "web/yarn.lock"
    assert deps["pkg:npm/chalk@2.4.2"].location.line == 6
    assert [(s.location.file, s.location.line, s.entry) for s in result.skipped] == [("py/requirements-dev.txt", 2, "flask")]
    assert result.files == ("package-lock.json", "py/requirements-dev.txt", "web/yarn.lock")
    assert read_dependencies(tmp_path) == list(result.dependencies)


def test_content_detection_for_other_names(write, tmp_path):
    sbom = write("deps/inventory.json", json.dumps({
        "bomFormat": "CycloneDX", "specVersion": "1.6",
        "components": [{"type": "library", "name": "a", "purl": "pkg:npm/a@1.0.0"}]}))
    pnpm = write("locks/frontend.yaml", "lockfileVersion: '9.0'\n\npackages:\n\n  a@2.0.0:\n    resolution: {}\n")
    assert [d.purl for d in read_dependencies(sbom)] == ["pkg:npm/a@1.0.0"]
    assert [(d.purl, d.location.line) for d in read_dependencies(pnpm)] == [("pkg:npm/a@2.0.0", 5)]
    assert discover(tmp_path) == []  # discovery goes by name only: arbitrary JSON/YAML is not read
