"""Popular-name lists: the shipped snapshots, and loading a newer list that then takes precedence."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from ossprov.errors import InputError
from ossprov.threats import keyindex, popular
from ossprov.threats.squat import imitations


@pytest.mark.parametrize(("eco", "least"), [("npm", 5000), ("pypi", 5000), ("nuget", 1000), ("maven", 1000)])
def test_shipped_snapshots_are_dated_and_sized(eco: str, least: int) -> None:
    index = popular.load(eco)
    assert index.info.origin == "shipped" and index.info.date == "2026-11-24"
    assert index.info.count >= least and len(index.score) == index.info.count


def test_json_rows_update_takes_precedence(tmp_path: Path, data_dir: Path) -> None:
    src = tmp_path / "top.json"
    rows = [
        {"project": "Zyzzyva_Lib", "download_count": 10_000_000},
        {"project": "django", "download_count": 5},
    ]
    src.write_text(json.dumps({"last_update": "2026-12-01 10:00:00", "rows": rows}))
    info = popular.install_update(src, "pypi")
    assert Path(info.origin) == data_dir / "popular" / "pypi.tsv.gz"
    index = popular.load("pypi")
    assert index.info.date == "2026-12-01" and index.info.metric == "downloads"
    assert set(index.score) == {"zyzzyva-lib", "django"}
    assert [h.popular for h in imitations("pypi", "zyzzyva-lbi") if h.flagged] == ["zyzzyva-lib"]


def test_plain_list_is_a_ranking(tmp_path: Path) -> None:
    src = tmp_path / "names.txt"
    src.write_text("# my list\nleft-pad\n\n@acme/widget\n")
    popular.install_update(src, "npm")
    index = popular.load("npm")
    assert index.info.metric == "rank" and index.score["left-pad"] > index.score["@acme/widget"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"rows": [{"project": 3}]}', "project"),
        (b'{"rows": "x"}', "rows"),
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (b"good-name\nbad name with spaces\n", "not a valid PyPI project name"),
        (b"\n# only a comment\n", "no package names"),
        (gzip.compress(b"x")[:-4], "unreadable"),
    ],
)
def test_hostile_update_files_are_refused(
    tmp_path: Path, data_dir: Path, content: bytes, message: str
) -> None:
    src = tmp_path / "list"
    src.write_bytes(content)
    with pytest.raises(InputError, match=message):
        popular.install_update(src, "pypi")
    assert not (data_dir / "popular" / "pypi.tsv.gz").exists()


def test_corrupt_user_list_is_an_input_error(data_dir: Path) -> None:
    (data_dir / "popular").mkdir(parents=True)
    (data_dir / "popular" / "npm.tsv.gz").write_bytes(b"garbage")
    with pytest.raises(InputError, match="unreadable"):
        popular.load("npm")


@pytest.mark.parametrize("eco", ["npm", "pypi", "nuget", "maven"])
def test_shipped_key_index_is_current(eco: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped key index matches the snapshot and the key rules; else the rules changed without
    `python -m ossprov.threats.snapshot --keys-only --out src/ossprov/threats/data`."""
    monkeypatch.setattr(keyindex, "build", lambda *a: pytest.fail("shipped key index is stale"))
    popular._load_cached.cache_clear()
    assert popular.load(eco).keys.lines


def test_stale_key_index_is_recomputed_not_trusted(tmp_path: Path, data_dir: Path) -> None:
    src = tmp_path / "names.txt"
    src.write_text("cross-env\nlodash\n")
    popular.install_update(src, "npm")
    keys = popular.keys_path(popular.user_path("npm"))
    assert keys.exists()
    keys.write_bytes(keyindex.render(keyindex.KeyIndex(["c\tcrossenv\tlodash"], frozenset("x")), "stale"))
    popular._load_cached.cache_clear()
    assert [h.popular for h in imitations("npm", "crossenv") if h.flagged] == ["cross-env"]
