"""Regenerates Demo.pdb and DemoEmbedded.dll, the SourceLink fixtures of tests/ecosystems/test_nuget_sourcelink.py.

Usage: python make_sourcelink_pdb.py COMMIT
  COMMIT is the 40-hex sha the test's fixture repository gets for its first commit (the same as Demo.dll's
  informational version; the test says when it differs).

Mono's compiler writes .mdb symbols and no .NET SDK is available here, so the portable PDB is written by this
script, following the Portable PDB v1.0 spec and the layout Roslyn produces (checked against a real Roslyn PDB):
a metadata root "PDB v1.0" with the streams #Pdb, #~, #Strings, #US, #GUID, #Blob; in #~ a Document row for
src/Demo/Demo.cs (SHA-256 hash, C#), a MethodDebugInformation row for Greeter.Hello (no sequence points) and a
CustomDebugInformation row on the Module whose Kind is SourceLink and whose Value is the JSON

    {"documents":{"/_/*":"https://raw.githubusercontent.com/acme/demo/COMMIT/*"}}

DemoEmbedded.dll is Demo.dll with that PDB embedded the way `-debug:embedded` does it: a debug directory entry of
type 17 (EmbeddedPortablePdb) whose data is "MPDB", the PDB's size and the PDB deflated. The entry and its data
are appended to the last section (.reloc), since Demo.dll's headers have no room for another section header.
Tests only read the results and never run this script.
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
import uuid
import zlib
from pathlib import Path

import pefile

HERE = Path(__file__).parent
SOURCELINK = uuid.UUID("cc110556-a091-4d38-9fec-25ab9a351a6a")
SHA256 = uuid.UUID("8829d00f-11b8-4213-878b-770e8597ac16")
CSHARP = uuid.UUID("3f5162f8-07c6-11d3-9053-00c04fa302a1")
MODULE, TYPE_DEF, METHOD_DEF = 0x00, 0x02, 0x06
DOCUMENT, METHOD_DEBUG_INFORMATION, CUSTOM_DEBUG_INFORMATION = 0x30, 0x31, 0x37
HAS_CUSTOM_DEBUG_INFORMATION_MODULE_TAG = 7


def align4(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


def compressed(n: int) -> bytes:
    """ECMA-335 II.23.2 compressed unsigned integer."""
    if n < 0x80:
        return bytes([n])
    if n < 0x4000:
        return struct.pack(">H", 0x8000 | n)
    return struct.pack(">I", 0xC0000000 | n)


class Blobs:
    """The #Blob heap: index 0 is the empty blob."""

    def __init__(self) -> None:
        self.heap = bytearray(b"\0")

    def add(self, data: bytes) -> int:
        index = len(self.heap)
        self.heap += compressed(len(data)) + data
        return index


def document_name(blobs: Blobs, path: str) -> bytes:
    """A Document Name blob: the separator, then a blob index per path part."""
    return b"/" + b"".join(compressed(blobs.add(part.encode()) if part else 0) for part in path.split("/"))


def sourcelink_json(commit: str) -> bytes:
    url = f"https://raw.githubusercontent.com/acme/demo/{commit}/*"
    return json.dumps({"documents": {"/_/*": url}}, separators=(",", ":")).encode()


def portable_pdb(sourcelink: bytes, source: bytes) -> bytes:
    """A portable PDB of Demo.dll (`source` being Demo.cs) whose SourceLink JSON is `sourcelink`."""
    blobs = Blobs()
    guids = [SHA256.bytes_le, CSHARP.bytes_le, SOURCELINK.bytes_le]
    document = struct.pack("<HHHH", blobs.add(document_name(blobs, "/_/src/Demo/Demo.cs")), 1,
                           blobs.add(hashlib.sha256(source).digest()), 2)
    method_debug = struct.pack("<HH", 1, 0)
    parent = 1 << 5 | HAS_CUSTOM_DEBUG_INFORMATION_MODULE_TAG
    custom_debug = struct.pack("<HHH", parent, 3, blobs.add(sourcelink))
    tables = {DOCUMENT: document, METHOD_DEBUG_INFORMATION: method_debug, CUSTOM_DEBUG_INFORMATION: custom_debug}
    valid = sum(1 << t for t in tables)
    sorted_tables = 1 << 0x32 | 1 << 0x36 | 1 << CUSTOM_DEBUG_INFORMATION
    table_stream = (struct.pack("<IBBBBQQ", 0, 2, 0, 0, 1, valid, sorted_tables)
                    + b"".join(struct.pack("<I", 1) for _ in tables) + b"".join(tables.values()) + b"\0")
    type_system = {MODULE: 1, TYPE_DEF: 2, METHOD_DEF: 1}  # Demo.dll: <Module>, Greeter, Hello
    pdb_id = hashlib.sha256(sourcelink).digest()[:20]
    pdb_stream = (pdb_id + struct.pack("<IQ", 0, sum(1 << t for t in type_system))
                  + b"".join(struct.pack("<I", n) for n in type_system.values()))
    streams = {"#Pdb": pdb_stream, "#~": table_stream, "#Strings": b"\0", "#US": b"\0",
               "#GUID": b"".join(guids), "#Blob": bytes(blobs.heap)}
    version = align4(b"PDB v1.0\0")
    header_size = 16 + len(version) + 4 + sum(8 + len(align4(n.encode() + b"\0")) for n in streams)
    headers, body, offset = b"", b"", header_size
    for name, data in streams.items():
        data = align4(data)
        headers += struct.pack("<II", offset, len(data)) + align4(name.encode() + b"\0")
        body += data
        offset += len(data)
    return (b"BSJB" + struct.pack("<HHII", 1, 1, 0, len(version)) + version
            + struct.pack("<HH", 0, len(streams)) + headers + body)


def embed(dll: bytes, pdb: bytes) -> bytes:
    """`dll` with an EmbeddedPortablePdb debug directory entry holding `pdb`, appended to its last section."""
    pe = pefile.PE(data=dll)
    last = pe.sections[-1]
    if last.PointerToRawData + last.SizeOfRawData != len(dll):
        raise SystemExit("the last section does not end the file; cannot append to it")
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    data = b"MPDB" + struct.pack("<I", len(pdb)) + deflate.compress(pdb) + deflate.flush()
    start = (last.Misc_VirtualSize + 3) & ~3
    directory_rva, data_rva = last.VirtualAddress + start, last.VirtualAddress + start + 28
    directory_offset = last.PointerToRawData + start
    entry = struct.pack("<IIHHIIII", 0, 0, 0x0100, 0x0100, 17, len(data), data_rva, directory_offset + 28)
    content = entry + data
    options = pe.OPTIONAL_HEADER
    end = start + len(content)
    last.Misc_VirtualSize = end
    last.SizeOfRawData = -(-end // options.FileAlignment) * options.FileAlignment
    options.SizeOfImage = max(options.SizeOfImage, -(-(last.VirtualAddress + end) // options.SectionAlignment)
                              * options.SectionAlignment)
    debug = options.DATA_DIRECTORY[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_DEBUG"]]
    debug.VirtualAddress, debug.Size = directory_rva, 28
    out = bytearray(pe.write())
    out += b"\0" * (last.PointerToRawData + last.SizeOfRawData - len(out))
    out[directory_offset:directory_offset + len(content)] = content
    return bytes(out)


def main() -> None:
    commit = sys.argv[1] if len(sys.argv) == 2 else ""
    if len(commit) != 40 or any(c not in "0123456789abcdef" for c in commit):
        raise SystemExit("usage: make_sourcelink_pdb.py COMMIT (40 lower-case hex digits)")
    pdb = portable_pdb(sourcelink_json(commit), (HERE / "Demo.cs").read_bytes())
    (HERE / "Demo.pdb").write_bytes(pdb)
    (HERE / "DemoEmbedded.dll").write_bytes(embed((HERE / "Demo.dll").read_bytes(), pdb))
    print(f"wrote {HERE / 'Demo.pdb'} ({len(pdb)} bytes) and {HERE / 'DemoEmbedded.dll'} (SourceLink at {commit})")


if __name__ == "__main__":
    main()
