"""Checks that read the tree: binaries, license, security policy, fuzzing."""

from __future__ import annotations

from ossprov.practices.checks.binary_artifacts import BinaryArtifacts
from ossprov.practices.checks.fuzzing import Fuzzing
from ossprov.practices.checks.license import License
from ossprov.practices.checks.security_policy import SecurityPolicy

APACHE = "                                 Apache License\n                           Version 2.0, January 2004\n"


def test_binary_artifacts(tree_check):
    files = {"bin/tool.exe": b"MZ\x90\x00", "tools/helper": b"\x7fELF\x02\x01\x01" + b"\x00" * 64,
             "src/main.c": "int main(void) { return 0; }\n", "scripts/run": "#!/bin/sh\necho hi\n"}
    result = tree_check(BinaryArtifacts(), files)
    assert result.score == 8
    assert {d.path for d in result.details} == {"bin/tool.exe", "tools/helper"}
    assert tree_check(BinaryArtifacts(), {"src/main.c": "int x;\n"}).score == 10


def test_validated_gradle_wrapper_is_allowed(tree_check):
    jar = "gradle/wrapper/gradle-wrapper.jar"
    workflow = "on: push\njobs:\n  v:\n    runs-on: x\n    steps:\n      - uses: gradle/actions/wrapper-validation@v4\n"
    assert tree_check(BinaryArtifacts(), {jar: b"PK\x03\x04", ".github/workflows/v.yml": workflow}).score == 10
    assert tree_check(BinaryArtifacts(), {jar: b"PK\x03\x04"}).score == 9


def test_license(tree_check):
    assert tree_check(License(), {"LICENSE": APACHE}).score == 10
    assert tree_check(License(), {"COPYING.md": "All rights reserved, ask us.\n"}).score == 9
    assert tree_check(License(), {"LICENSES/MIT.txt": "MIT"}).score == 7
    assert tree_check(License(), {"docs/LICENSE": APACHE}).score == 0


def test_security_policy(tree_check):
    full = ("# Security\n\nReport vulnerabilities to security@acme.org. We answer within 5 days and disclose\n"
            "fixes after 90 days.\n")
    assert tree_check(SecurityPolicy(), {"SECURITY.md": full}).score == 10
    assert tree_check(SecurityPolicy(), {".github/security.md": "security@acme.org"}).score == 6
    assert tree_check(SecurityPolicy(), {"SECURITY.md": "Please be nice and tell us about issues here."}).score == 3
    assert tree_check(SecurityPolicy(), {"README.md": "x"}).score == 0


def test_fuzzing(tree_check):
    go_fuzz = "package p\n\nimport \"testing\"\n\nfunc FuzzParse(f *testing.F) {\n}\n"
    result = tree_check(Fuzzing(), {"parse_test.go": go_fuzz})
    assert result.score == 10 and (result.details[0].path, result.details[0].line) == ("parse_test.go", 5)
    assert tree_check(Fuzzing(), {".clusterfuzzlite/project.yaml": "language: c\n"}).score == 10
    assert tree_check(Fuzzing(), {"fuzz/fuzz_parse.py": "import atheris\n"}).score == 10
    assert tree_check(Fuzzing(), {"parse_test.go": "package p\nfunc TestParse(t *testing.T) {}\n"}).score == 0
