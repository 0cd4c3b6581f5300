"""What a portable PDB in a nupkg says about its own source: the repository and commit in its SourceLink JSON.

SourceLink (the .NET SDK default since .NET 8) maps the build's source paths to raw-file URLs of one commit,
`{"documents": {"/_/src/*": "https://raw.githubusercontent.com/OWNER/REPO/<sha>/src/*"}}`, and stores that JSON
in the portable PDB: a CustomDebugInformation row (table 0x37) whose Kind is the SourceLink GUID and whose Value
is a #Blob heap entry. The PDB ships beside the assembly (lib/<tfm>/X.pdb) or inside it, as the debug directory
entry EmbeddedPortablePdb ("MPDB", uncompressed size, raw deflate).

No maintained Python library reads portable PDBs (dnfile stops at the type-system tables and only opens PE
files), so this module is a small reader of exactly what it needs (ECMA-335 II.24 and the Portable PDB spec):
the metadata root and stream headers, the #Pdb stream's type-system row counts, and the #~ table stream up to
the CustomDebugInformation rows. Every offset and size is checked against the buffer; hostile input yields
nothing, never an exception. When the table layout cannot be followed (tables a standalone PDB never has, an
inconsistent size), the #Blob heap's length-prefixed entries are walked instead and the blob that is a JSON
object with a "documents" mapping is taken: weaker (it does not prove the blob is the SourceLink row), but the
JSON is equally the PDB's own claim.
"""

from __future__ import annotations

import json
import re
import struct
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pefile
from dnfile.utils import read_compressed_int

from ossprov.ecosystems.nuget.assembly import ASSEMBLY_SUFFIXES
from ossprov.model import PackageTree

ORIGIN = "sourcelink"
"""The SourceHint origin of a repository and commit read from SourceLink."""
SOURCELINK_KIND = uuid.UUID("cc110556-a091-4d38-9fec-25ab9a351a6a").bytes_le
"""The CustomDebugInformation Kind of SourceLink, as the #GUID heap stores it (Microsoft byte order)."""
MAX_PDB_BYTES = 64 * 1024 * 1024
MAX_JSON_BYTES = 1024 * 1024
MAX_JSON_CANDIDATES = 64
"""The heap-walk fallback parses at most this many blobs as JSON (a hostile heap may hold millions)."""
EMBEDDED_PORTABLE_PDB = 17
"""IMAGE_DEBUG_TYPE of a debug directory entry holding a deflated portable PDB."""
METHOD_DEF = 0x06
"""The one type-system table a debug table row points into (its row count comes from the #Pdb stream)."""
DOCUMENT, METHOD_DEBUG_INFORMATION, LOCAL_SCOPE, LOCAL_VARIABLE = 0x30, 0x31, 0x32, 0x33
LOCAL_CONSTANT, IMPORT_SCOPE, STATE_MACHINE_METHOD, CUSTOM_DEBUG_INFORMATION = 0x34, 0x35, 0x36, 0x37
HAS_CUSTOM_DEBUG_INFORMATION = (0x06, 0x04, 0x01, 0x02, 0x08, 0x09, 0x0A, 0x00, 0x0E, 0x17, 0x14, 0x11, 0x1A, 0x1B,
                                0x20, 0x23, 0x26, 0x27, 0x28, 0x2A, 0x2C, 0x2B, 0x30, 0x32, 0x33, 0x34, 0x35)
"""The tables the Parent coded index of a CustomDebugInformation row can point into (5 tag bits)."""
_SHA = re.compile(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")
_RAW_SEGMENTS = frozenset({"raw", "-", "blob", "commit"})
"""Path segments forges put between a repository and a commit in raw-file URLs (GitHub Enterprise `raw`,
self-hosted GitLab `-/raw`, Gitea `raw/commit`, ...): stripped to get the repository from a generic URL."""


class _Malformed(Exception):
    """Internal: the PDB breaks a structural rule; the public functions turn it into "nothing found"."""


@dataclass(frozen=True)
class SourceLinkCommit:
    """A repository and commit a PDB's SourceLink maps the build's sources to."""

    path: str
    """The PDB's (or the assembly embedding it) path in the nupkg."""
    repository: str
    commit: str


def _slice(data: bytes, offset: int, size: int) -> bytes:
    if offset < 0 or size < 0 or offset + size > len(data):
        raise _Malformed
    return data[offset:offset + size]


def _u(data: bytes, offset: int, fmt: str) -> int:
    value: int = struct.unpack_from("<" + fmt, _slice(data, offset, struct.calcsize(fmt)))[0]
    return value


def _streams(pdb: bytes) -> dict[str, bytes]:
    """The metadata root's streams by name (II.24.2.1-2)."""
    if pdb[:4] != b"BSJB":
        raise _Malformed
    pos = 16 + _u(pdb, 12, "I")
    count = _u(pdb, pos + 2, "H")
    pos += 4
    streams = {}
    for _ in range(count):
        offset, size = _u(pdb, pos, "I"), _u(pdb, pos + 4, "I")
        end = pdb.find(b"\0", pos + 8, pos + 8 + 32)
        if end < 0:
            raise _Malformed
        streams[pdb[pos + 8:end].decode("ascii", "replace")] = _slice(pdb, offset, size)
        pos += 8 + ((end - pos - 8 + 4) & ~3)  # the name with its NUL, padded to 4 bytes
    return streams


def _blob(heap: bytes, index: int) -> bytes:
    parsed = read_compressed_int(heap[index:index + 4]) if 0 <= index < len(heap) else None
    if parsed is None:
        raise _Malformed
    length, size = parsed
    return _slice(heap, index + size, length)


def _present(mask: int) -> list[int]:
    return [t for t in range(64) if mask >> t & 1]


def _table_blobs(streams: dict[str, bytes]) -> list[bytes]:
    """The Value blobs of the CustomDebugInformation rows whose Kind is SourceLink.

    Row counts of the debug tables come from #~, those of the type-system tables they index from #Pdb; index
    sizes follow (2 bytes below 2^16 rows, coded indexes below 2^11), so the tables before 0x37 can be skipped.
    """
    pdb, tables, guids, blobs = streams["#Pdb"], streams["#~"], streams.get("#GUID", b""), streams.get("#Blob", b"")
    rows = dict.fromkeys(range(64), 0)
    referenced = _present(_u(pdb, 24, "Q"))
    for i, table in enumerate(referenced):
        rows[table] = _u(pdb, 32 + 4 * i, "I")
    heap_sizes, valid = tables[6], _u(tables, 8, "Q")
    present = _present(valid)
    if any(not DOCUMENT <= t <= CUSTOM_DEBUG_INFORMATION for t in present):
        raise _Malformed  # a standalone PDB holds only the debug tables; their layout is all this reader knows
    for i, table in enumerate(present):
        rows[table] = _u(tables, 24 + 4 * i, "I")
    pos = 24 + 4 * len(present) + (4 if heap_sizes & 0x40 else 0)
    string, guid, blob = (4 if heap_sizes & bit else 2 for bit in (0x01, 0x02, 0x04))

    def index(table: int) -> int:
        return 2 if rows[table] < 1 << 16 else 4

    coded = 2 if max(rows[t] for t in HAS_CUSTOM_DEBUG_INFORMATION) < 1 << 11 else 4
    row_size = {DOCUMENT: blob + guid + blob + guid, METHOD_DEBUG_INFORMATION: index(DOCUMENT) + blob,
                LOCAL_SCOPE: index(METHOD_DEF) + index(IMPORT_SCOPE) + index(LOCAL_VARIABLE)
                + index(LOCAL_CONSTANT) + 8,
                LOCAL_VARIABLE: 4 + string, LOCAL_CONSTANT: string + blob, IMPORT_SCOPE: index(IMPORT_SCOPE) + blob,
                STATE_MACHINE_METHOD: 2 * index(METHOD_DEF), CUSTOM_DEBUG_INFORMATION: coded + guid + blob}
    pos += sum(rows[t] * row_size[t] for t in present if t < CUSTOM_DEBUG_INFORMATION)
    count = rows[CUSTOM_DEBUG_INFORMATION]
    cdi = _slice(tables, pos, count * row_size[CUSTOM_DEBUG_INFORMATION])
    fmt = {2: "H", 4: "I"}
    found = []
    for row in range(count):
        at = row * row_size[CUSTOM_DEBUG_INFORMATION] + coded
        kind = _u(cdi, at, fmt[guid])
        if kind and _slice(guids, 16 * (kind - 1), 16) == SOURCELINK_KIND:
            found.append(_blob(blobs, _u(cdi, at + guid, fmt[blob])))
    return found


def _heap_blobs(heap: bytes) -> Iterator[bytes]:
    """Fallback: the #Blob heap's entries that may be SourceLink JSON, in heap order.

    Rather than walking every entry (a hostile heap can hold 64 million empty ones), each `"documents"` is
    found with bytes.find and the entry around it is recovered: the `{` before it (only whitespace between)
    preceded by a 1, 2 or 4 byte length prefix whose entry reaches past the key.
    """
    pos = 0
    for _ in range(MAX_JSON_CANDIDATES):
        key = heap.find(b'"documents"', pos)
        if key < 0:
            return
        pos = key + 1
        start = heap.rfind(b"{", max(0, key - 64), key)
        if start < 0 or heap[start + 1:key].strip():
            continue
        for size in (1, 2, 4):
            parsed = read_compressed_int(heap[start - size:start]) if start >= size else None
            if parsed and parsed[1] == size and start + parsed[0] <= len(heap) and start + parsed[0] > key:
                yield heap[start:start + parsed[0]]
                break


def _documents(raw: bytes) -> dict[str, Any] | None:
    if len(raw) > MAX_JSON_BYTES:
        return None
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        return None
    return doc if isinstance(doc, dict) and isinstance(doc.get("documents"), dict) else None


def sourcelink_json(pdb: bytes) -> dict[str, Any] | None:
    """The SourceLink document of a portable PDB, or None (no SourceLink, not a portable PDB, malformed)."""
    if len(pdb) > MAX_PDB_BYTES:
        return None
    try:
        streams = _streams(pdb)
    except _Malformed:
        return None
    try:
        candidates: Iterator[bytes] | list[bytes] = _table_blobs(streams)
    except (_Malformed, KeyError, IndexError):
        candidates = _heap_blobs(streams.get("#Blob", b""))
    return next((doc for raw in candidates if (doc := _documents(raw)) is not None), None)


def embedded_pdb(assembly: bytes) -> bytes | None:
    """The portable PDB an assembly embeds in its debug directory, inflated, or None."""
    if not assembly.startswith(b"MZ") or len(assembly) > MAX_PDB_BYTES:
        return None
    try:
        pe = pefile.PE(data=assembly, fast_load=True)
        try:
            pe.parse_data_directories(directories=[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_DEBUG"]])
            entries = [e.struct for e in getattr(pe, "DIRECTORY_ENTRY_DEBUG", ())
                       if e.struct.Type == EMBEDDED_PORTABLE_PDB]
        finally:
            pe.close()
    except Exception:
        # pefile fails on hostile input with whatever its parsers hit first; such a file embeds nothing.
        return None
    return _inflate(assembly[entries[0].PointerToRawData:][:entries[0].SizeOfData]) if entries else None


def _inflate(data: bytes) -> bytes | None:
    """An EmbeddedPortablePdb entry's PDB: "MPDB", uint32 size, raw deflate; output capped at the declared
    size (itself capped), so a deflate bomb costs no more than MAX_PDB_BYTES."""
    if data[:4] != b"MPDB" or len(data) < 8:
        return None
    size = _u(data, 4, "I")
    if size > MAX_PDB_BYTES:
        return None
    try:
        inflated = zlib.decompressobj(-zlib.MAX_WBITS).decompress(data[8:], size + 1)
    except zlib.error:
        return None
    return inflated if len(inflated) == size else None


def repository_commit(url: str) -> tuple[str, str] | None:
    """(repository URL, commit) of a SourceLink raw-file URL: GitHub, GitLab (also self-hosted, `/-/raw/`),
    Bitbucket, Azure DevOps (`version=GC<sha>` or `versionType=commit&version=<sha>`), else any URL with a
    full-sha path segment, the repository being what precedes it minus the forge's raw-file segments."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host, segments = (parts.hostname or "").lower(), parts.path.split("/")
    if parts.scheme not in ("https", "http") or not host:
        return None
    base = f"{parts.scheme}://{parts.netloc}"
    if host == "raw.githubusercontent.com":
        if len(segments) > 3 and segments[1] and segments[2] and _SHA.fullmatch(segments[3]):
            return f"https://github.com/{segments[1]}/{segments[2]}", segments[3].lower()
        return None
    if host == "dev.azure.com" or host.endswith(".visualstudio.com"):
        query = parse_qs(parts.query)
        version = (query.get("version") or [""])[0]
        sha = version[2:] if version.startswith("GC") else version if query.get("versionType") == ["commit"] else ""
        path = parts.path.replace("/_apis/git/repositories/", "/_git/").split("/items")[0]
        return (base + path.rstrip("/"), sha.lower()) if _SHA.fullmatch(sha) and "/_git/" in path else None
    for i, segment in enumerate(segments):
        if _SHA.fullmatch(segment):
            repo = segments[:i]
            while repo and repo[-1] in _RAW_SEGMENTS:
                repo.pop()
            return (base + "/".join(repo), segment.lower()) if len(repo) > 1 else None
    return None


def _commits(path: str, pdb: bytes) -> list[SourceLinkCommit]:
    """The distinct repositories and commits of a PDB's SourceLink, the broadest mapping first (the project's
    own repository; longer path prefixes are submodules)."""
    doc = sourcelink_json(pdb)
    mappings = sorted(((str(k), v) for k, v in (doc or {}).get("documents", {}).items() if isinstance(v, str)),
                      key=lambda kv: len(kv[0]))
    found = [SourceLinkCommit(path, *pair) for _, url in mappings if (pair := repository_commit(url))]
    return list(dict.fromkeys(found))


def sourcelink_commits(tree: PackageTree) -> list[SourceLinkCommit]:
    """Repositories and commits named by the SourceLink of the package's PDBs (beside or inside assemblies),
    in path order."""
    found = []
    for path in sorted(tree.files):
        lower = path.lower()
        if lower.endswith(".pdb"):
            found += _commits(path, tree.files[path].data)
        elif lower.endswith(ASSEMBLY_SUFFIXES):
            pdb = embedded_pdb(tree.files[path].data)
            found += _commits(path, pdb) if pdb else []
    return found
