"""Workflow-based checks on real fixture repositories, with Scorecard's exact scores."""

from __future__ import annotations

from ossprov.practices.checks.dangerous_workflow import DangerousWorkflow
from ossprov.practices.checks.dependency_update_tool import DependencyUpdateTool
from ossprov.practices.checks.packaging import Packaging
from ossprov.practices.checks.pinned_dependencies import PinnedDependencies
from ossprov.practices.checks.sast import Sast
from ossprov.practices.checks.token_permissions import TokenPermissions

SHA = "8f4b7f84864484a7bf31766abe9204da3cbe65b3"
WF = ".github/workflows/ci.yml"


def untrusted_checkout(trigger: str) -> str:
    return f"""name: build
on:
  {trigger}:
    branches: [main]
permissions: read-all
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@{SHA}
        with:
          ref: ${{{{ github.event.pull_request.head.sha }}}}
      - run: ./build.sh
"""


def test_pull_request_target_checking_out_head_scores_0(tree_check):
    result = tree_check(DangerousWorkflow(), {WF: untrusted_checkout("pull_request_target")})
    assert result.score == 0
    assert result.details[0].path == WF and result.details[0].line == 10
    assert "untrusted" in result.details[0].message


def test_same_workflow_on_pull_request_scores_10(tree_check):
    assert tree_check(DangerousWorkflow(), {WF: untrusted_checkout("pull_request")}).score == 10


def test_script_injection_points_at_the_script_line(tree_check):
    workflow = """on: issues
jobs:
  greet:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo hello
          echo "${{ github.event.issue.title }}"
      - run: echo "${{ github.event.issue.number }}"
"""
    result = tree_check(DangerousWorkflow(), {WF: workflow})
    assert result.score == 0
    assert [(d.path, d.line) for d in result.details] == [(WF, 8)]


def test_malformed_and_binary_workflows_are_inconclusive_not_crashes(tree_check):
    broken = tree_check(DangerousWorkflow(), {WF: "on: [push\njobs: {"})
    assert broken.score == -1 and "not valid YAML" in broken.reason and WF in broken.reason
    junk = tree_check(TokenPermissions(), {WF: bytes(range(256)) * 4, ".github/junk.bin": b"\x00\xff" * 50})
    assert junk.score == -1 and "not UTF-8" in junk.reason
    not_mapping = tree_check(Sast(), {WF: "- just\n- a list\n"})
    assert not_mapping.score == -1
    # Unreadable workflows do not hide a configured update tool.
    assert tree_check(DependencyUpdateTool(), {WF: "{", ".github/dependabot.yml": "version: 2"}).score == 10


def test_no_workflows_is_inconclusive(tree_check):
    assert tree_check(DangerousWorkflow(), {"README": "x"}).score == -1


def test_pinned_dependencies_mixed(tree_check):
    workflow = f"""on: push
permissions: read-all
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@{SHA}
      - uses: acme/tool@v1
      - run: npm ci
"""
    files = {WF: workflow, "Dockerfile": "FROM python:3.12 AS base\nRUN pip install --require-hashes -r r.txt\n"
             "FROM base\n", "scripts/install.sh": "#!/bin/sh\ncurl -fsSL https://get.example/x.sh | sh\n"}
    result = tree_check(PinnedDependencies(), files)
    assert result.score == 3  # the formula is in scorecard_cases
    places = {(d.path, d.line) for d in result.details}
    assert places == {(WF, 8), ("Dockerfile", 1), ("Dockerfile", 3), ("scripts/install.sh", 2)}


def test_pinned_dependencies_all_pinned_and_none(tree_check):
    workflow = (f"on: push\njobs:\n  b:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@{SHA}\n"
                f"      - uses: docker://alpine@sha256:{'a' * 64}\n      - run: pip install --require-hashes -r r\n")
    assert tree_check(PinnedDependencies(), {WF: workflow}).score == 10
    assert tree_check(PinnedDependencies(), {"README.md": "hi"}).score == -1
    unpinned = tree_check(PinnedDependencies(), {"go.sh": "go install golang.org/x/tools/cmd/goimports@latest\n"
                                                 "pip install requests\nnpm install\n"})
    assert unpinned.score == 0 and len(unpinned.details) == 3


def test_dependency_update_tool(tree_check):
    assert tree_check(DependencyUpdateTool(), {".github/dependabot.yml": "version: 2\n"}).score == 10
    assert tree_check(DependencyUpdateTool(), {"renovate.json": "{}"}).score == 10
    assert tree_check(DependencyUpdateTool(), {"README": "x"}).score == 0


def _steps(trigger: str, *steps: str) -> str:
    return f"on: {trigger}\njobs:\n  j:\n    runs-on: x\n    steps:\n" + "".join(f"      - {s}\n" for s in steps)


def test_sast(tree_check):
    codeql = _steps("push", "uses: github/codeql-action/init@v3", "uses: github/codeql-action/analyze@v3")
    assert tree_check(Sast(), {WF: codeql}).score == 10
    assert tree_check(Sast(), {WF: _steps("push", "run: make")}).score == 0


def test_packaging(tree_check):
    assert tree_check(Packaging(), {WF: _steps("release", "uses: pypa/gh-action-pypi-publish@release/v1")}).score == 10
    missing = tree_check(Packaging(), {WF: _steps("push", "run: make")})
    assert missing.score == -1 and "not detected" in missing.reason
