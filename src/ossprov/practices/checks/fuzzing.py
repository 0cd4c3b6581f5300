"""Fuzzing: OSS-Fuzz (CIFuzz) or ClusterFuzzLite set up, OneFuzz, or fuzz targets and property-based tests in
the project's languages (Scorecard v5: 10 when any is found, else 0).

The OSS-Fuzz project list lives in another repository; without the network, OSS-Fuzz use is recognised by the
CIFuzz actions that run it from this repository's workflows, and the reason of a 0 says so."""

from __future__ import annotations

import re
from typing import ClassVar

from ossprov.practices.context import Context
from ossprov.practices.interface import Check, Inconclusive, Scored
from ossprov.practices.records import Probe, Risk
from ossprov.practices.workflows import action_name

FUZZ_TARGETS = (
    (re.compile(rb"^func\s+Fuzz\w*\s*\(\s*\w+\s+\*testing\.F\s*\)", re.MULTILINE), "Go native fuzz test", ("_test.go",)),
    (re.compile(rb"LLVMFuzzerTestOneInput"), "libFuzzer target", (".c", ".cc", ".cpp", ".cxx", ".h", ".rs", ".swift")),
    (re.compile(rb"^\s*(?:import atheris|from atheris)", re.MULTILINE), "Atheris (Python) fuzz target", (".py",)),
    (re.compile(rb"libfuzzer_sys"), "cargo-fuzz target", (".rs",)),
    (re.compile(rb"com\.code_intelligence\.jazzer|@FuzzTest"), "Jazzer (JVM) fuzz target", (".java", ".kt")),
    (re.compile(rb"@jazzer\.js/"), "Jazzer.js fuzz target", (".js", ".ts", ".mjs", ".cjs")),
    (re.compile(rb"""from\s+['"](?:fast-check|@fast-check/(?:ava|jest|vitest))['"]|"""
                rb"""require\(\s*['"](?:fast-check|@fast-check/(?:ava|jest|vitest))['"]\s*\)"""),
     "fast-check property-based tests", (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs")),
    (re.compile(rb"import\s+(?:qualified\s+)?Test\.(?:(?:Hspec|Tasty)\.)?(?:QuickCheck|Hedgehog|Validity|SmallCheck)"),
     "Haskell property-based tests", (".hs", ".lhs")),
    (re.compile(rb"""-include_lib\("(?:eqc|proper)/include/(?:eqc|proper)\.hrl"\)\."""), "Erlang property-based tests",
     (".erl", ".hrl")),
    (re.compile(rb"use\s+(?:PropCheck|ExUnitProperties)"), "Elixir property-based tests", (".ex", ".exs")),
)
"""Scorecard's fuzzers and property-based testing libraries by language (its fuzzing.go), each looked for in
the files of its extensions; plus Jazzer.js and Kotlin, which Scorecard does not list."""
SUFFIXES = tuple(sorted({suffix for _, _, suffixes in FUZZ_TARGETS for suffix in suffixes}))
CIFUZZ = ("google/oss-fuzz/infra/cifuzz/actions", "google/clusterfuzzlite/actions")


def _targets(ctx: Context) -> list[Probe]:
    """Fuzz targets and property-based tests in the tree, the files streamed one at a time."""
    by_blob: dict[str, list[str]] = {}
    for path, sha in ctx.files.items():
        if path.endswith(SUFFIXES):
            by_blob.setdefault(sha, []).append(path)
    probes = []
    for sha, data in ctx.repo.read_blobs(by_blob):
        for path in by_blob[sha]:
            for pattern, label, suffixes in FUZZ_TARGETS:
                match = pattern.search(data) if path.endswith(suffixes) else None
                if match:
                    line = data.count(b"\n", 0, match.start()) + 1
                    probes.append(Probe("fuzzed", True, path, line, label, {"tool": label}))
                    break
    return sorted(probes, key=lambda p: p.path or "")


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
        probes += _targets(ctx)
        return probes or [Probe("fuzzed", False)]

    def score(self, probes: list[Probe]) -> Scored:
        if any(p.outcome for p in probes):
            kinds = sorted({p.message for p in probes if p.outcome})
            return 10, f"project is fuzzed: {'; '.join(kinds)}"
        return 0, ("project is not fuzzed: integrate OSS-Fuzz or ClusterFuzzLite, or add fuzz targets (OSS-Fuzz's "
                   "project list is not read offline: a project fuzzed there without CIFuzz is not seen)")
