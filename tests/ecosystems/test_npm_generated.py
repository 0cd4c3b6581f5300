"""What a generated JavaScript file loads, read from minified bundles: string literals such as `"from"` and
`"import"` (parsers and formatters are full of them) are not loads, and an injected `require` still is."""

from __future__ import annotations

from ossprov.ecosystems.npm.generated import unexplained_modules

BUNDLE = (
    'var kw={from:"from",imp:"import"};function p(e){return e.value==="from",e.source=this.type===a.string?'
    'this.parseExprAtom():this.unexpected()}var q=o.from("x,y");t.import ("(");'
    'const fs=require("node:fs"),dep=require("left-pad"),own=require("./lib/own.js");'
)
SOURCE = 'import fs from "node:fs"\nimport own from "./lib/own.js"\n'


def test_string_literals_of_a_bundle_load_nothing() -> None:
    assert unexplained_modules(BUNDLE, SOURCE, {"left-pad"}) == []


def test_an_injected_require_in_a_bundle_is_found() -> None:
    injected = BUNDLE + 'var s=require("flatmap-stream");import("@evil/x");'
    assert unexplained_modules(injected, SOURCE, {"left-pad"}) == ["@evil/x", "flatmap-stream"]
