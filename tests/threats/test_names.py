"""Name normalisation and the character-level families."""

from __future__ import annotations

import pytest
from rapidfuzz.distance import DamerauLevenshtein

from ossprov.threats import names
from ossprov.threats.typo import KEYBOARD, Family, classify, generate, neighbours


def test_canonical_forms() -> None:
    assert names.canonical("pypi", "Python_Dateutil") == "python-dateutil"
    assert names.canonical("nuget", "Newtonsoft.Json") == "newtonsoft.json"
    assert names.canonical("maven", "org.Apache/Commons") == "org.apache:commons"
    assert names.split_scope("@types/node") == ("types", "node")


def test_keys() -> None:
    assert names.skeleton("jeIlyfish") == "jellyfish" and names.skeleton("rnongoose") == "mongoose"
    assert names.skeleton("lоdash") == "lodash"  # Cyrillic о
    assert names.strip_ecosystem_words("pypi", "python3-dateutil") == "dateutil"
    assert names.strip_ecosystem_words("npm", "nodefabric") == "fabric"
    assert names.strip_suffix("urllib3") == "urllib" and names.strip_suffix("requests") == "request"


@pytest.mark.parametrize(
    ("candidate", "popular", "family"),
    [
        ("mongose", "mongoose", Family.OMITTED),
        ("lodashh", "lodash", Family.REPEATED),
        ("loadsh", "lodash", Family.SWAPPED),
        ("lodaah", "lodash", Family.KEYBOARD),
        ("l0dash", "lodash", Family.HOMOGLYPH),
        ("lodazh", "lodash", Family.KEYBOARD),
        ("lodqsh", "lodash", Family.KEYBOARD),
        ("lodxsh", "lodash", Family.SUBSTITUTED),
        ("requestsp", "requests", Family.INSERTED),
    ],
)
def test_classify(candidate: str, popular: str, family: Family) -> None:
    assert classify(candidate, popular) == (family, 1)


def test_generate_round_trips_through_classify() -> None:
    for variant, family in generate("lodash"):
        if family is not Family.HOMOGLYPH:
            kind = classify(variant, "lodash")
            assert kind is not None and kind[1] == 1, variant
    assert "q" in KEYBOARD["a"] and "p" not in KEYBOARD["a"]


@pytest.mark.parametrize("bad", ["", "a b", "x" * 215, "bad\x00name"])
def test_invalid_names(bad: str) -> None:
    with pytest.raises(names.InputError):
        names.validate("pypi", bad)


def test_one_edit_neighbours_cover_every_edit_kind() -> None:
    found = neighbours("abc", "abcx")
    assert {"bc", "bac", "xbc", "abxc", "abcx"} <= found and "abc" not in found
    assert all(DamerauLevenshtein.distance("abc", n) == 1 for n in found)


def test_two_letter_last_word_keeps_its_s() -> None:
    assert names.strip_suffix("pgvecto-rs") != "pgvector" and names.strip_suffix("requests") == "request"
