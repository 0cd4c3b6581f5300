"""Whether a generated JavaScript file is consistent with the source map beside it.

A source map whose `sourcesContent` matches the repository says nothing by itself about the `.js` next to it:
an attacker can inject code into the bundle and leave the map untouched. A map vouches for its file only when

- every piece of generated code is mapped: text that no segment maps back to a source may hold only what
  compilers write unmapped (`"use strict"`, the `__esModule` marker, `exports.x = void 0`, tslib/Babel
  interop helpers), recognised by its vocabulary, never by its position;
- what each mapped segment covers is made of the words of the source file it points at (identifiers and the
  words inside string literals, the aliases compilers give its imports), of that compiler vocabulary or of
  short mangled names;
- every segment points inside its source (line and column exist) and each segment's `name` is such a word
  too (the map is the attacker's to rewrite: its `names` add nothing to what the code may say).

The mappings are decoded by the `sourcemap` package (Sentry's decoder, pure Python, no dependencies). Its last
release is from 2017 and none of the other decoders on PyPI (python-sourcemaps, 2015) is newer; the Source Map
v3 encoding has not changed since, and a decoding failure makes the map vouch for nothing. Comments are set
aside first: they do not run.
"""

from __future__ import annotations

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
_ALIAS = re.compile(r"^(\w+?)_?\d+$")
"""Numbered aliases: tsc's `fs_1`, Babel's `_fs2`."""
_STRING = re.compile(r"""['"]([^'"\n]{1,200})['"]""")
_VOID_EXPORTS = re.compile(r"\s*(exports\.[A-Za-z_$][\w$]*\s*=\s*)+void 0;?\s*")
"""tsc's and Babel's `exports.a = exports.b = void 0;`: harmless whatever the names."""
_EXPORT_SHAPES = tuple(re.compile(p) for p in (
    r"\s*exports\.([A-Za-z_$][\w$]*)\s*=\s*[A-Za-z_$][\w$]*;?\s*",  # Babel's hoisted `exports.x = x;`
    r'\s*Object\.defineProperty\((\(0,\s*)?exports\)?,\s*"[A-Za-z_$][\w$]*",\s*\{\s*',  # Babel's re-exports
    r"\s*return\s+[A-Za-z_$][\w$]*(\(\))?\.[A-Za-z_$][\w$]*;?\s*",  # ... their getter's body
))
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
    forEach cache WeakMap sourceMappingURL data
    asyncGeneratorStep _asyncToGenerator _next _throw info error self args _objectWithoutPropertiesLoose
    _objectSpread _objectSpread2 _defineProperty _toPropertyKey _toPrimitive _getRequireWildcardCache
    _classCallCheck _createClass _inherits _possibleConstructorReturn _getPrototypeOf _setPrototypeOf
    _assertThisInitialized _typeof _slicedToArray _arrayWithHoles _iterableToArrayLimit _arrayLikeToArray
    _unsupportedIterableToArray _nonIterableRest _toConsumableArray _taggedTemplateLiteral _asyncIterator
    _classPrivateFieldLooseBase _classPrivateFieldLooseKey source excluded target sourceKeys indexOf
    Math JSON Number Boolean Error RangeError Map Set WeakSet split push bind values entries
    getOwnPropertySymbols max min floor ownKeys filter getPrototypeOf unused process versions node paths
    break case catch class continue debugger delete export finally import super switch while with yield
    static async await NaN Infinity _findPath _nodeModulePaths MODULE_NOT_FOUND code Cannot find
"""
COMPILER_WORDS = frozenset(_WORDS_TEXT.split())
"""Words of the code compilers write themselves (JavaScript keywords and built-ins; tsc, Babel and tslib helpers,
module markers, Babel's `require.resolve` shim reading `process.versions.node`). Words with which injected code
reaches out (`require` of a new module, `eval`, `Function`, `fetch`, `env`, `child_process`) are not among them."""


@dataclass(frozen=True)
class MapCheck:
    consistent: bool
    detail: str
    """Why, in one sentence (the first inconsistency found, or what was checked)."""
    unchecked: bool = False
    """Not consistent only because some code maps to sources that could not be checked (a bundled dependency,
    a source the repository does not have) or the file is too large: no finding either way."""


def _known_word(word: str, known: set[str]) -> bool:
    return len(word) <= MANGLED_MAX or word in known or word in COMPILER_WORDS


def _compiler_name(word: str, known: set[str]) -> bool:
    """Names compilers derive from the source's: numbered aliases (`fs_1`, `_fs2`), Babel's `_x` copies and
    its temporaries joined by `$` and cut short (`_Object$getOwnPropert`, `_opts$filename`)."""
    alias = _ALIAS.match(word)
    if alias is not None and _known_word(alias.group(1), known):
        return True
    if not word.startswith("_") or len(word) < 2:
        return False
    parts = [p.rstrip("0123456789") for p in word[1:].split("$")]
    return all(p and (_known_word(p, known) or (len(p) >= 4 and any(k.startswith(p) for k in known | COMPILER_WORDS)))
               for p in parts)


def _foreign(words: list[str], known: set[str]) -> list[str]:
    return [w for w in words if not _known_word(w, known) and not _compiler_name(w, known)]


def _module_aliases(source: str) -> set[str]:
    """The names compilers give imported modules: tsc `"./opt-arg.js"` → `opt_arg_js` (then `_1`), Babel
    `"./config-chain.js"` → `_configChain` (then `2`, ...)."""
    out = set()
    for spec in _STRING.findall(source):
        base = spec.rsplit("/", 1)[-1]
        out.add(re.sub(r"[^\w$]", "_", base))
        parts = [p for p in re.split(r"[^A-Za-z0-9$]+", re.sub(r"\.(m|c)?[jt]sx?$|\.json$", "", base)) if p]
        if parts:
            out.add("_" + parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:]))
    return out


@dataclass
class _Sources:
    """The verified sources of one map, read as words and lines once."""

    texts: dict[str, str]

    def __post_init__(self) -> None:
        self.words = {src: set(_WORD.findall(t)) | _module_aliases(t) for src, t in self.texts.items()}
        self.lines = {src: t.split("\n") for src, t in self.texts.items()}
        self.declared = set().union(*self.words.values()) if self.words else set()
        self.unchecked: set[str] = set()


def check(generated: str, map_text: str, sources: dict[str, str]) -> MapCheck:
    """Check `generated` against its map; `sources` maps each name in the map's `sources` (as the map spells
    it, sourceRoot applied) to the source text verified against the repository."""
    if len(generated) > MAX_CHECKED_CHARS or len(map_text) > 4 * MAX_CHECKED_CHARS:
        return MapCheck(False, f"larger than {MAX_CHECKED_CHARS} characters: not checked", unchecked=True)
    try:
        index = sourcemap.loads(map_text)
    except (SourceMapDecodeError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        return MapCheck(False, "the source map cannot be decoded")
    known = _Sources(sources)
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
    if token is None or token.src is None:
        if _VOID_EXPORTS.fullmatch(text) or (any(shape.fullmatch(text) for shape in _EXPORT_SHAPES) and not _foreign(
                _WORD.findall(text), known.declared)):  # compilers write the module's exports unmapped
            return None
        words = _WORD.findall(_EXPORTS.sub(lambda m: "" if m.group(1) in known.declared else m.group(0), text))
        foreign = _foreign(words, set())
        return f"unmapped code ({', '.join(foreign[:5])})" if foreign else None
    words = _WORD.findall(text)
    if token.src not in known.texts:
        if _foreign(words, set()):
            known.unchecked.add(token.src)
        return None
    source_lines = known.lines[token.src]
    if token.src_line >= len(source_lines) or token.src_col > len(source_lines[token.src_line]):
        return f"a segment points outside {token.src} (line {token.src_line + 1}, column {token.src_col + 1})"
    allowed = known.words[token.src]
    if "import" in allowed:  # ES modules compiled to CommonJS load with `require`
        allowed = allowed | {"require"}
    if token.name and _foreign([token.name], allowed):
        return f"the segment's name {token.name!r} is in no line of {token.src}"
    foreign = _foreign(words, allowed)
    return f"code mapped to {token.src} that is not in it ({', '.join(foreign[:5])})" if foreign else None
