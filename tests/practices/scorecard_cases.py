"""Fixture trees for the Scorecard agreement tests: one per probe outcome, and the scores Scorecard v5.4.0
gives them. Each was checked against the real `scorecard --local` (`--format probe` for the findings) where
it runs locally; where ossprov differs on purpose, the comment says what Scorecard answers. The formula is
in the comment where a score is not obvious."""

from __future__ import annotations

SHA = "8f4b7f84864484a7bf31766abe9204da3cbe65b3"
WF = ".github/workflows/ci.yml"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x03\x00\x3e\x00" + b"\x00" * 60
MIT = "MIT License\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\n"


def workflow(top: str = "", job: str = "", steps: tuple[str, ...] = ("run: make",), on: str = "push",
             setup: str = "") -> str:
    """A one-job workflow; `top` and `job` are `permissions:` blocks, `setup` extra lines of the job."""
    body = "".join(f"      - {s}\n" for s in steps)
    return f"on: {on}\n{top}jobs:\n  build:\n{job}{setup}    runs-on: ubuntu-latest\n    steps:\n{body}"


PNPM_RELEASE = workflow(on="release", steps=(
    "uses: actions/setup-node@v4\n        with:\n          registry-url: https://registry.example/",
    "run: pnpm install", "run: pnpm release --publishOnly"))

PROBES = [
    # (check, files, probe, outcomes of that probe)
    ("Binary-Artifacts", {"build/addon.node": ELF}, "hasUnverifiedBinaryArtifacts", [True]),
    ("Binary-Artifacts", {"lib/notes.a": "plain text notes\n"}, "hasUnverifiedBinaryArtifacts", [False]),
    ("Binary-Artifacts", {"bin/stub": b"\x7fELF\x01"}, "hasUnverifiedBinaryArtifacts", [True]),  # Scorecard: False
    ("Binary-Artifacts", {"bin/tool.exe": b"MZ\x90\x00\x03\x00\x00\x00"}, "hasUnverifiedBinaryArtifacts", [True]),
    ("Binary-Artifacts", {"docs/MZ.txt": "MZ is a letter pair\n"}, "hasUnverifiedBinaryArtifacts",
     [False]),  # Scorecard: True (any file starting with "MZ")
    ("License", {"LICENSE": MIT}, "hasLicenseFile", [True]),
    ("License", {"README.md": "x"}, "hasLicenseFile", [False]),
    ("License", {"LICENSE": MIT}, "hasFSFOrOSIApprovedLicense", [True]),  # Scorecard: False (reads only names)
    ("License", {"LICENSES/Apache-2.0.txt": "see the name"}, "hasFSFOrOSIApprovedLicense", [True]),
    ("License", {"COPYING": "All rights reserved.\n"}, "hasFSFOrOSIApprovedLicense", [False]),
    ("Packaging", {WF: PNPM_RELEASE}, "packagedWithAutomatedWorkflow", [True]),
    ("Packaging", {WF: workflow(steps=("run: npm publish",))}, "packagedWithAutomatedWorkflow", [False]),
    ("Packaging", {WF: workflow(steps=("uses: pypa/gh-action-pypi-publish@release/v1",))},
     "packagedWithAutomatedWorkflow", [True]),
    ("Packaging", {WF: workflow(on="release", steps=("run: uv build", "run: uv publish"))},
     "packagedWithAutomatedWorkflow", [True]),  # ossprov: Scorecard has no pattern for it
    ("Token-Permissions", {WF: workflow(top="permissions: read-all\n")}, "topLevelPermissions", [True]),
    ("Token-Permissions", {WF: workflow()}, "topLevelPermissions", [False]),
    ("Token-Permissions", {WF: workflow(job="    permissions:\n      contents: read\n")}, "jobLevelPermissions",
     [True]),
    ("Token-Permissions", {WF: workflow(job="    permissions:\n      contents: write\n")}, "jobLevelPermissions",
     [False]),
    ("Pinned-Dependencies", {WF: workflow(steps=(f"uses: actions/checkout@{SHA}",))}, "pinsDependencies", [True]),
    ("Pinned-Dependencies", {WF: workflow(steps=("uses: acme/tool@v1",))}, "pinsDependencies", [False]),
    ("Dangerous-Workflow", {WF: workflow(on="pull_request_target", steps=(
        "uses: actions/checkout@v4\n        with:\n          ref: ${{ github.event.pull_request.head.sha }}",))},
     "hasDangerousWorkflowUntrustedCheckout", [True]),
    ("Dangerous-Workflow", {WF: workflow(on="issues", steps=('run: echo "${{ github.event.issue.title }}"',))},
     "hasDangerousWorkflowScriptInjection", [True]),
    ("Dangerous-Workflow", {WF: workflow(on="issues", steps=('run: echo "${{ github.event.issue.number }}"',))},
     "hasDangerousWorkflowScriptInjection", [False]),
    ("Dependency-Update-Tool", {".github/dependabot.yml": "version: 2\n"}, "dependencyUpdateToolConfigured", [True]),
    ("Dependency-Update-Tool", {"README": "x"}, "dependencyUpdateToolConfigured", [False]),
    ("SAST", {WF: workflow(steps=("uses: github/codeql-action/analyze@v3",))}, "sastToolConfigured", [True]),
    ("SAST", {WF: workflow()}, "sastToolConfigured", [False]),
    ("SAST", {WF: workflow(steps=("uses: github/codeql-action/init@v3",))}, "sastToolConfigured", [False]),
    ("SAST", {WF: workflow(steps=("uses: ossf/scorecard-action@v2",))}, "sastToolConfigured", [False]),
    ("SAST", {"pom.xml": "<project><properties><sonar.host.url>https://sonar.example</sonar.host.url>"
                         "</properties></project>"}, "sastToolConfigured", [True]),
    ("SAST", {WF: workflow(steps=("run: semgrep ci",))}, "sastToolConfigured", [True]),  # Scorecard: False
    ("Fuzzing", {"fuzz_test.go": "package p\nimport \"testing\"\nfunc FuzzX(f *testing.F) {}\n"}, "fuzzed", [True]),
    ("Fuzzing", {"x_test.go": "package p\n"}, "fuzzed", [False]),
    ("Fuzzing", {"test/parse.test.ts": "import fc from 'fast-check'\n"}, "fuzzed", [True]),
    ("Fuzzing", {"src/Spec.hs": "import qualified Test.QuickCheck as Q\n"}, "fuzzed", [True]),
    ("Fuzzing", {"src/lib.rs": "// no fuzzing here\n"}, "fuzzed", [False]),
    ("Security-Policy", {"SECURITY.md": "Mail security@acme.org\n"}, "securityPolicyPresent", [True]),
    ("Security-Policy", {"README.md": "x"}, "securityPolicyPresent", [False]),
    ("Security-Policy", {"SECURITY.md": "Mail security@acme.org\n"}, "securityPolicyContainsLinks", [True]),
    ("Security-Policy", {"SECURITY.md": "Tell us about it please.\n"}, "securityPolicyContainsLinks", [False]),
    ("Security-Policy", {"SECURITY.md": "security@acme.org"}, "securityPolicyContainsText", [False]),
    ("Security-Policy", {"SECURITY.md": "Vulnerability disclosure: 90 days\n"},
     "securityPolicyContainsVulnerabilityDisclosure", [True]),
]

SCORES = [
    # (check, files, Scorecard v5's score)
    ("Binary-Artifacts", {"build/addon.node": ELF, "bin/tool.exe": b"MZ\x90\x00\x03\x00\x00\x00",
                          "lib/notes.a": "text\n"}, 8),  # 10 − 2 binaries
    ("Binary-Artifacts", {"src/main.c": "int main(void) { return 0; }\n"}, 10),
    ("License", {"LICENSES/MIT.txt": "MIT"}, 10),  # v5: 9 for the file, +1 for the SPDX id in its name
    ("License", {"COPYING.md": "All rights reserved, ask us.\n"}, 9),
    ("License", {"docs/LICENSE": MIT}, 0),
    ("Packaging", {WF: PNPM_RELEASE}, 10),
    ("Packaging", {WF: workflow()}, -1),
    ("Token-Permissions", {WF: workflow(top="permissions: read-all\n")}, 10),
    ("Token-Permissions", {WF: workflow()}, 0),  # neither the workflow nor its job declares permissions
    ("Token-Permissions", {WF: workflow(job="    permissions:\n      contents: read\n")}, 9),  # 10 − 0.5
    ("Token-Permissions", {WF: workflow(top="permissions: read-all\n",
                                        job="    permissions:\n      statuses: write\n")}, 10),
    ("Token-Permissions", {WF: workflow(top="permissions: {}\n",
                                        job="    permissions:\n      contents: write\n")}, 10),  # job writes are free
    ("Token-Permissions", {WF: workflow(top="permissions: write-all\n")}, 0),  # write-all, job undeclared
    ("Token-Permissions", {WF: workflow(top="permissions: write-all\n",
                                        job="    permissions:\n      contents: read\n")}, 9),  # 10 − 0.5
    ("Token-Permissions", {WF: workflow(top="permissions:\n  contents: write\n")}, 0),  # 10 − 10
    ("Token-Permissions", {WF: workflow(top="permissions:\n  statuses: write\n  checks: write\n")}, 9),
    ("Token-Permissions", {WF: workflow(top="permissions:\n  security-events: write\n")}, 9),  # 10 − 1
    ("Token-Permissions", {WF: workflow(top="permissions:\n  pull-requests: write\n")}, 10),  # not watched
    ("Token-Permissions", {f".github/workflows/w{n}.yml": workflow(job="    permissions: read-all\n")
                           for n in range(3)}, 8),  # 10 − 3 × 0.5
    # 10 pinned GitHub actions and one unpinned pip install: one ratio, 10·(10·10 + 0·10) // (10·10 + 1·10) = 9
    # (averaging per type would give 5).
    ("Pinned-Dependencies", {WF: workflow(steps=(*[f"uses: actions/checkout@{SHA}"] * 10,
                                                 "run: pip install requests"))}, 9),
    # owned 1/1 ×2, third-party 0/1 ×8, npm ci 1/1, image 0/1, pip --require-hashes 1/1, curl|sh 0/1 (×10 each):
    # `FROM base` counts again, as unpinned as its stage: 10·(2 + 10 + 10) // (2 + 8 + 50) = 3
    ("Pinned-Dependencies", {
        WF: workflow(steps=(f"uses: actions/checkout@{SHA}", "uses: acme/tool@v1", "run: npm ci")),
        "Dockerfile": "FROM python:3.12 AS base\nRUN pip install --require-hashes -r r.txt\nFROM base\n",
        "scripts/install.sh": "#!/bin/sh\ncurl -fsSL https://get.example/x.sh | sh\n"}, 3),
    ("Pinned-Dependencies", {"README.md": "hi"}, -1),
    # `docker://` steps are GitHub Actions to Scorecard (third-party, pinned by digest); run steps in a shell it
    # cannot read (PowerShell on Windows, an expression) are skipped; scripts are found by shebang too.
    ("Pinned-Dependencies", {WF: workflow(steps=(f"uses: docker://alpine@sha256:{'a' * 64}", "uses: docker://alpine:3",
                                                 "run: pip install requests\n        shell: pwsh",
                                                 "run: npm install\n        shell: ${{ matrix.shell }}"))}, 5),
    ("Pinned-Dependencies", {WF: workflow(steps=(f"uses: actions/checkout@{SHA}", "run: pip install requests")).replace(
        "runs-on: ubuntu-latest", "runs-on: windows-latest"), "tools/setup": "#!/usr/bin/env bash\nnpm install\n",
        "tools/setup.sh": "#!/usr/bin/env python3\nimport os\nos.system('pip install x')\n"}, 5),  # 1/1 action, 0/1 npm
    ("Dangerous-Workflow", {WF: workflow(on="issues", steps=('run: echo "${{ github.event.issue.title }}"',))}, 0),
    ("Dangerous-Workflow", {WF: workflow(on="pull_request")}, 10),
    ("Dependency-Update-Tool", {"renovate.json": "{}"}, 10),
    ("Dependency-Update-Tool", {"README": "x"}, 0),
    ("SAST", {WF: workflow(steps=("uses: github/codeql-action/analyze@v3",))}, 10),
    ("SAST", {WF: workflow(steps=("uses: github/codeql-action/init@v3",))}, 0),
    ("Fuzzing", {"fuzz/fuzz_parse.py": "import atheris\n"}, 10),
    ("Fuzzing", {"README": "x"}, 0),
    ("Security-Policy", {"SECURITY.md": "# Security\n\nReport vulnerabilities to security@acme.org. We answer "
                                        "within 5 days and disclose fixes after 90 days.\n"}, 10),
    ("Security-Policy", {"SECURITY.md": "security@acme.org"}, 6),
    ("Security-Policy", {"SECURITY.md": "Please be nice and tell us about issues here."}, 3),
]
