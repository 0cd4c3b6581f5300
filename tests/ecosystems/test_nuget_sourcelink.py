"""NuGet SourceLink evidence: the repository and commit in a portable PDB's SourceLink JSON (data/Demo.pdb, and
the same PDB embedded in data/DemoEmbedded.dll, both made by data/make_sourcelink_pdb.py), hostile PDBs and
assemblies, and end to end: SourceLink alone locates and pins the package, and a SourceLink commit that is not
the nuspec's gives OSP116."""

from __future__ import annotations

import importlib.util
import random
import struct
import time
import zlib
from pathlib import Path

import pytest

from ossprov import stages
from ossprov.ecosystems.nuget.ecosystem import NuGet, _sourcelink_mismatches
from ossprov.ecosystems.nuget.sourcelink import (
    SourceLinkCommit,
    embedded_pdb,
    repository_commit,
    sourcelink_commits,
    sourcelink_json,
)
from ossprov.fixtures.nuget import nuspec, publish_nuget
from ossprov.fixtures.world import World
from ossprov.model import FileStatus, Severity
from tests.ecosystems.test_nuget_assembly import DLL, DLL_COMMIT, demo_repo, tree

DATA = Path(__file__).parent / "data"
PDB = (DATA / "Demo.pdb").read_bytes()
EMBEDDED = (DATA / "DemoEmbedded.dll").read_bytes()
REPOSITORY = "https://github.com/acme/demo"
"""Where Demo.pdb's SourceLink points; `demo_repo(world, "demo")` makes it, first commit DLL_COMMIT."""


def test_sourcelink_is_read_from_the_fixture_pdb() -> None:
    assert sourcelink_json(PDB) == {"documents": {
        "/_/*": f"https://raw.githubusercontent.com/acme/demo/{DLL_COMMIT}/*"}}
    found = sourcelink_commits(tree({"lib/net45/Demo.dll": DLL, "lib/net45/Demo.pdb": PDB}))
    assert found == [SourceLinkCommit("lib/net45/Demo.pdb", REPOSITORY, DLL_COMMIT)]


def test_sourcelink_is_read_from_the_pdb_embedded_in_an_assembly() -> None:
    assert embedded_pdb(EMBEDDED) == PDB
    assert embedded_pdb(DLL) is None
    found = sourcelink_commits(tree({"lib/net45/Demo.dll": EMBEDDED}))
    assert found == [SourceLinkCommit("lib/net45/Demo.dll", REPOSITORY, DLL_COMMIT)]


VALID = struct.pack("<Q", 1 << 0x30 | 1 << 0x31 | 1 << 0x37)
"""Demo.pdb's #~ Valid mask: Document, MethodDebugInformation, CustomDebugInformation, one row each."""


@pytest.mark.parametrize("broken", [
    PDB.replace(VALID, struct.pack("<Q", 1 << 0x2F | 1 << 0x31 | 1 << 0x37)),   # a table no PDB has
    PDB.replace(VALID + struct.pack("<Q", 0xC4 << 48) + struct.pack("<I", 1) * 3,
                VALID + struct.pack("<Q", 0xC4 << 48) + struct.pack("<I", 0x7FFFFFFF) * 3),  # rows past the end
])
def test_blob_heap_fallback_when_the_tables_cannot_be_followed(broken: bytes) -> None:
    assert broken != PDB
    assert sourcelink_json(broken) == sourcelink_json(PDB)


def test_kind_other_than_sourcelink_is_not_taken() -> None:
    kind = PDB.index(bytes.fromhex("560511cc91a0384d9fec25ab9a351a6a"))
    other = PDB[:kind] + b"\x00" * 16 + PDB[kind + 16:]
    assert sourcelink_json(other) is None


@pytest.mark.parametrize("url, expected", [
    (f"https://raw.githubusercontent.com/o/r/{'a' * 40}/*", ("https://github.com/o/r", "a" * 40)),
    (f"https://gitlab.com/grp/sub/r/-/raw/{'B' * 40}/*", ("https://gitlab.com/grp/sub/r", "b" * 40)),
    (f"https://bitbucket.org/o/r/raw/{'c' * 40}/*", ("https://bitbucket.org/o/r", "c" * 40)),
    (f"https://dev.azure.com/org/proj/_apis/git/repositories/r/items?api-version=1.0&versionType=commit"
     f"&version={'d' * 40}&path=/*", ("https://dev.azure.com/org/proj/_git/r", "d" * 40)),
    (f"https://dev.azure.com/org/proj/_git/r/items?path=/*&version=GC{'e' * 40}",
     ("https://dev.azure.com/org/proj/_git/r", "e" * 40)),
    (f"https://git.example.org/o/r/raw/commit/{'f' * 64}/*", ("https://git.example.org/o/r", "f" * 64)),
    ("https://raw.githubusercontent.com/o/r/main/*", None),
    (f"https://example.org/{'a' * 40}/*", None),
    (f"file:///src/{'a' * 40}/*", None),
    ("https://dev.azure.com/org/proj/_git/r/items?version=GBmain", None),
    ("http://[::1/x", None),
])
def test_repository_and_commit_from_raw_urls(url: str, expected: tuple[str, str] | None) -> None:
    assert repository_commit(url) == expected


def _deflate_bomb() -> bytes:
    """An MPDB entry declaring 60 MiB that inflates to 1 GiB of zeros: a fully flushed deflate block of 1 MiB
    does not depend on what precedes it, so it is compressed once and repeated."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = deflate.compress(b"\0" * (1 << 20)) + deflate.flush(zlib.Z_FULL_FLUSH)
    return b"MPDB" + struct.pack("<I", 60 << 20) + block * 1024 + deflate.flush()


def _with_embedded(data: bytes) -> bytes:
    """DemoEmbedded.dll with its MPDB data replaced (the debug entry's size and file offset updated)."""
    at = EMBEDDED.index(b"MPDB")
    entry = at - 28
    fields = list(struct.unpack_from("<IIHHIIII", EMBEDDED, entry))
    fields[5] = len(data)
    return EMBEDDED[:entry] + struct.pack("<IIHHIIII", *fields) + data


@pytest.mark.timeout(10)
@pytest.mark.parametrize("data", [
    b"", PDB[:40], PDB[:200], PDB[:-30], b"BSJB" + b"\xff" * 400, bytes(random.Random(3).randbytes(4096)),
    PDB[:12] + struct.pack("<I", 0xFFFFFFF0) + PDB[16:],                      # version string past the end
    b"BSJB" + bytes(60) + b"#Blob\0\0\0" + b"\x00" * 1000 + b"\xc0{" * 500,
])
def test_hostile_pdbs_yield_nothing(data: bytes) -> None:
    assert sourcelink_json(data) is None
    assert sourcelink_commits(tree({"lib/net8.0/X.pdb": data})) == []


@pytest.mark.timeout(10)
@pytest.mark.parametrize("data", [
    _deflate_bomb(), b"MPDB" + struct.pack("<I", 0xFFFFFFFF) + b"\x00" * 64, b"MPDB\x10\x00\x00\x00not deflate",
    b"MPDB" + struct.pack("<I", len(PDB) + 5) + zlib.compress(PDB)[2:-4], b"MPD",
])
def test_hostile_embedded_pdbs_yield_nothing(data: bytes) -> None:
    started = time.monotonic()
    assert embedded_pdb(_with_embedded(data)) is None
    assert time.monotonic() - started < 5


def test_heap_fallback_is_fast_on_a_heap_of_candidates() -> None:
    """A hostile heap full of `{"documents"` is looked at a bounded number of times."""
    heap = (b"\x0e" + b'{"documents"  ') * 200_000
    data = b"BSJB" + struct.pack("<HHII", 1, 1, 0, 4) + b"PDB\0" + struct.pack("<HH", 0, 1)
    data += struct.pack("<II", len(data) + 16, len(heap)) + b"#Blob\0\0\0" + heap
    started = time.monotonic()
    assert sourcelink_json(data) is None
    assert time.monotonic() - started < 2


@pytest.mark.slow
def test_corrupted_pdbs_never_raise() -> None:
    rng = random.Random(11)
    for _ in range(500):
        blob = bytearray(PDB)
        for _ in range(8):
            blob[rng.randrange(len(blob))] = rng.randrange(256)
        doc = sourcelink_json(bytes(blob))
        assert doc is None or isinstance(doc.get("documents"), dict)


def test_sourcelink_becomes_a_hint_naming_the_repository() -> None:
    spec = nuspec("Demo", "1.2.3")
    hints = NuGet().artifact_hints(tree({"Demo.nuspec": spec.encode(), "lib/net45/Demo.pdb": PDB,
                                         "lib/net45/Demo.dll": EMBEDDED}))
    assert [(h.url, h.commit) for h in hints if h.origin == "sourcelink"] == [(REPOSITORY, DLL_COMMIT)]


def test_sourcelink_alone_locates_and_pins(world: World) -> None:
    release, later = demo_repo(world, "demo")
    assert release == DLL_COMMIT != later, "fixture repository changed: run data/make_sourcelink_pdb.py"
    result = stages.verify(publish_nuget(world, "Demo", "1.2.3", nuspec("Demo", "1.2.3"),
                                           {"lib/net45/Demo.pdb": PDB}))
    assert result.locate.repository and result.locate.repository.url.rstrip("/") == REPOSITORY
    assert result.locate.commit == DLL_COMMIT
    assert any(e.data.get("origin") == "sourcelink" for e in result.locate.evidence), result.locate.evidence
    assert {r.path: r.status for r in result.file_results}["lib/net45/Demo.pdb"] is FileStatus.GENERATED
    assert not [f for f in result.findings if f.rule == "OSP116"], result.findings


def test_sourcelink_commit_disagreeing_with_the_nuspec_commit_is_high(world: World) -> None:
    _, later = demo_repo(world, "demo")
    spec = nuspec("Demo", "1.2.3", repository=REPOSITORY, commit=later)
    result = stages.verify(publish_nuget(world, "Demo", "1.2.3", spec, {"lib/net45/Demo.pdb": PDB}))
    assert result.locate.commit == later
    mismatch = [f for f in result.findings if f.rule == "OSP116"]
    assert [(f.severity, f.path) for f in mismatch] == [(Severity.HIGH, "lib/net45/Demo.pdb")]
    assert "SourceLink" in mismatch[0].message and DLL_COMMIT[:12] in mismatch[0].message


def test_submodule_mapping_does_not_raise_osp116() -> None:
    """A PDB maps a submodule to its own commit; one mapping agreeing with the pinned commit suffices."""
    sub = "9" * 40
    json_doc = (b'{"documents":{"/_/ext/lib/*":"https://raw.githubusercontent.com/o/lib/' + sub.encode() + b'/*",'
                b'"/_/*":"https://raw.githubusercontent.com/acme/demo/' + DLL_COMMIT.encode() + b'/*"}}')
    pdb = _with_sourcelink(json_doc)
    found = sourcelink_commits(tree({"lib/X.pdb": pdb}))
    assert [c.commit for c in found] == [DLL_COMMIT, sub]
    assert _sourcelink_mismatches(tree({"lib/X.pdb": pdb}), DLL_COMMIT) == []
    assert len(_sourcelink_mismatches(tree({"lib/X.pdb": pdb}), "8" * 40)) == 1


def _with_sourcelink(json_doc: bytes) -> bytes:
    """A PDB like Demo.pdb with another SourceLink JSON, written by the fixture generator."""
    spec = importlib.util.spec_from_file_location("make_sourcelink_pdb", DATA / "make_sourcelink_pdb.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    pdb: bytes = module.portable_pdb(json_doc, (DATA / "Demo.cs").read_bytes())
    return pdb
