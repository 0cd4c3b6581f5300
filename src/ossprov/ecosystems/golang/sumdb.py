"""The Go checksum database the go command is configured with: a module version's go.sum lines, proven to be
in the database's signed log, as golang.org/x/mod/sumdb's client does.

Which database: `GOSUMDB` as the go command sees it (`go env GOSUMDB`): `off`; a verifier key `NAME+HASH+KEY`;
or a bare name whose key the go installation knows (the go command compiles its default key in: it is read
from the installation's own source, `$GOROOT/src/cmd/go/internal/modfetch/key.go`, never written here). An
optional second field is the database's URL. Modules matching `GONOSUMDB` (default `GOPRIVATE`) are not
looked up, as the go command does not look them up.

Where: without an explicit URL, each proxy of the GOPROXY list is asked `<proxy>/sumdb/<name>/supported`
(the GOPROXY protocol's database proxying); the first that answers 200 is used and no other; 404/410 (or any
error after a `|`) moves to the next; `direct`, `off` or the list's end mean `https://<name>`.

How: `/lookup/MODULE@VERSION` gives the record number, the go.sum lines and a signed tree note; the note must
carry a valid signature by the configured key, and the record must be in that tree by the hashes of the
tiles (`/tile/8/L/...`). The largest tree verified so far is kept in the cache, and every later tree must
extend it (a database that forks is caught). Tiles are immutable and cached once a proof through them holds;
a cached tree is trusted only after its signature is checked again.
"""

from __future__ import annotations

import functools
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ossprov import http
from ossprov.atomic import atomic_write
from ossprov.config import settings
from ossprov.ecosystems.golang import tlog
from ossprov.ecosystems.golang.modpath import escape
from ossprov.ecosystems.golang.proxy import go_env, matches, proxy_list, setting
from ossprov.errors import NotFoundError, RegistryError
from ossprov.redaction import redact_url

_KNOWN_KEY = re.compile(r'"([^"\s]+)"\s*:\s*"([^"\s]+)"')
_DATABASE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]*(?::\d+)?(?:/[A-Za-z0-9._~-]+)*")
"""What the go command accepts as a database name (`https://NAME` must be a plain URL), so it is safe as a
cache directory name too."""


class Unconfirmed(Exception):
    """The database could not confirm the module's hash: not configured for it, unreachable, or no record.
    Says why; not evidence against the module."""


class Untrustworthy(Exception):
    """The database's answer failed verification (forged note, failed proof, a fork): the go command stops
    with a SECURITY ERROR."""


@dataclass(frozen=True)
class Database:
    verifier: tlog.Verifier
    url: str | None
    """The URL GOSUMDB names, None to find it through the proxies."""


@dataclass(frozen=True)
class Record:
    """What the database records for one module version, proven in its log."""

    database: str
    lines: tuple[str, ...]
    """The go.sum lines: `MODULE VERSION h1:…` and `MODULE VERSION/go.mod h1:…`."""
    index: int
    tree_size: int

    def hash_of(self, module: str, version: str) -> str | None:
        """The `h1:` the database records for `version` (`vX.Y.Z` for the zip, `vX.Y.Z/go.mod`)."""
        for line in self.lines:
            fields = line.split()
            if len(fields) == 3 and fields[0] == module and fields[1] == version:
                return fields[2]
        return None


@functools.cache
def _installation_keys() -> dict[str, str]:
    """The verifier keys the go installation compiles in, by database name."""
    root = go_env("GOROOT")
    source = Path(root) / "src" / "cmd" / "go" / "internal" / "modfetch" / "key.go" if root else None
    try:
        text = source.read_text() if source else ""
    except OSError:
        return {}
    return {key.split("+", 1)[0]: key for name, key in _KNOWN_KEY.findall(text) if key.startswith(name + "+")}


def configured(module: str) -> Database | None:
    """The database the go command would check `module` against; None when it would check none (GOSUMDB=off,
    GONOSUMDB/GOPRIVATE); Unconfirmed when the setting cannot be used."""
    value = setting("GOSUMDB")
    if value == "off" or matches(module, setting("GONOSUMDB") or setting("GOPRIVATE")):
        return None
    fields = value.split()
    if not fields:
        raise Unconfirmed("no checksum database is configured (GOSUMDB is unset and the go command is not installed)")
    if len(fields) > 2:
        raise Unconfirmed("GOSUMDB is invalid: too many fields")
    key = fields[0] if "+" in fields[0] else _installation_keys().get(fields[0])
    if key is None:
        raise Unconfirmed(f"GOSUMDB names {fields[0]} without its key, and the go installation knows none for it")
    try:
        verifier = tlog.parse_verifier(key)
    except tlog.LogError as exc:
        raise Unconfirmed(f"GOSUMDB is invalid: {exc}") from None
    if not _DATABASE_NAME.fullmatch(verifier.name) or ".." in verifier.name:
        raise Unconfirmed(f"GOSUMDB is invalid: the database name {verifier.name!r} is not host[/path]")
    return Database(verifier, fields[1].rstrip("/") if len(fields) == 2 else None)


@functools.cache
def _base(name: str, explicit: str | None, proxies: tuple[tuple[str, bool], ...]) -> str:
    """Where the database is read from (see the module docstring); Unconfirmed when a proxy fails."""
    if explicit:
        return explicit
    for url, fallback in proxies:
        if url in ("direct", "off"):
            break
        try:
            http.client().get(f"{url}/sumdb/{name}/supported")
        except NotFoundError:
            continue
        except RegistryError as exc:
            if fallback:
                continue
            raise Unconfirmed(f"the proxy {redact_url(url)} cannot say whether it serves the checksum "
                              f"database {name}: {exc}") from None
        return f"{url}/sumdb/{name}"
    return f"https://{name}"


def _cache_dir(name: str) -> Path:
    return settings().cache_dir / "sumdb" / urllib.parse.quote(name, safe="")


class _Reader:
    """Reads one database's documents and tiles (tiles through the cache)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.name = database.verifier.name
        self.fetched: dict[Path, bytes] = {}
        """Tiles read from the database in this proof, cached only once the proof holds."""
        proxies = tuple((e.url, e.fallback_on_any_error) for e in proxy_list()) if database.url is None else ()
        self.base = _base(self.name, database.url, proxies)

    def get(self, path: str) -> bytes:
        try:
            return http.client().get(f"{self.base}/{path}").content
        except NotFoundError:
            raise
        except RegistryError as exc:
            raise Unconfirmed(f"the checksum database {self.name} is unreachable: {exc}") from None

    def tile(self, level: int, number: int, width: int, cached: bool) -> bytes:
        path = tlog.tile_path(level, number, width)
        where = _cache_dir(self.name) / path
        if cached and where.is_file():
            return where.read_bytes()
        try:
            data = self.get(path)
        except NotFoundError:  # a partial tile the server no longer keeps: the full tile starts with it
            if width == 1 << tlog.HEIGHT:
                raise Unconfirmed(f"the checksum database {self.name} has no {path}") from None
            try:
                data = self.get(tlog.tile_path(level, number, 1 << tlog.HEIGHT))[: width * tlog.HASH_SIZE]
            except NotFoundError:
                raise Unconfirmed(f"the checksum database {self.name} has no {path}") from None
        self.fetched[where] = data
        return data

    def hashes(self, size: int, cached: bool = True) -> tlog.TileHashes:
        return tlog.TileHashes(size, lambda level, number, width: self.tile(level, number, width, cached))

    def prove(self, check: Callable[[tlog.TileHashes], None], size: int) -> None:
        """Run a proof over the tiles of a tree of `size`, again without the cache if cached tiles fail it
        (a damaged cache is not the database's fault). The tiles it fetched are cached once it holds."""
        self.fetched = {}
        try:
            check(self.hashes(size))
        except tlog.LogError:
            self.fetched = {}
            try:
                check(self.hashes(size, cached=False))
            except tlog.LogError as exc:
                raise Untrustworthy(f"checksum database {self.name}: {exc}") from None
        for where, data in self.fetched.items():
            atomic_write(where, data)


def _signed_tree(reader: _Reader, note: bytes) -> tlog.Tree:
    try:
        return tlog.parse_tree(tlog.open_note(note, reader.database.verifier))
    except tlog.LogError as exc:
        raise Untrustworthy(f"checksum database {reader.name}: {exc}") from None


def _keep_latest(reader: _Reader, note: bytes, tree: tlog.Tree) -> None:
    """Check `tree` against the largest tree verified before, and keep the larger."""
    where = _cache_dir(reader.name) / "latest"
    known = None
    try:
        kept = where.read_bytes()
        known = tlog.parse_tree(tlog.open_note(kept, reader.database.verifier))
    except (OSError, tlog.LogError):
        pass  # none yet, or a damaged copy: this tree becomes the reference
    if known is not None and known.size >= tree.size:
        reader.prove(lambda hashes: tlog.check_extends(tree, known, hashes), known.size)
        return
    if known is not None:
        reader.prove(lambda hashes: tlog.check_extends(known, tree, hashes), tree.size)
    atomic_write(where, note)


def lookup(module: str, version: str, database: Database) -> Record:
    """The database's proven go.sum lines for `module@version`. Unconfirmed: unreachable or no record;
    Untrustworthy: the answer fails verification."""
    reader = _Reader(database)
    try:
        answer = reader.get(f"lookup/{escape(module)}@{escape(version)}")
    except NotFoundError:
        raise Unconfirmed(f"the checksum database {reader.name} has no record of {module}@{version}") from None
    first, _, rest = answer.partition(b"\n")
    text, blank, note = rest.partition(b"\n\n")
    if not first.isdigit() or not blank:
        raise Untrustworthy(f"checksum database {reader.name}: malformed lookup answer for {module}@{version}")
    tree = _signed_tree(reader, note)
    index, data = int(first), text + b"\n"
    reader.prove(lambda hashes: tlog.check_record(tree, hashes, index, data), tree.size)
    _keep_latest(reader, note, tree)
    try:
        lines = tuple(data.decode("utf-8").splitlines())
    except UnicodeDecodeError:
        raise Untrustworthy(f"checksum database {reader.name}: the record is not UTF-8") from None
    record = Record(reader.name, lines, index, tree.size)
    if record.hash_of(module, version) is None:  # a genuine record of another module, proven where it is
        raise Untrustworthy(f"checksum database {reader.name}: the record {index} answered for {module}@{version} "
                            "is not of that module version")
    return record


def check(module: str, version: str) -> Record | None:
    """The proven record for `module@version` from the configured database; None when the go command would
    consult none. Raises Unconfirmed or Untrustworthy (see `lookup`)."""
    database = configured(module)
    return lookup(module, version, database) if database else None
