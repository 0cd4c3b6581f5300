"""Checks that read the tree, beyond the Scorecard tables of test_practices_scorecard: where fuzzing is found."""

from __future__ import annotations

from ossprov.practices.checks.fuzzing import Fuzzing


def test_fuzzing(tree_check):
    go_fuzz = "package p\n\nimport \"testing\"\n\nfunc FuzzParse(f *testing.F) {\n}\n"
    result = tree_check(Fuzzing(), {"parse_test.go": go_fuzz})
    assert result.score == 10 and (result.details[0].path, result.details[0].line) == ("parse_test.go", 5)
    assert tree_check(Fuzzing(), {".clusterfuzzlite/project.yaml": "language: c\n"}).score == 10
    assert tree_check(Fuzzing(), {"fuzz/fuzz_parse.py": "import atheris\n"}).score == 10
    assert tree_check(Fuzzing(), {"parse_test.go": "package p\nfunc TestParse(t *testing.T) {}\n"}).score == 0
