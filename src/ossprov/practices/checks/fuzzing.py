"""Fuzzing: OSS-Fuzz (CIFuzz) or ClusterFuzzLite set up, OneFuzz, or fuzz targets in the project's languages.

The OSS-Fuzz project list lives in another repository; without the network, OSS-Fuzz use is recognised by the
CIFuzz actions that run it from this repository's workflows."""

from __future__ import annotations

import re
from typing import ClassVar

from ossprov.practices.context import Context
from ossprov.practices.interface import Check, Inconclusive, Scored
from ossprov.practices.records import Probe, Risk
from ossprov.practices.workflows import action_name

FUZZ_TARGETS = (
    (re.compile(rb"^func\s+Fuzz\w*\s*\(\s*\w+\s+\*testing\.F\s*\)", re.MULTILINE), "Go native fuzz test", "_test.go"),
    (re.compile(rb"LLVMFuzzerTestOneInput"), "libFuzzer target", (".c", ".cc", ".cpp", ".cxx", ".h", ".rs")),
    (re.compile(rb"^\s*(?:import atheris|from atheris)", re.MULTILINE), "Atheris (Python) fuzz target", ".py"),
    (re.compile(rb"libfuzzer_sys::fuzz_target!|^\s*fuzz_target!", re.MULTILINE), "cargo-fuzz target", ".rs"),
    (re.compile(rb"com\.code_intelligence\.jazzer|@FuzzTest"), "Jazzer (JVM) fuzz target", (".java", ".kt")),
    (re.compile(rb"@jazzer\.js/"), "Jazzer.js fuzz target", (".js", ".ts", ".mjs", ".cjs")),
)
CIFUZZ = ("google/oss-fuzz/infra/cifuzz/actions", "google/clusterfuzzlite/actions")


def _candidate(path: str) -> bool:
    """Files worth reading for fuzz targets: Go tests (their convention) and anything named for fuzzing."""
    return path.endswith("_test.go") or "fuzz" in path.lower()


class Fuzzing(Check):
    name: ClassVar[str] = "Fuzzing"
    risk: ClassVar[Risk] = Risk.MEDIUM

    def probe(self, ctx: Context) -> list[Probe]:
        probes = [Probe("fuzzed", True, p, None, "ClusterFuzzLite is configured", {"tool": "ClusterFuzzLite"})
                  for p in ctx.files if p.startswith(".clusterfuzzlite/") and p.endswith(("Dockerfile", "project.yaml"))]
        if ".onefuzz" in ctx.files or any(p.startswith(".onefuzz/") for p in ctx.files):
            probes.append(Probe("fuzzed", True, ".onefuzz", None, "OneFuzz integration file found", {"tool": "OneFuzz"}))
        try:
            workflows = ctx.workflows()
        except Inconclusive:
            workflows = []  # fuzz targets in the tree still count
        probes += [Probe("fuzzed", True, w.path, s.line, f"{s.uses} runs OSS-Fuzz / ClusterFuzzLite fuzzing",
                         {"tool": "OSS-Fuzz"})
                   for w in workflows for s in w.steps() if s.uses and action_name(s.uses).startswith(CIFUZZ)]
        contents = ctx.read_many([p for p in ctx.files if _candidate(p)])
        for path, data in sorted(contents.items()):
            for pattern, label, suffixes in FUZZ_TARGETS:
                match = pattern.search(data) if path.endswith(suffixes) else None
                if match:
                    line = data.count(b"\n", 0, match.start()) + 1
                    probes.append(Probe("fuzzed", True, path, line, label, {"tool": label}))
                    break
        return probes or [Probe("fuzzed", False)]

    def score(self, probes: list[Probe]) -> Scored:
        if any(p.outcome for p in probes):
            kinds = sorted({p.message for p in probes if p.outcome})
            return 10, f"project is fuzzed: {'; '.join(kinds)}"
        return 0, "project is not fuzzed: integrate OSS-Fuzz or ClusterFuzzLite, or add fuzz targets"
