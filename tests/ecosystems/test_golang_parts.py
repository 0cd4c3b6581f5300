"""Go module pieces on their own: versions, path escaping, major suffixes, go.mod retractions, the zip rules'
vendor quirk, and the go.sum / go.mod readers of `scan`."""

from __future__ import annotations

from pathlib import Path

import pytest

from ossprov.ecosystems.golang import gomod, modpath, ziprules
from ossprov.errors import InputError
from ossprov.scan.parsers import parse_file


def test_versions() -> None:
    pseudo = modpath.parse_version("v0.0.0-20240115120000-0123456789ab")
    assert pseudo.tag_version is None and pseudo.commit_prefix == "0123456789ab"
    assert modpath.parse_version("v1.2.4-0.20240115120000-0123456789ab").commit_prefix == "0123456789ab"
    assert modpath.parse_version("v2.0.0+incompatible").tag_version == "v2.0.0"
    assert modpath.parse_version("v1.2.3-rc.1").tag_version == "v1.2.3-rc.1"
    with pytest.raises(InputError):
        modpath.parse_version("1.2.3")
    assert sorted(["v1.10.0", "v1.2.0", "v1.2.0-rc.1"], key=modpath.semver_key) == ["v1.2.0-rc.1", "v1.2.0", "v1.10.0"]


def test_paths() -> None:
    assert modpath.escape("github.com/BurntSushi/toml") == "github.com/!burnt!sushi/toml"
    assert modpath.split_major("github.com/a/b/v2") == ("github.com/a/b", "/v2")
    assert modpath.split_major("gopkg.in/yaml.v3") == ("gopkg.in/yaml", ".v3")
    assert modpath.split_major("github.com/a/v1") == ("github.com/a/v1", "")
    where = modpath.locate("github.com/a/b/sub/v3")
    assert where and where.repository == "https://github.com/a/b" and where.code_dir == "sub"
    assert where.tag(modpath.parse_version("v3.1.0")) == "sub/v3.1.0"


def test_go_mod_retractions_and_deprecation() -> None:
    parsed = gomod.parse('// Deprecated: use example.org/new\nmodule example.org/old\n\ngo 1.21\n\n'
                         'require (\n\texample.org/a v1.0.0\n\texample.org/b v0.1.0 // indirect\n)\n\n'
                         'retract (\n\t// published by mistake\n\tv1.0.1\n\t[v1.1.0, v1.1.9] // broken\n)\n')
    assert parsed.module == "example.org/old" and parsed.deprecated == "use example.org/new"
    assert [(r.path, r.indirect) for r in parsed.requires] == [("example.org/a", False), ("example.org/b", True)]
    single, ranged = parsed.retraction("v1.0.1"), parsed.retraction("v1.1.5")
    assert single and single.rationale == "published by mistake"
    assert ranged and ranged.rationale == "broken"
    assert parsed.retraction("v1.2.0") is None


def test_vendor_rules_follow_the_go_version_of_the_module() -> None:
    old, new = b"module m\n\ngo 1.21\n", b"module m\n\ngo 1.24\n"
    paths = ["vendor/modules.txt", "vendor/a/b.go", "pkg/vendor/vendor.go", "pkg/vendor/foo/foo.go", "x/go.mod",
             "x/y.go", ".hg_archival.txt", "main.go"]
    # before 1.24 the offset quirk skips 8 characters from the start, so pkg/vendor/vendor.go counts as vendored
    assert ziprules.expected_files(paths, old) == {"vendor/modules.txt", "main.go"}
    assert ziprules.expected_files(paths, new) == {"pkg/vendor/vendor.go", "main.go"}


def test_h1_of_an_empty_file_set() -> None:
    assert ziprules.hash1([]) == "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="


def test_go_sum_reader(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.org/app\n\ngo 1.21\n\nrequire (\n\tgithub.com/a/b v1.0.0\n"
                                     "\tgithub.com/c/d v0.2.0 // indirect\n)\n")
    h1 = ziprules.hash1([("x", b"y")])
    (tmp_path / "go.sum").write_text(f"github.com/a/b v1.0.0 {h1}\ngithub.com/a/b v1.0.0/go.mod {h1}\n"
                                     f"github.com/c/d v0.2.0 {h1}\ngithub.com/e/f v1.0.0/go.mod {h1}\n")
    deps = {d.purl: d for d in parse_file(tmp_path / "go.sum").dependencies}
    assert set(deps) == {"pkg:golang/github.com/a/b@v1.0.0", "pkg:golang/github.com/c/d@v0.2.0"}
    assert deps["pkg:golang/github.com/a/b@v1.0.0"].direct is True
    assert deps["pkg:golang/github.com/c/d@v0.2.0"].direct is False
    assert deps["pkg:golang/github.com/a/b@v1.0.0"].hashes == {"h1": ziprules.h1_hex(h1)}
    (tmp_path / "go.sum").write_text("github.com/a/b v1.0.0 h1:notbase64!\n")
    with pytest.raises(InputError, match=r"go\.sum:1"):
        parse_file(tmp_path / "go.sum")
