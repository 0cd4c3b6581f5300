"""Package names as each ecosystem compares them, and the comparison keys squat detection indexes by.

A squat only matters if it is a *different* name to the registry: `Django` and `django` are one project on
PyPI (PEP 503), `Newtonsoft.Json` and `newtonsoft.json` one on NuGet. So every comparison starts from the
ecosystem's canonical form, and the keys below remove one mutation family each (separators, ecosystem words,
version or plural suffixes, look-alike characters), so that two names sharing a key differ by exactly that.
"""

from __future__ import annotations

import re
import unicodedata

from packaging.utils import InvalidName, canonicalize_name

from ossprov.errors import InputError

ECOSYSTEMS = ("npm", "pypi", "nuget", "maven", "golang", "cargo")

SEPARATORS = "-_."
_SEPARATOR_RUN = re.compile(r"[-_./]+")
"""Separators between words; `/` only occurs in Go module paths (an npm scope is split off first)."""

ECOSYSTEM_WORDS: dict[str, frozenset[str]] = {
    "pypi": frozenset({"py", "python", "python2", "python3", "pypi", "lib"}),
    "npm": frozenset({"js", "node", "nodejs", "npm", "lib"}),
    "nuget": frozenset({"net", "dotnet", "lib", "core"}),
    "maven": frozenset({"java", "lib", "jvm"}),
    "golang": frozenset({"go", "golang", "lib"}),
    "cargo": frozenset({"rs", "rust", "lib"}),
}
"""Words squatters add to or drop from a popular name to make it look like the ecosystem's own port of it."""

_GLUED_PREFIXES: dict[str, tuple[str, ...]] = {
    "pypi": ("python3", "python"),
    "npm": ("nodejs", "node"),
}
"""Ecosystem words also stripped when written without a separator (`nodefabric`, `python3dateutil`).
Not `py`: it begins too many real names (pytest, pyyaml, pydantic) to be taken off safely."""

_GLUED_SUFFIXES: dict[str, tuple[str, ...]] = {"pypi": ("py",), "npm": ("js",)}

_CONFUSABLE = str.maketrans(
    {
        # ASCII look-alikes (case-sensitive: a capital I reads as l, a lower-case i does not)
        "I": "l",
        "1": "l",
        "|": "l",
        "0": "o",
        # Cyrillic
        "а": "a",
        "А": "a",
        "в": "b",
        "В": "b",
        "е": "e",
        "Е": "e",
        "ё": "e",
        "к": "k",
        "К": "k",
        "м": "m",
        "М": "m",
        "Н": "h",
        "һ": "h",
        "о": "o",
        "О": "o",
        "р": "p",
        "Р": "p",
        "с": "c",
        "С": "c",
        "т": "t",
        "Т": "t",
        "у": "y",
        "У": "y",
        "Ү": "y",
        "х": "x",
        "Х": "x",
        "ѕ": "s",
        "Ѕ": "s",
        "і": "i",
        "І": "l",
        "ј": "j",
        "Ј": "j",
        "ԁ": "d",
        "ԛ": "q",
        "ԝ": "w",
        "ӏ": "l",
        "Ӏ": "l",
        "п": "n",
        "г": "r",
        # Greek
        "α": "a",
        "Α": "a",
        "Β": "b",
        "ε": "e",
        "Ε": "e",
        "Ζ": "z",
        "Η": "h",
        "ι": "i",
        "Ι": "l",
        "κ": "k",
        "Κ": "k",
        "Μ": "m",
        "ν": "v",
        "Ν": "n",
        "ο": "o",
        "Ο": "o",
        "ρ": "p",
        "Ρ": "p",
        "τ": "t",
        "Τ": "t",
        "υ": "u",
        "Υ": "y",
        "χ": "x",
        "Χ": "x",
        # Latin look-alikes outside ASCII
        "ı": "i",
        "ɡ": "g",
        "ɩ": "i",
        "ʟ": "l",
        "ո": "n",
        "ս": "u",
    }
)
"""Single characters that render like a Latin letter (a subset of Unicode's confusables.txt: the letters
that can stand in a package name or be pasted into a requirements file)."""

_CONFUSABLE_PAIRS = (("rn", "m"), ("vv", "w"))
"""Letter pairs that read as one letter in most fonts."""


def split_scope(name: str) -> tuple[str | None, str]:
    """`@scope/name` → (`scope`, `name`); an unscoped name → (None, name)."""
    if name.startswith("@") and "/" in name:
        scope, _, bare = name[1:].partition("/")
        return scope, bare
    return None, name


def canonical(ecosystem: str, name: str) -> str:
    """The name as the registry identifies it: PEP 503 for PyPI, case-folded for NuGet and Maven, lower-cased
    for npm (the registry refuses new names with capitals; a few old ones differ only in case); the crate
    registry folds case and takes `-` and `_` as one; a Go module path is case-sensitive (see `threats.gopaths`)."""
    name = name.strip()
    if ecosystem == "pypi":
        return canonicalize_name(name)
    if ecosystem == "golang":
        return name
    if ecosystem == "cargo":
        return name.lower().replace("_", "-")
    if ecosystem == "maven":
        return name.replace("/", ":").lower()
    return name.lower()


_CRATE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
_MODULE_PATH = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:/[A-Za-z0-9._~-]+)*")
"""the crate registry's name rule; golang.org/x/mod/module.CheckPath's shape (a lower-case host with a dot first)."""


def validate(ecosystem: str, name: str) -> str:
    """The name if the ecosystem could publish it, else InputError saying why."""
    if not name or len(name) > 214:
        raise InputError(f"{name!r} is not a package name (empty or longer than 214 characters)")
    if ecosystem == "pypi":
        try:
            canonicalize_name(name, validate=True)
        except InvalidName:
            raise InputError(f"{name!r} is not a valid PyPI project name (PEP 508)") from None
    elif ecosystem == "cargo" and not _CRATE_NAME.fullmatch(name):
        raise InputError(f"{name!r} is not a crate name (ASCII letters, digits, - and _, starting with a letter, "
                         "at most 64 characters)")
    elif ecosystem == "golang" and not _MODULE_PATH.fullmatch(name):
        raise InputError(f"{name!r} is not a Go module path (a host with a dot, then /-separated elements of "
                         "letters, digits and -._~)")
    elif any(ch.isspace() or ord(ch) < 32 for ch in name):
        raise InputError(f"{name!r} is not a package name (contains whitespace or control characters)")
    return name


def tokens(name: str) -> list[str]:
    """Words of a name: the parts between separators (the npm scope is its own word)."""
    scope, bare = split_scope(name)
    words = [w for w in _SEPARATOR_RUN.split(bare) if w]
    return ([scope] if scope else []) + words


def compact(name: str) -> str:
    """The name without separators or scope punctuation: `cross-env`, `cross_env`, `crossenv` → `crossenv`."""
    return "".join(tokens(name))


def skeleton(raw: str) -> str:
    """What a name looks like on screen: compatibility forms folded (NFKC), accents removed, look-alike
    characters replaced by the Latin letter they imitate, lower-cased. Taken from the name as typed, before
    canonicalisation, because case matters (`jeIlyfish` imitates `jellyfish` only through its capital I)."""
    text = unicodedata.normalize("NFKC", raw).translate(_CONFUSABLE)
    text = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    text = text.lower()
    for pair, letter in _CONFUSABLE_PAIRS:
        text = text.replace(pair, letter)
    return text


def strip_ecosystem_words(ecosystem: str, name: str) -> str:
    """The name with its ecosystem words removed (`python3-dateutil` → `dateutil`, `nodefabric` → `fabric`),
    compacted; the name compacted when nothing remains (a name made only of such words)."""
    words = ECOSYSTEM_WORDS.get(ecosystem, frozenset())
    kept = [w for w in tokens(name) if w not in words]
    if kept:
        for prefix in _GLUED_PREFIXES.get(ecosystem, ()):
            if kept[0].startswith(prefix) and len(kept[0]) - len(prefix) >= 3:
                kept[0] = kept[0][len(prefix) :]
                break
        for suffix in _GLUED_SUFFIXES.get(ecosystem, ()):
            if kept[-1].endswith(suffix) and len(kept[-1]) - len(suffix) >= 3:
                kept[-1] = kept[-1][: -len(suffix)]
                break
    return "".join(kept) or compact(name)


_VERSION_SUFFIX = re.compile(r"(?:[-_.]?v?\d+)+$")


def strip_suffix(name: str) -> str:
    """The name without a trailing version number or plural `s`, compacted: `colors2` → `color`,
    `requests` → `request`, `urllib3` → `urllib`. Short names keep their `s` (`ms`, `qs`, `ws`), and so
    does a last word of two letters (`pgvecto-rs`: `rs` is Rust, not a plural)."""
    bare = _VERSION_SUFFIX.sub("", name) or name
    base = compact(bare)
    last = tokens(bare)[-1] if tokens(bare) else bare
    if len(base) > 4 and len(last) > 2 and base.endswith("s") and not base.endswith("ss"):
        base = base[:-1]
    return base
