"""Whether a generated JavaScript file is consistent with the source map beside it.

A source map whose `sourcesContent` matches the repository says nothing by itself about the `.js` next to it:
an attacker can inject code into the bundle and leave the map untouched. A map vouches for its file only when

- every piece of generated code is mapped: text that no segment maps back to a source may hold only what
  compilers write unmapped (`"use strict"`, the `__esModule` marker, `exports.x = void 0`, tslib/Babel
  interop helpers), recognised by its vocabulary, never by its position;
- what each mapped segment covers is made of the words of the source file it points at (identifiers and the
  words inside string literals), of the map's `names`, of that compiler vocabulary or of short mangled names;
- every segment points inside its source (line and column exist) and each segment's `name` is on the source
  line it points at.

The mappings are decoded by the `sourcemap` package (VLQ decoding is settled by the Source Map v3 spec; the
package is small, pure Python and has no dependencies). Comments are set aside first: they do not run.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import sourcemap
from sourcemap.exceptions import SourceMapDecodeError

from ossprov.verify.textscan import WORD as _WORD
from ossprov.verify.textscan import scan

MAX_CHECKED_CHARS = 8 * 1024 * 1024
"""Generated files larger than this are not checked (left to a rebuild): the scan is pure Python."""
MANGLED_MAX = 3
"""Identifiers this short are taken as a minifier's renamings (`e`, `t`, `Ab`)."""
_ALIAS = re.compile(r"^(\w+?)_\d+$")
"""tsc's import aliases: `import fs from "fs"` becomes `fs_1`."""
_STRING = re.compile(r"""['"]([^'"\n]{1,200})['"]""")
_EXPORTS = re.compile(r"\bexports\.([A-Za-z_$][\w$]*)")
_WORDS_TEXT = """
    strict exports module Object defineProperty __esModule value true false void this const function return else
    typeof instanceof undefined null default enumerable writable configurable prototype call apply hasOwnProperty
    getOwnPropertyDescriptor getOwnPropertyNames create __createBinding __setModuleDefault __importStar
    __importDefault __exportStar __awaiter __generator __rest __assign __spreadArray __decorate __metadata __param
    __values __read __extends __classPrivateFieldGet __classPrivateFieldSet __classPrivateFieldIn __esDecorate
    __runInitializers __propKey __setFunctionName __addDisposableResource __disposeResources __makeTemplateObject
    __asyncValues __asyncGenerator __await _interopRequireDefault _interopRequireWildcard result desc pack from
    resolve reject Promise fulfilled rejected step next throw done then label sent trys verb iterator Symbol
    TypeError Generator already executing length Array slice concat assign arguments kind state receiver Reflect
    decorate metadata extendStatics setPrototypeOf __proto__ constructor String Class extends cooked freeze keys
    forEach cache WeakMap sourceMappingURL
"""
COMPILER_WORDS = frozenset(_WORDS_TEXT.split())
"""Words of the code compilers write without a mapping (tsc, Babel and tslib helpers, module markers)."""


@dataclass(frozen=True)
class MapCheck:
    consistent: bool
    detail: str
    """Why, in one sentence (the first inconsistency found, or what was checked)."""
    unchecked: bool = False
    """Not consistent only because some code maps to sources that could not be checked (a bundled dependency,
    a source the repository does not have) or the file is too large: no finding either way."""


def _foreign(words: list[str], known: set[str]) -> list[str]:
    out = []
    for word in words:
        alias = _ALIAS.match(word)
        if (len(word) <= MANGLED_MAX or word in known or word in COMPILER_WORDS
                or (alias is not None and alias.group(1) in known)):
            continue
        out.append(word)
    return out


def _module_aliases(source: str) -> set[str]:
    """The names tsc gives imported modules, before their `_1`: `"./opt-arg.js"` → `opt_arg_js`."""
    return {re.sub(r"[^\w$]", "_", spec.rsplit("/", 1)[-1]) for spec in _STRING.findall(source)}


@dataclass
class _Sources:
    """The verified sources of one map, read as words and lines once."""

    texts: dict[str, str]
    names: set[str]

    def __post_init__(self) -> None:
        self.words = {src: set(_WORD.findall(t)) | _module_aliases(t) for src, t in self.texts.items()}
        self.lines = {src: t.split("\n") for src, t in self.texts.items()}
        self.declared = set().union(*self.words.values()) if self.words else set()
        self.unchecked: set[str] = set()


def check(generated: str, map_text: str, sources: dict[str, str]) -> MapCheck:
    """Check `generated` against its map; `sources` maps each name in the map's `sources` (as the map spells
    it, sourceRoot applied) to the source text verified against the repository."""
    if len(generated) > MAX_CHECKED_CHARS:
        return MapCheck(False, f"larger than {MAX_CHECKED_CHARS} characters: not checked", unchecked=True)
    try:
        index = sourcemap.loads(map_text)
        names = {str(n) for n in (json.loads(map_text).get("names") or [])}
    except (SourceMapDecodeError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        return MapCheck(False, "the source map cannot be decoded")
    known = _Sources(sources, names)
    code, continued = scan(generated)
    code_lines = code.split("\n")
    by_line: dict[int, list] = {}
    for token in index.tokens:
        if token.dst_line >= len(code_lines):
            return MapCheck(False, f"a segment maps line {token.dst_line + 1}, past the end of the file")
        by_line.setdefault(token.dst_line, []).append(token)
    last = None
    for number, line in enumerate(code_lines):
        tokens = sorted(by_line.get(number, []), key=lambda t: t.dst_col)
        starts = [t.dst_col for t in tokens]
        # a line that begins inside a template literal continues the segment that opened it
        spans = [(last if number in continued else None, line[: starts[0]] if starts else line)]
        spans += [(t, line[t.dst_col: starts[k + 1] if k + 1 < len(starts) else len(line)])
                  for k, t in enumerate(tokens)]
        for token, text in spans:
            problem = _span_problem(token, text, known)
            if problem:
                return MapCheck(False, f"line {number + 1}: {problem}")
        last = tokens[-1] if tokens else last
    if known.unchecked:
        return MapCheck(False, f"code maps to sources that could not be checked ({', '.join(sorted(known.unchecked)[:3])})",
                        unchecked=True)
    return MapCheck(True, f"all {len(index.tokens)} mapped segments agree with the sources and no code is unmapped")


def _span_problem(token, text: str, known: _Sources) -> str | None:
    if token is None or token.src is None:  # tsc's `exports.a = exports.b = void 0;` is unmapped
        words = _WORD.findall(_EXPORTS.sub(lambda m: "" if m.group(1) in known.declared else m.group(0), text))
        foreign = _foreign(words, set())
        return f"unmapped code ({', '.join(foreign[:5])})" if foreign else None
    words = _WORD.findall(text)
    if token.src not in known.texts:
        if _foreign(words, known.names):
            known.unchecked.add(token.src)
        return None
    source_lines = known.lines[token.src]
    if token.src_line >= len(source_lines) or token.src_col > len(source_lines[token.src_line]):
        return f"a segment points outside {token.src} (line {token.src_line + 1}, column {token.src_col + 1})"
    if token.name and token.name not in source_lines[token.src_line]:
        return f"the segment's name {token.name!r} is not on line {token.src_line + 1} of {token.src}"
    allowed = known.words[token.src] | known.names
    if "import" in allowed:  # ES modules compiled to CommonJS load with `require`
        allowed = allowed | {"require"}
    foreign = _foreign(words, allowed)
    return f"code mapped to {token.src} that is not in it ({', '.join(foreign[:5])})" if foreign else None
