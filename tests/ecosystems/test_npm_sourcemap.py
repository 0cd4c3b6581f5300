"""A source map vouches for its generated file only when the file is what the map describes."""

from __future__ import annotations

from ossprov.ecosystems.npm import sourcemap
from ossprov.fixtures.jsbuild import compile_ts

SOURCE = ("import { readFile } from './read-file.js';\n"
          "export const usage = `usage: tool <path>\nremoves \"path\"`;\n"
          "export const bad = /[*|\"<>]/;\n")


def test_compiler_output_with_a_shebang_is_consistent_with_its_map() -> None:
    """Regular-expression literals with quotes, multi-line template literals, and a bundler's shebang line."""
    js, source_map = compile_ts(SOURCE, "../src/bin.ts", "bin.js")
    js = "#!/usr/bin/env node\n" + js
    result = sourcemap.check(js, source_map.replace('"mappings": "', '"mappings": ";'), {"../src/bin.ts": SOURCE})
    assert result.consistent, result.detail


def test_appended_and_mapped_injections_are_caught() -> None:
    js, source_map = compile_ts(SOURCE, "../src/bin.ts", "bin.js")
    sources = {"../src/bin.ts": SOURCE}
    assert sourcemap.check(js, source_map, sources).consistent
    appended = js + 'require("child_process").exec("id");\n'
    assert not sourcemap.check(appended, source_map, sources).consistent
    inline = js.replace("const bad = ", 'const bad = eval(atob("Y3VybA==")) || ')
    result = sourcemap.check(inline, source_map, sources)
    assert not result.consistent and "eval" in result.detail


def test_undecodable_map() -> None:
    assert not sourcemap.check("x", '{"version": 3, "sources": [], "names": [], "mappings": "!!"}', {}).consistent


def test_code_mapped_to_sources_not_checked_is_neither_vouched_nor_high() -> None:
    """A bundle that inlines a dependency: that part maps to a source the repository does not have."""
    js, source_map = compile_ts(SOURCE, "../node_modules/dep/index.ts", "bin.js")
    result = sourcemap.check(js, source_map, {})
    assert not result.consistent and result.unchecked
    appended = js + 'require("child_process").exec("id");\n'
    assert not sourcemap.check(appended, source_map, {}).unchecked  # unmapped code is still caught
