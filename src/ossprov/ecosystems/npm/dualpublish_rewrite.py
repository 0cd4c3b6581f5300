"""dual-publish's text rewrites, re-derived: what it writes from one CommonJS file of the commit.

dual-publish (nanoid 3, nanoevents, nanodelay...) publishes through clean-publish: clean-publish copies the
package to a temporary directory and, with `cleanComments`, deletes comments with four regular expressions;
dual-publish then rewrites each `index.js` (and `index.browser.js`, `index.native.js`) with three more, writing
an ES module in place and a CommonJS twin beside it (`index.cjs`), and `index.dev.js`/`index.prod.js` where
the code tests `process.env.NODE_ENV`. Each function here is the published tool's expression, translated
to Python with JavaScript's meaning kept: `\\s` and `.` are JavaScript's classes, `^` and `$` anchor the whole
text unless the original has the `m` flag, `\\w` is ASCII. Nothing is parsed or guessed: the output is a
function of the genuine source alone, and the caller requires the published file to equal it byte for byte.

A file dual-publish refuses (a `require()` it cannot convert, `module.exports.x =`, `require('./x/index')`)
raises `Unsupported`: a genuine publish of it cannot exist.
"""

from __future__ import annotations

import re

_WS_CHARS = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
WS = f"[{_WS_CHARS}]"
NWS = f"[^{_WS_CHARS}]"
DOT = "[^\n\r\u2028\u2029]"
"""JavaScript's `\\s`, `\\S` and `.` (Python's differ: `\\s` lacks U+FEFF and has U+001C-U+001F, `.` takes `\\r`)."""
MAX_CHARS = 4 * 1024 * 1024
"""Longer sources are not re-derived (the expressions backtrack; no genuine dual-published module is so big)."""


class Unsupported(ValueError):
    """dual-publish would stop with an error on this file (so no genuine publish of it exists)."""


# clean-publish's cleanComments (core.js): 4.0-4.1 had only the line-comment rule, 4.2 and later add the block one.
_LINE_COMMENT = re.compile(f"{WS}*//{DOT}*\n")
_BLOCK_COMMENT = re.compile(f"{WS}*/\\*[^/]+\\*/\n?")
_NEWLINES = re.compile("\n+")
_LEADING_NEWLINES = re.compile("(?:\\A|(?<=[\n\r\u2028\u2029]))\n+")
CLEANERS = ("clean-publish 4.2+", "clean-publish 4.0-4.1")


def clean_comments(text: str, cleaner: str = CLEANERS[0]) -> str:
    """What clean-publish's `cleanComments` writes for a `.js` file (its regular expressions, not a parser: a
    `//` in a string loses the rest of its line, as it does there)."""
    text = _LINE_COMMENT.sub("\n", text)
    if cleaner == CLEANERS[0]:
        text = _BLOCK_COMMENT.sub("\n", text)
    return _LEADING_NEWLINES.sub("", _NEWLINES.sub("\n", text))


# dual-publish's process-dir.js (the same from 1.x to 4.0.0).
_EXPORTED = re.compile(f"(\\A|\n)module{DOT}exports{WS}*={WS}*{NWS}")
_NAMED = re.compile(f"(\\A|\n)(let|const|var){WS}+({{[^}}]+}}|{NWS}+){WS}*={WS}*require\\([^)]+\\)")
_NAME = re.compile(f"(^|\n)(let{WS}+|const{WS}+|var{WS}+)({NWS}+|{{[^}}]+}}){WS}*=", re.M)
_NAMELESS = re.compile("(\\A|\n)require\\(([^)]+)\\)")
_REQUIRE_PATH = re.compile("require\\(([^)]+)\\)")
_COLON = re.compile(f"{WS}*:{WS}*")
_WRONG_EXPORT = re.compile(f"module\\.exports{WS}*={WS}*{{{WS}*\\w+:", re.A)
_LEFT_REQUIRE = re.compile("(\\W|\\A)require\\(", re.A)
_LEFT_EXPORTS = re.compile("(\\W|\\A)(module\\.)?exports\\.", re.A)
_ENV = f"process{DOT}env{DOT}NODE_ENV{WS}*"
_HAS_ENV = re.compile(f"{_ENV}[!=]==?{WS}*[\"'`](production|development)[\"'`]")
_PROD = re.compile(f"{_ENV}(===?{WS}*[\"'`]production[\"'`]|!==?{WS}*[\"'`]development[\"'`])")
_DEV = re.compile(f"{_ENV}(!==?{WS}*[\"'`]production[\"'`]|===?{WS}*[\"'`]development[\"'`])")


def _module_path(statement: str, ext: str) -> str:
    """getPath: a relative `require('./x')` names `./x/index.js` (or `.cjs`); packages and assets stay."""
    path = _REQUIRE_PATH.search(statement).group(1)  # type: ignore[union-attr]  # the callers' match holds one
    if re.search("/index[\"']", path):
        raise Unsupported("require() of `/index` without `.js`")
    if re.search("\\.(svg|png|css|sass)[\"']\\Z", path) or not re.match("[\"']\\.\\.?([\"']\\Z|/)", path):
        return path
    if re.search("/index\\.js([\"'])\\Z", path):
        return re.sub("/index\\.js([\"'])\\Z", f"/index.{ext}\\1", path)
    tail = f"index.{ext}" if re.search("/[\"']\\Z", path) else f"/index.{ext}"
    return re.sub("[\"']\\Z", lambda quote: tail + quote.group(0), path)


def _prefix(match: str) -> str:
    return "\n" if match.startswith("\n") else ""


def _rewrite(source: str, esm: bool) -> str:
    """replaceRequire with replaceToESM's (or replaceToCJS's) three callbacks."""
    def exported(m: re.Match[str]) -> str:
        text = m.group(0)
        if not esm:
            return text
        return f"{_prefix(text)}export {{" if text[-1] == "{" else f"{_prefix(text)}export default {text[-1]}"

    def named(m: re.Match[str]) -> str:
        text = m.group(0)
        parts = _NAME.search(text)
        assert parts is not None  # _NAMED's match is always one of _NAME's
        prefix, var_type, name = parts.group(1), parts.group(2), parts.group(3)
        if esm:
            return f"{prefix}import {_COLON.sub(' as ', name, count=1)} from {_module_path(text, 'js')}"
        return f"{prefix}{var_type}{name} = require({_module_path(text, 'cjs')})"

    def nameless(m: re.Match[str]) -> str:
        text = m.group(0)
        if esm:
            return f"{_prefix(text)}import {_module_path(text, 'js')}"
        return f"{_prefix(text)}require({_module_path(text, 'cjs')})"

    return _NAMELESS.sub(nameless, _NAMED.sub(named, _EXPORTED.sub(exported, source)))


def _bounded(source: str) -> str:
    if len(source) > MAX_CHARS:
        raise Unsupported(f"longer than {MAX_CHARS} characters")
    return source


def to_esm(source: str) -> str:
    """replaceToESM: the ES module dual-publish writes in place of `source`."""
    if _WRONG_EXPORT.search(_bounded(source)):
        raise Unsupported("`module.exports = { key: ... }`")
    out = _rewrite(source, esm=True)
    if _LEFT_REQUIRE.search(out):
        raise Unsupported("a require() that is not a top-level statement")
    if _LEFT_EXPORTS.search(out):
        raise Unsupported("`module.exports.x =`")
    return out


def to_cjs(source: str) -> str:
    """replaceToCJS: the `.cjs` twin (only relative require() paths change)."""
    return _rewrite(_bounded(source), esm=False)


def has_env_condition(source: str) -> bool:
    """hasEnvCondition: the file tests `process.env.NODE_ENV` against production or development."""
    return bool(_HAS_ENV.search(source))


def env_variant(esm: str, production: bool) -> str:
    """replaceEnvConditions: `index.prod.js` (production) or `index.dev.js` from the ES module."""
    first, second = ("true", "false") if production else ("false", "true")
    return _DEV.sub(second, _PROD.sub(first, esm))
