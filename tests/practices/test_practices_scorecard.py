"""Agreement with Scorecard v5: each probe on a fixture repository where it holds and one where it does not,
a table of scores on fixture repositories (the numbers the real `scorecard --local` gives them), and a
stored result re-scored from its findings alone."""

from __future__ import annotations

import dataclasses

import pytest

from ossprov.model import to_json
from ossprov.practices.checks import BY_NAME
from ossprov.practices.records import PracticesResult
from ossprov.practices.runner import assess
from ossprov.practices.scoring import aggregate, rescore, rescore_document
from tests.practices.scorecard_cases import PROBES, SCORES


def _label(case: tuple) -> str:
    return f"{case[0]}-{'-'.join(sorted(case[1]))[:40]}"


@pytest.mark.parametrize("case", PROBES, ids=[f"{_label(c)}-{c[2]}-{c[3]}" for c in PROBES])
def test_probe_outcome(tree_check, case):
    check, files, probe, outcomes = case
    result = tree_check(BY_NAME[check], files)
    assert [p.outcome for p in result.probes if p.name == probe] == outcomes


@pytest.mark.parametrize("case", SCORES, ids=[f"{_label(c)}-{c[2]}" for c in SCORES])
def test_score_as_scorecard(tree_check, case):
    check, files, expected = case
    result = tree_check(BY_NAME[check], files)
    assert result.score == expected, result.reason


def test_binary_findings_point_at_the_files(tree_check):
    files = {"build/addon.node": b"\x7fELF" + b"\x00" * 60, "lib/notes.a": "text\n", "lib/real.a": b"!<arch>\n"}
    result = tree_check(BY_NAME["Binary-Artifacts"], files)
    assert {(d.path, d.message) for d in result.details} == {
        ("build/addon.node", "binary file (ELF executable) in the repository"),
        ("lib/real.a", "binary file (ar archive (static library)) in the repository")}


def test_validated_gradle_wrapper_is_allowed(tree_check):
    jar = "gradle/wrapper/gradle-wrapper.jar"
    validation = "on: push\njobs:\n  v:\n    runs-on: x\n    steps:\n      - uses: gradle/actions/wrapper-validation@v4\n"
    zipped = b"PK\x03\x04\x14\x00\x00\x00\x08\x00"
    assert tree_check(BY_NAME["Binary-Artifacts"], {jar: zipped, ".github/workflows/v.yml": validation}).score == 10
    assert tree_check(BY_NAME["Binary-Artifacts"], {jar: zipped}).score == 9


def test_stored_result_rescores_from_its_findings(make_repo):
    fixture = make_repo()
    fixture.commit({"LICENSE": "MIT License\n\nPermission is hereby granted, free of charge, to any person\n",
                    ".github/workflows/ci.yml": "on: push\njobs:\n  b:\n    runs-on: x\n    steps:\n"
                                                "      - uses: acme/tool@v1\n      - run: pip install requests\n"},
                   days_ago=200)
    result = assess(str(fixture.path), token_env=None)
    assert rescore(result) == result
    # A result whose scores were lost (or made by older rules) gets them back from the findings alone.
    blanked = dataclasses.replace(result, checks=tuple(dataclasses.replace(c, score=0, reason="") for c in
                                                       result.checks if c.probes), score=None)
    again = rescore(blanked)
    scored = {c.name: c.score for c in result.checks if c.probes}
    assert {c.name: c.score for c in again.checks} == scored
    assert again.score == aggregate(again.checks)[0]
    assert scored["Pinned-Dependencies"] == 0 and scored["License"] == 10
    # The same from the JSON document the command prints and the store keeps.
    document = to_json(blanked)
    again_json = rescore_document(document)
    assert {c["name"]: c["score"] for c in again_json["checks"]} == scored
    assert again_json["score"] == again.score and again_json["repository"] == result.repository


def test_rescore_keeps_checks_that_could_not_probe():
    kept = PracticesResult("r", "c", None, ("SAST",), (BY_NAME["SAST"].scored([]),))
    assert rescore(kept).checks[0].score == 0  # a probed check with no findings is re-scored
    unprobed = dataclasses.replace(kept.checks[0], score=-1, reason="no GitHub workflows found")
    assert rescore(dataclasses.replace(kept, checks=(unprobed,))).checks[0] == unprobed
