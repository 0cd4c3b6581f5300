"""The records every dependency-file reader produces, and the helpers they share.

A reader turns one file into `Dependency` records (what to verify) and `Skipped` notes (what it saw but could
not name by purl: local paths, git checkouts, unpinned requirements), each with the file and line it came from
so findings can point back at the lockfile (SARIF locations need exact lines). Malformed input is an
`InputError` naming the file and the line, never a traceback.
"""

from __future__ import annotations

import bisect
import functools
import json
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath
from typing import Any

import yaml
from packageurl import PackageURL

from ossprov.ecosystems.common import sri_to_hex
from ossprov.errors import InputError
from ossprov.purls import length_problem, shorten
from ossprov.safefile import read_limited

MAX_FILE_BYTES = 256 * 1024 * 1024
"""Largest dependency file read: lockfiles of huge monorepos are tens of MiB; beyond this it is not one."""


@dataclass(frozen=True)
class Location:
    """Where in a dependency file a package is named."""

    file: str
    """The file, relative to the scanned directory (or as given when a single file was read)."""
    line: int | None
    """1-based line of the package's entry; None when the format gives no reliable line."""


@dataclass(frozen=True)
class Dependency:
    """One package version a dependency file pins, named by purl."""

    purl: str
    name: str
    """The package name as the ecosystem writes it (`@scope/name` for scoped npm packages)."""
    version: str
    ecosystem: str
    """The purl type: npm, pypi, nuget, maven, ..."""
    hashes: dict[str, str]
    """Digests of the artifact by algorithm (sha512, sha256, sha1, md5), lowercase hex. Where a lockfile lists
    several files (wheels and an sdist), the sdist's digest, else the first file's."""
    location: Location
    direct: bool | None = None
    """True when the project depends on it directly, False when only transitively, None when the file does
    not say."""
    resolved_url: str | None = None
    """Where the package manager fetched the artifact (or the index it resolved it from), as recorded."""
    allowed: tuple[tuple[str, str], ...] = ()
    """Every (algorithm, hex digest) the file accepts for this package, one per released file (wheels and the
    sdist); empty when `hashes` is all the file records."""
    requires: tuple[str, ...] = ()
    """The purls of the packages this one depends on, as the file resolved them (the dependency graph);
    empty where the format records no graph."""

    @property
    def recorded_digests(self) -> set[tuple[str, str]]:
        """All digests the lockfile would accept for this package."""
        return set(self.allowed) | set(self.hashes.items())


@dataclass(frozen=True)
class Skipped:
    """An entry a reader saw but did not turn into a Dependency, with the reason (reported, never dropped)."""

    location: Location
    entry: str
    """The entry as the file names it (package name, requirement line)."""
    reason: str

    def record(self) -> dict[str, Any]:
        """The JSON form every report format carries for an entry it did not verify."""
        return {"entry": self.entry, "file": self.location.file, "line": self.location.line,
                "reason": self.reason}


@dataclass(frozen=True)
class ParseResult:
    """What one or more dependency files yielded."""

    dependencies: tuple[Dependency, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    files: tuple[str, ...] = ()
    """The files read, as named in locations (includes followed from requirement files too)."""


@dataclass(frozen=True)
class Source:
    """A dependency file being read: its text, how locations name it, and the tree includes must stay in."""

    path: Path
    display: str
    root: Path
    text: str

    def at(self, line: int | None) -> Location:
        return Location(self.display, line)

    def error(self, line: int | None, message: str) -> InputError:
        where = f"{self.display}:{line}" if line else self.display
        return InputError(f"{where}: {message}")


@dataclass(frozen=True)
class LockFormat:
    """One dependency-file format: how to recognise it by name or content, and its reader."""

    name: str
    parse: Callable[[Source], ParseResult]
    matches_name: Callable[[PurePath], bool]
    """True for file paths whose name says they are this format (discovery, and detection first)."""
    sniff: Callable[[str], bool]
    """True when the start of a file's text looks like this format (for files with other names)."""


@dataclass
class Collector:
    """Accumulates a reader's dependencies and skip notes."""

    source: Source
    dependencies: list[Dependency] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def add(
        self,
        purl_type: str,
        name: str,
        version: str,
        line: int | None,
        *,
        hashes: dict[str, str] | None = None,
        direct: bool | None = None,
        resolved_url: str | None = None,
        allowed: Iterable[tuple[str, str]] = (),
        requires: Iterable[str] = (),
    ) -> None:
        problem = length_problem(name, version)
        if problem:  # one absurd entry is reported, not fatal to the rest of the file
            self.skip(shorten(name, 80), line, problem)
            return
        self.dependencies.append(
            Dependency(
                purl=make_purl(purl_type, name, version),
                name=name,
                version=version,
                ecosystem=purl_type,
                hashes=dict(hashes or {}),
                location=self.source.at(line),
                direct=direct,
                resolved_url=resolved_url or None,
                allowed=tuple(dict.fromkeys(allowed)),
                requires=tuple(dict.fromkeys(requires)),
            )
        )

    def add_purl(self, purl: str, line: int | None, *, hashes: dict[str, str], direct: bool | None) -> None:
        """Add a package an SBOM names by purl (qualifiers and subpath are dropped, as for lockfiles, so the
        same package read from a lockfile and an SBOM is one record)."""
        try:
            purl_type, name, version = purl_parts(purl)
        except ValueError as exc:
            self.skip(purl, line, f"malformed purl: {exc}")
            return
        if not version:
            self.skip(purl, line, "purl without a version")
            return
        self.add(purl_type, name, version, line, hashes=hashes, direct=direct)

    def skip(self, entry: str, line: int | None, reason: str) -> None:
        self.skipped.append(Skipped(self.source.at(line), entry, reason))

    def result(self) -> ParseResult:
        return ParseResult(tuple(self.dependencies), tuple(self.skipped), (self.source.display,))


def make_purl(purl_type: str, name: str, version: str) -> str:
    """The purl for a package. A `/` in the name separates the namespace (npm `@scope/name`, Maven
    `group/artifact`); packageurl normalises names as the purl spec says for each type (PyPI: lowercase,
    `_` → `-`)."""
    namespace, _, name = name.rpartition("/")
    return PackageURL(type=purl_type, namespace=namespace or None, name=name, version=version).to_string()


def pypi_key(name: str) -> str:
    """A PyPI name as PEP 503 compares names (what lockfiles' dependency tables use loosely)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def purl_parts(purl: str) -> tuple[str, str, str | None]:
    """(type, name with its namespace, version) of a purl string; ValueError when it is not one."""
    parsed = PackageURL.from_string(purl)
    name = f"{parsed.namespace}/{parsed.name}" if parsed.namespace else parsed.name
    return parsed.type, name, parsed.version


def dedupe(dependencies: Iterable[Dependency]) -> list[Dependency]:
    """One record per purl, the first seen; it is direct if any occurrence was, and gains digests the first
    lacked (the same package listed under two npm paths or two .NET target frameworks)."""
    merged: dict[str, Dependency] = {}
    for dep in dependencies:
        first = merged.get(dep.purl)
        if first is None:
            merged[dep.purl] = dep
            continue
        direct = True if True in (first.direct, dep.direct) else first.direct
        if direct is None:
            direct = dep.direct
        merged[dep.purl] = replace(first, direct=direct, hashes={**dep.hashes, **first.hashes},
                                   requires=tuple(dict.fromkeys(first.requires + dep.requires)))
    return list(merged.values())


def merge_results(results: Iterable[ParseResult]) -> ParseResult:
    results = list(results)
    return ParseResult(
        tuple(dedupe(d for r in results for d in r.dependencies)),
        tuple(s for r in results for s in r.skipped),
        tuple(dict.fromkeys(f for r in results for f in r.files)),
    )


# --- reading and decoding -------------------------------------------------------------------------------


def read_source(path: Path, display: str, root: Path) -> Source:
    """Read a dependency file as UTF-8 (a byte-order mark is dropped: Windows tools write one). A FIFO, a
    device or a symlink to one is refused, and reading stops at MAX_FILE_BYTES (see `ossprov.safefile`)."""
    data = read_limited(path, MAX_FILE_BYTES, what=display)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"{display}:{line}: not UTF-8 text") from None
    return Source(path, display, root, text)


def load_json(src: Source) -> Any:
    try:
        return json.loads(src.text)
    except json.JSONDecodeError as exc:
        raise src.error(exc.lineno, f"malformed JSON: {exc.msg}") from None
    except RecursionError:
        raise src.error(None, "malformed JSON: nested too deeply") from None


_TOML_AT = re.compile(r"\(at line (\d+), column \d+\)|\(at end of document\)")


def load_toml(src: Source) -> dict[str, Any]:
    try:
        return tomllib.loads(src.text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _TOML_AT.search(message)
        line = int(found.group(1)) if found and found.group(1) else src.text.count("\n") + 1
        raise src.error(line, f"malformed TOML: {_TOML_AT.sub('', message).strip()}") from None


_YAML_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(src: Source) -> tuple[Any, yaml.Node | None]:
    """The document and its node tree (whose marks give exact lines), from one safe parse."""
    loader = _YAML_LOADER(src.text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise src.error(line, f"malformed YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise src.error(None, f"malformed YAML: {exc}") from None
    finally:
        loader.dispose()
    return data, node


def yaml_key_lines(node: yaml.Node | None, *path: str) -> dict[str, int]:
    """Line of each key of the mapping reached from the root node through `path` (no path: the root)."""
    for step in path:
        if not isinstance(node, yaml.MappingNode):
            return {}
        node = next((v for k, v in node.value if k.value == step), None)
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): k.start_mark.line + 1 for k, _ in node.value}


def require(src: Source, value: Any, kind: type, what: str, line: int | None = None) -> Any:
    """`value` when it has the expected type; otherwise the file is malformed."""
    if not isinstance(value, kind):
        raise src.error(line, f"malformed: {what} should be {_KIND_NAMES.get(kind, kind.__name__)}")
    return value


_KIND_NAMES: dict[type, str] = {dict: "a mapping", list: "a list", str: "a string"}


# --- digests ---------------------------------------------------------------------------------------------

_HEX = re.compile(r"^[0-9a-fA-F]+$")
_HEX_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "sha384": 96, "sha512": 128}


def hex_digest(src: Source, line: int | None, algorithm: str, value: str) -> tuple[str, str]:
    """(algorithm, lowercase hex) for a hex digest, checking its length where the algorithm is known."""
    algorithm = algorithm.lower().replace("-", "")
    value = value.strip()
    expected = _HEX_LENGTHS.get(algorithm)
    if not _HEX.match(value) or (expected and len(value) != expected):
        raise src.error(line, f"malformed {algorithm} digest {value[:80]!r}")
    return algorithm, value.lower()


def prefixed_digest(src: Source, line: int | None, value: str) -> tuple[str, str]:
    """Digests written `algo:hex` (pip --hash, poetry, uv, Pipfile.lock)."""
    algorithm, sep, digest = value.partition(":")
    if not sep:
        raise src.error(line, f"malformed digest {value[:80]!r} (expected algorithm:hex)")
    return hex_digest(src, line, algorithm, digest)


def sri_digests(src: Source, line: int | None, integrity: str) -> dict[str, str]:
    """Subresource-integrity strings (`sha512-<base64> sha1-<base64>`, npm/yarn/pnpm) as hex digests."""
    try:
        return sri_to_hex(integrity, strict=True)
    except ValueError as exc:
        raise src.error(line, f"malformed integrity {str(exc)[:80]!r}") from None


def base64_digest(src: Source, line: int | None, algorithm: str, value: str) -> dict[str, str]:
    """A bare base64 digest (NuGet contentHash) as hex."""
    return sri_digests(src, line, f"{algorithm}-{value}")


# --- line numbers ----------------------------------------------------------------------------------------


class TextLocator:
    """Finds the lines of entries in a file's text.

    Readers walk the parsed document in document order and ask for each entry's line by the literal token that
    names it (a JSON key, a quoted name), with patterns the text before it on its line and after it must match;
    `sequential` searches continue after the previous hit, so a name repeated at several depths (nested npm v1
    dependencies, NuGet target frameworks) gets the line of the right occurrence. Tokens are found with
    `str.find` and the patterns are compiled once, which keeps a 20,000-package lockfile well under a second.
    A token that is not found gives None, never a wrong line.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._line_starts = [0, *(m.end() for m in re.finditer("\n", text))]
        self._cursor = 0

    def line_at(self, offset: int) -> int:
        return bisect.bisect_right(self._line_starts, offset)

    def find(
        self, token: str, *, before: re.Pattern[str], after: re.Pattern[str], sequential: bool = True
    ) -> int | None:
        """Line of the next `token` whose line up to it fullmatches `before` and which `after` matches
        (`before` sees at most PREFIX_CHARS of the line)."""
        pos = self._cursor if sequential else 0
        while (pos := self.text.find(token, pos)) >= 0:
            end = pos + len(token)
            line = self.line_at(pos)
            following = after.match(self.text, end)
            if following and before.fullmatch(self._prefix(line, pos)):
                if sequential:
                    self._cursor = following.end()
                return line
            pos = end
        return None

    def _prefix(self, line: int, pos: int) -> str:
        """The text of the line before `pos`, at most PREFIX_CHARS of it (minified JSON is one long line);
        a cut prefix starts with NUL, which no `before` pattern accepts in place of a line start."""
        start = self._line_starts[line - 1]
        if pos - start <= PREFIX_CHARS:
            return self.text[start:pos]
        return "\0" + self.text[pos - PREFIX_CHARS : pos]

    def json_entry(self, key: str) -> int | None:
        """Line of the next `"key": {` (an object-valued member; string-valued members of the same name,
        such as npm `requires` entries, are passed over)."""
        return self.find(_json_string(key), before=_NOT_IN_STRING, after=_OBJECT_VALUE)

    def json_key(self, key: str) -> int | None:
        """Line of `"key":` with any value, anywhere in the text (for pointing at a malformed entry)."""
        return self.find(_json_string(key), before=_NOT_IN_STRING, after=_COLON, sequential=False)

    def json_member(self, key: str, value: str) -> int | None:
        """Line of `"key": "value"` anywhere in the text."""
        return self.find(_json_string(value), before=_member_prefix(key), after=_ANY, sequential=False)

    def toml_name(self, name: str) -> int | None:
        """Line of the next `name = "<name>"` alone on its line (array-of-tables entries; inline tables such as
        uv's `{ name = "x" }` dependency lists are passed over)."""
        for token in (_json_string(name), f"'{name}'"):
            line = self.find(token, before=_TOML_NAME, after=_TOML_END)
            if line is not None:
                return line
        return None


def _json_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


@functools.lru_cache(maxsize=64)
def _member_prefix(key: str) -> re.Pattern[str]:
    return re.compile(r".*(?<!\\)" + re.escape(_json_string(key)) + r"\s*:\s*", re.DOTALL)


PREFIX_CHARS = 256
_NOT_IN_STRING = re.compile(r"(?:.*[{\[,])?\s*", re.DOTALL)
"""A JSON key starts its line or follows `{`, `[` or `,`: it is not text inside another string value."""
_OBJECT_VALUE = re.compile(r"\s*:\s*\{")
_COLON = re.compile(r"\s*:")
_ANY = re.compile("")
_TOML_NAME = re.compile(r"[ \t]*name[ \t]*=[ \t]*")
_TOML_END = re.compile(r"[ \t]*(?:#[^\n]*)?(?:\r?\n|$)")


def sdist_first(files: Iterable[tuple[str, Any]]) -> Any:
    """Of (file name or URL, value) pairs, the sdist's value, else the first's (None for none): the sdist is
    what is compared with the source, and a lockfile lists one digest per wheel besides."""
    files = list(files)
    for name, value in files:
        if not name.split("#", 1)[0].endswith(".whl"):
            return value
    return files[0][1] if files else None
