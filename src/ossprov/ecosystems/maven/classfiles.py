"""Whether a compiled Java class can have come from the source file at the commit.

A jar's class replaced by other bytecode keeps its name, so finding `Foo.java` proves nothing. Each class is
parsed (javatools, a maintained class-file library) and what it declares is compared with a light scan of
the Java source (its identifiers and the words of its string literals, comments set aside):

- the source file it names (`SourceFile` attribute) must be the one at the commit;
- its own simple names (`Outer$Inner` → `Inner`; anonymous and local classes' numbers set aside) must be
  declared there as a class, interface, enum, record or annotation;
- its superclass, interfaces, fields and methods must be named in the source, except what `javac` itself
  writes (synthetic and bridge members, `<init>`, lambdas, `values`/`valueOf` of enums, `equals`/`hashCode`/
  `toString` of records);
- the words of its string constants must be in the module's sources (constants are inlined across classes);
  when the source uses constants of classes outside the module (which javac inlines too), unknown words are
  reported apart, for a medium finding rather than a high one.

Only `.java` sources are scanned this way (Kotlin, Scala and Groovy compilers write many members of their
own); a class whose file cannot be parsed, or whose declarations disagree, is one the source cannot have
produced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import javatools

from ossprov.verify.textscan import strip_comments, words

ACC_SYNTHETIC = 0x1000
IMPLICIT_SUPERS = frozenset({"java/lang/Object", "java/lang/Enum", "java/lang/Record"})
IMPLICIT_INTERFACES = frozenset({"java/lang/annotation/Annotation"})
"""What `@interface` types implement without saying so."""
ENUM_METHODS = frozenset({"values", "valueOf"})
RECORD_METHODS = frozenset({"equals", "hashCode", "toString"})
STRING_WORD_MIN = 4
"""String-constant words shorter than this are not looked up (format fragments, single letters)."""
_ASCII_WORD = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_QUALIFIED_CONSTANT = re.compile(r"\b[A-Z]\w*\.[A-Z][A-Z0-9_]{2,}\b")
_ESCAPE = re.compile(r"\\(u+[0-9a-fA-F]{4}|[0-7]{1,3}|.)")


def string_words(source: str) -> set[str]:
    """The ASCII words of Java source text with escapes (`\\t`, `\\u00e9`) read as separators, as they read in
    the string constants they compile to."""
    return set(_ASCII_WORD.findall(_ESCAPE.sub(" ", strip_comments(source))))


def _composed(word: str, corpus: set[str]) -> bool:
    """Whether a constant word is two known words run together (javac folds `"a" + CONSTANT`) or one with a
    number."""
    stripped = word.rstrip("0123456789")
    return stripped in corpus or any(word[:i] in corpus and word[i:] in corpus for i in range(1, len(word)))


@dataclass(frozen=True)
class ClassInfo:
    """What a class file declares."""

    name: str
    """Internal name: `org/acme/Outer$Inner`."""
    super_name: str | None
    interfaces: tuple[str, ...]
    fields: tuple[str, ...]
    """Names of the fields javac did not synthesise."""
    methods: tuple[str, ...]
    """Names of the methods javac did not synthesise."""
    source_file: str | None
    strings: tuple[str, ...]
    is_enum: bool


def parse(data: bytes) -> ClassInfo | None:
    """The declarations of a class file, or None when it is not one."""
    try:
        info = javatools.unpack_class(data)
        this, parent = info.get_this(), info.get_super()
        fields = tuple(f.get_name() for f in info.fields if not f.access_flags & ACC_SYNTHETIC)
        methods = tuple(m.get_name() for m in info.methods if not (m.is_synthetic() or m.is_bridge()))
        strings = tuple(str(info.cpool.deref_const(i)) for i, (tag, _) in enumerate(info.cpool.consts) if tag == 8)
        return ClassInfo(this, parent, tuple(info.get_interfaces()), fields, methods, info.get_sourcefile(),
                         strings, bool(info.is_enum()))
    except Exception:  # hostile bytes given to a third-party parser: any failure means "not a class"
        return None


def simple(internal: str) -> str:
    """`java/util/Map$Entry` → `Entry`."""
    return internal.rsplit("/", 1)[-1].rsplit("$", 1)[-1]


def _own_names(name: str, stem: str) -> list[str]:
    """The names a class declares itself under: `Outer$Inner$1Local` with source stem `Outer` → Outer, Inner,
    Local (anonymous classes' numbers dropped)."""
    own = name.rsplit("/", 1)[-1]
    rest = own[len(stem):] if own.startswith(stem) else own
    parts = [stem] + [re.sub(r"^\d+", "", p) for p in rest.split("$") if p]
    return [p for p in parts if p]


def problems(info: ClassInfo, source: str, stem: str) -> list[str]:
    """What the class declares that the Java source `source` (file stem `stem`) does not."""
    known = words(source)
    found = []
    for part in _own_names(info.name, stem):
        if not re.search(rf"\b(class|interface|enum|record)\s+{re.escape(part)}\b", source) and \
                part != "package-info":
            found.append(f"declares {part}, which the source does not")
    if info.super_name and info.super_name not in IMPLICIT_SUPERS and simple(info.super_name) not in known:
        found.append(f"extends {info.super_name}")
    found += [f"implements {i}" for i in info.interfaces if simple(i) not in known and i not in IMPLICIT_INTERFACES]
    found += [f"field {f}" for f in info.fields if f not in known]
    implicit = (ENUM_METHODS if info.is_enum else frozenset()) | (
        RECORD_METHODS if info.super_name == "java/lang/Record" else frozenset())
    found += [f"method {m}" for m in info.methods
              if m not in known and m not in implicit and not m.startswith("<") and "$" not in m]
    return found


def foreign_strings(info: ClassInfo, source: str, module_words: set[str]) -> list[str]:
    """The words of the class's string constants that neither its source nor its module has."""
    corpus = string_words(source) | module_words
    return sorted(w for w in {w for s in info.strings for w in _ASCII_WORD.findall(s)
                              if len(w) >= STRING_WORD_MIN} - corpus if not _composed(w, corpus))


def inlines_constants(source: str) -> bool:
    """Whether the source uses constants of other classes (`XMLConstants.FEATURE_SECURE_PROCESSING`, static
    imports), whose values javac copies into the class: then unknown string words may be theirs."""
    code = strip_comments(source)
    return bool(_QUALIFIED_CONSTANT.search(code) or re.search(r"^\s*import\s+static\b", code, re.M))
