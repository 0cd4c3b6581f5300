"""Squat checks for Go module paths and crates: owner squats of a module path are flagged, paths its own
publisher could publish are not, crates compare with the crate registry's folding of case and `-`/`_`, and the shipped
snapshots say where they came from and flag few legitimate names they do not list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ossprov.commands.squat import command
from ossprov.errors import InputError
from ossprov.threats import gopaths, names
from ossprov.threats.popular import install_update, load
from ossprov.threats.squat import imitations

DATA = Path(__file__).parent / "data"
GO_POPULAR = ["github.com/stretchr/testify", "github.com/spf13/cobra", "github.com/sirupsen/logrus",
              "golang.org/x/net", "gopkg.in/yaml.v3", "github.com/gin-gonic/gin", "github.com/google/uuid"]
CRATES = ["serde", "reqwest", "tokio", "serde_json", "rand", "cfg-if", "proc-macro2", "anyhow"]


@pytest.fixture
def go_list(tmp_path: Path) -> None:
    listing = tmp_path / "go-popular.txt"
    listing.write_text("\n".join(GO_POPULAR) + "\n")
    install_update(listing, "golang")


@pytest.fixture
def crate_list(tmp_path: Path) -> None:
    listing = tmp_path / "crates.txt"
    listing.write_text("\n".join(CRATES) + "\n")
    install_update(listing, "cargo")


def flagged(ecosystem: str, name: str) -> list[str]:
    return [h.popular for h in imitations(ecosystem, name) if h.flagged]


@pytest.mark.parametrize(("name", "popular"), [
    ("github.com/stretchr-/testify", "github.com/stretchr/testify"),  # owner with a separator added
    ("github.com/strechr/testify", "github.com/stretchr/testify"),  # owner with a letter dropped
    ("github.com/gin-gonlc/gin", "github.com/gin-gonic/gin"),  # look-alike letter in the owner
    ("github.com/googIe/uuid", "github.com/google/uuid"),  # capital I for l
    ("go1ang.org/x/net", "golang.org/x/net"),  # the vanity domain imitated
    ("gopkg.in/yamI.v3", "gopkg.in/yaml.v3"),  # another GitHub account behind gopkg.in
    ("gitlab.com/stretchr/testify", "github.com/stretchr/testify"),  # the account name taken on another forge
])
def test_go_paths_with_another_publisher_are_flagged(go_list: None, name: str, popular: str) -> None:
    assert flagged("golang", name) == [popular]


@pytest.mark.parametrize("name", [
    "github.com/stretchr/testfy",  # under stretchr: only stretchr could publish it
    "github.com/spf13/cobraa",
    "github.com/Sirupsen/logrus",  # the same GitHub account (accounts are case-insensitive)
    "github.com/stretchr/testify/v2",  # the module's next major version
    "golang.org/x/nett",  # golang.org's own
    "github.com/someone/testify",  # a fork under an unrelated account
])
def test_go_paths_their_publisher_owns_or_unrelated_forks_are_not_flagged(go_list: None, name: str) -> None:
    assert flagged("golang", name) == []
    hits = imitations("golang", name)
    assert all("published under" in h.reason for h in hits)


def test_publisher_of_a_module_path() -> None:
    assert gopaths.publisher("github.com/Sirupsen/logrus") == "github.com/sirupsen"
    assert gopaths.publisher("gopkg.in/yaml.v3") == "github.com/go-yaml"
    assert gopaths.publisher("gopkg.in/src-d/go-git.v4") == "github.com/src-d"
    assert gopaths.publisher("go.uber.org/zap") == "go.uber.org"


def test_crate_names_fold_case_and_separators(crate_list: None) -> None:
    assert names.canonical("cargo", "Serde_JSON") == "serde-json"
    assert flagged("cargo", "serde-json") == []  # the same crate to the crate registry
    assert flagged("cargo", "cfgif") == ["cfg-if"]
    assert flagged("cargo", "proc-macro-2") == ["proc-macro2"]
    assert flagged("cargo", "tokioo") == ["tokio"]
    assert flagged("cargo", "serde-rs") == ["serde"]  # the ecosystem word `rs`
    assert flagged("cargo", "reqwests") == ["reqwest"]


def test_squat_command_takes_go_and_crate_purls(go_list: None, crate_list: None) -> None:
    runner = CliRunner(env={"COLUMNS": "300"})
    out = runner.invoke(command, ["pkg:golang/github.com/stretchr-/testify@v1.8.4", "--offline", "--format", "json"])
    doc = json.loads(out.output)
    assert out.exit_code == 0 and doc["worst"] == "medium" and doc["hits"][0]["popular"] == "github.com/stretchr/testify"
    out = runner.invoke(command, ["tokioo", "--ecosystem", "cargo", "--offline", "--format", "json"])
    assert json.loads(out.output)["hits"][0]["popular"] == "tokio"


@pytest.mark.parametrize(("ecosystem", "source"), [("golang", "Go module proxy"), ("cargo", "blessed.rs")])
def test_shipped_snapshots_say_where_they_came_from(ecosystem: str, source: str) -> None:
    info = load(ecosystem).info
    assert info.origin == "shipped" and info.metric == "listed" and source in info.source
    assert info.date[:4].isdigit() and info.count > 300


@pytest.mark.parametrize("ecosystem", ["golang", "cargo"])
def test_few_legitimate_names_outside_the_shipped_snapshot_are_flagged(ecosystem: str) -> None:
    """Modules in this machine's Go module cache and crates the Cargo.lock files of ripgrep and alacritty pin,
    none of them in the snapshot."""
    legit = (DATA / f"legit_{ecosystem}.txt").read_text().split()
    index = load(ecosystem)
    assert not {names.canonical(ecosystem, n) for n in legit} & set(index.score)
    wrong = [n for n in legit if [h for h in imitations(ecosystem, n, index) if h.flagged]]
    print(f"\n{ecosystem}: false positives {len(wrong)}/{len(legit)}: {wrong[:12]}")
    assert len(wrong) <= len(legit) // 100


@pytest.mark.parametrize(("ecosystem", "name"), [("cargo", "9lives"), ("cargo", "serde json"), ("cargo", "a" * 65),
                                                  ("golang", "testify"), ("golang", "GitHub.com/x/y"),
                                                  ("golang", "github.com/x y/z")])
def test_names_the_ecosystem_could_not_publish_are_refused(ecosystem: str, name: str) -> None:
    out = CliRunner().invoke(command, [name, "--ecosystem", ecosystem, "--offline"])
    assert isinstance(out.exception, InputError) and "is not a" in str(out.exception)  # exit 2 from the CLI
