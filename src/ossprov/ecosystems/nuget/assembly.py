"""What a .NET assembly in a nupkg says about its own source: the commit in AssemblyInformationalVersion.

The .NET SDK (with SourceLink, the default since .NET 8) stamps `1.2.3+<commit sha>` into the
AssemblyInformationalVersion attribute of every assembly it builds, so a nupkg's lib/ assemblies name the commit
they were compiled from even when the nuspec does not. The metadata is read with dnfile; only the attribute's
value blob (ECMA-335 II.23.3: prolog 01 00, then a SerString) is decoded here.

SourceLink JSON lives in portable PDBs (CustomDebugInformation rows), which dnfile does not parse: its tables
stop before the PDB tables (0x30-0x37) and it only opens PE files. `sourcelink` (beside this module) reads them.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import dnfile
from dnfile.utils import read_compressed_int

from ossprov.model import PackageTree

ATTRIBUTE = "AssemblyInformationalVersionAttribute"
ORIGIN = "assembly-informational-version"
"""The SourceHint origin of a commit read from an assembly."""
ASSEMBLY_SUFFIXES = (".dll", ".exe")
MAX_ASSEMBLY_BYTES = 64 * 1024 * 1024
"""Larger files are not parsed (no real assembly in a nupkg is that big; a hostile one could be)."""
_COMMIT = re.compile(r"\+(?:.*\.)?([0-9a-f]{40}|[0-9a-f]{64})$")
"""`1.2.3+<sha>`, also `1.2.3+build.5.<sha>` as some versioning tools write it."""



def _not_from_dnfile(record: logging.LogRecord) -> bool:
    """dnfile warns about every malformed table through the root logger; a hostile assembly is expected here
    and is reported as carrying no version, so those warnings are noise."""
    return "/dnfile/" not in record.pathname.replace("\\", "/")


logging.getLogger().addFilter(_not_from_dnfile)
for _name in ("dnfile", "pefile"):
    logging.getLogger(_name).setLevel(logging.ERROR)


@dataclass(frozen=True)
class AssemblyCommit:
    """A commit an assembly names in its informational version."""

    path: str
    """The assembly's path in the nupkg."""
    version: str
    """The whole informational version."""
    commit: str


def _ser_string(blob: bytes) -> str | None:
    """The first fixed argument of a custom attribute value blob when it is a non-null string."""
    if len(blob) < 3 or blob[:2] != b"\x01\x00" or blob[2] == 0xFF:
        return None
    parsed = read_compressed_int(blob[2:6])
    if parsed is None:
        return None
    length, size = parsed
    raw = blob[2 + size:2 + size + length]
    return raw.decode("utf-8", "replace") if len(raw) == length else None


def informational_version(data: bytes) -> str | None:
    """The AssemblyInformationalVersion of an assembly, or None (not an assembly, no attribute, malformed)."""
    if not data.startswith(b"MZ") or len(data) > MAX_ASSEMBLY_BYTES:
        return None
    try:
        pe = dnfile.dnPE(data=data)
        try:
            table = pe.net.mdtables.CustomAttribute if pe.net and pe.net.mdtables else None
            for row in table.rows if table else ():
                ctor = row.Type.row if row.Type else None
                owner = getattr(ctor, "Class", None)
                if owner is None or owner.row is None or str(getattr(owner.row, "TypeName", "")) != ATTRIBUTE:
                    continue
                value = getattr(row.Value, "value", None)  # the blob heap entry of the attribute's value
                return _ser_string(bytes(value)) if value else None
        finally:
            pe.close()
    except Exception:
        # dnfile fails on hostile input with whatever its parsers hit first (PEFormatError, AssertionError,
        # IndexError, struct.error ...); such a file names no commit.
        return None
    return None


def assembly_commits(tree: PackageTree) -> list[AssemblyCommit]:
    """Commits named by the informational versions of the package's assemblies, in path order."""
    found = []
    for path in sorted(tree.files):
        if not path.lower().endswith(ASSEMBLY_SUFFIXES):
            continue
        version = informational_version(tree.files[path].data)
        match = _COMMIT.search(version or "")
        if version and match:
            found.append(AssemblyCommit(path, version, match.group(1)))
    return found
