"""Each stabiliser alone: two artifacts that differ only in what it handles are equal after stabilising, and it
is the one reported as needed. Content differences are never stabilised away."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path
from typing import Any

import pytest

from ossprov.archive import Limits
from ossprov.errors import ArchiveError
from ossprov.verify import stabilize
from tests.rebuild.rebuild_archives import write_tgz, write_zip

CONTENT = {"package/index.js": b"module.exports = 1\n", "package/package.json": b'{"name": "x"}\n',
           "package/big.txt": b"".join(b"line %d of some text %d\n" % (i, i * 7919 % 1000) for i in range(4000))}
WHEEL = {"x/__init__.py": b"X = 1\n", "x-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: x\n"}


def _record(files: dict[str, bytes], reverse: bool) -> bytes:
    lines = [f"{n},sha256={base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b'=').decode()},{len(d)}"
             for n, d in sorted(files.items(), reverse=reverse)]
    return ("\n".join([*lines, "x-1.0.dist-info/RECORD,,"]) + "\n").encode()


def _sdist(metadata_version: str) -> dict[str, bytes]:
    return {"x-1.0/PKG-INFO": f"Metadata-Version: {metadata_version}\nName: x\nVersion: 1.0\n".encode(),
            "x-1.0/x.py": b"X = 1\n"}


TGZ_CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "tar-entry-order": ({}, {"reverse": True}),
    "tar-mtime": ({}, {"mtime": 1_700_000_000}),
    "tar-owner": ({}, {"uid": 1000, "uname": "builder"}),
    "tar-modes": ({}, {"mode": 0o664}),
    "tar-pax-headers": ({}, {"pax": {"atime": "1700000000.5", "SCHILY.dev": "2049"}}),
    "gzip-header": ({}, {"gz_mtime": 1_700_000_000, "gz_os": 3}),
    "gzip-compression": ({}, {"level": 1}),
}
ZIP_CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "zip-entry-order": ({}, {"reverse": True}),
    "zip-timestamps": ({}, {"date": (2024, 5, 1, 12, 30, 0)}),
    "zip-compression": ({}, {"method": zipfile.ZIP_STORED}),
    "zip-extra-fields": ({}, {"extra": b"UT\x05\x00\x01\x00\xf1\x53\x65"}),
    "zip-external-attributes": ({}, {"external": 0o100664 << 16, "create_system": 0}),
}


def _only_needed(result: stabilize.Comparison) -> list[str]:
    return [s.name for s in result.stabilizers if s.needed]


@pytest.mark.parametrize("name", sorted(TGZ_CASES))
def test_tar_and_gzip_stabilisers(tmp_path: Path, name: str) -> None:
    a_kw, b_kw = TGZ_CASES[name]
    a = write_tgz(tmp_path / "a.tgz", CONTENT, **a_kw)
    b = write_tgz(tmp_path / "b.tgz", CONTENT, **b_kw)
    result = stabilize.compare(a, b)
    assert not result.raw_equal
    assert result.stabilized_equal
    assert _only_needed(result) == [name]


@pytest.mark.parametrize("name", sorted(ZIP_CASES))
def test_zip_stabilisers(tmp_path: Path, name: str) -> None:
    a_kw, b_kw = ZIP_CASES[name]
    files = {**WHEEL, "x-1.0.dist-info/RECORD": _record(WHEEL, False)}
    a = write_zip(tmp_path / "a.whl", files, **a_kw)
    b = write_zip(tmp_path / "b.whl", files, **b_kw)
    result = stabilize.compare(a, b)
    assert (result.raw_equal, result.stabilized_equal) == (False, True)
    assert _only_needed(result) == [name]


def test_wheel_record(tmp_path: Path) -> None:
    a = write_zip(tmp_path / "a.whl", {**WHEEL, "x-1.0.dist-info/RECORD": _record(WHEEL, False)})
    b = write_zip(tmp_path / "b.whl", {**WHEEL, "x-1.0.dist-info/RECORD": _record(WHEEL, True)})
    result = stabilize.compare(a, b)
    assert result.stabilized_equal and _only_needed(result) == ["wheel-record"]


def test_wheel_record_does_not_hide_changed_content(tmp_path: Path) -> None:
    """RECORD is regenerated from content, so a modified file with a forged RECORD still differs."""
    evil = {**WHEEL, "x/__init__.py": b"import os; os.system('id')\n"}
    a = write_zip(tmp_path / "a.whl", {**WHEEL, "x-1.0.dist-info/RECORD": _record(WHEEL, False)})
    b = write_zip(tmp_path / "b.whl", {**evil, "x-1.0.dist-info/RECORD": _record(WHEEL, False)})
    result = stabilize.compare(a, b)
    assert not result.stabilized_equal and result.published and result.rebuilt
    assert ("x/__init__.py", "data") in stabilize.differences(result.published, result.rebuilt)


def test_sdist_metadata_version(tmp_path: Path) -> None:
    a = write_tgz(tmp_path / "x-1.0.tar.gz", _sdist("2.1"))
    b = write_tgz(tmp_path / "y.tar.gz", _sdist("2.2"))
    result = stabilize.compare(a, b)
    assert result.stabilized_equal and _only_needed(result) == ["sdist-metadata-version"]


def test_sdist_metadata_version_leaves_other_fields(tmp_path: Path) -> None:
    other = _sdist("2.1")
    other["x-1.0/PKG-INFO"] = other["x-1.0/PKG-INFO"].replace(b"Version: 1.0", b"Version: 1.1")
    result = stabilize.compare(write_tgz(tmp_path / "a.tgz", _sdist("2.1")), write_tgz(tmp_path / "b.tgz", other))
    assert not result.stabilized_equal


def test_sdist_license_files(tmp_path: Path) -> None:
    newer = _sdist("2.1")
    newer["x-1.0/PKG-INFO"] = newer["x-1.0/PKG-INFO"].replace(b"Version: 1.0\n", b"Version: 1.0\nLicense-File: LICENSE\n")
    result = stabilize.compare(write_tgz(tmp_path / "a.tgz", _sdist("2.1")), write_tgz(tmp_path / "b.tgz", newer))
    assert result.stabilized_equal and _only_needed(result) == ["sdist-license-files"]


def test_several_stabilisers_needed_together(tmp_path: Path) -> None:
    a = write_tgz(tmp_path / "a.tgz", CONTENT)
    b = write_tgz(tmp_path / "b.tgz", CONTENT, mtime=5, uid=501, uname="me", gz_mtime=9)
    result = stabilize.compare(a, b)
    assert result.stabilized_equal
    assert _only_needed(result) == ["tar-mtime", "tar-owner", "gzip-header"]


def test_identical_artifacts_need_nothing(tmp_path: Path) -> None:
    a = write_tgz(tmp_path / "a.tgz", CONTENT)
    result = stabilize.compare(a, a)
    assert result.raw_equal and result.stabilized_equal and result.stabilizers == ()


@pytest.mark.parametrize("change", ["content", "added", "removed", "exec-bit"])
def test_real_differences_survive(tmp_path: Path, change: str) -> None:
    files = dict(CONTENT)
    kw: dict = {}
    if change == "content":
        files["package/index.js"] = b"module.exports = 2\n"
    elif change == "added":
        files["package/postinstall.js"] = b"steal()\n"
    elif change == "removed":
        del files["package/big.txt"]
    else:
        kw["mode"] = 0o755
    result = stabilize.compare(write_tgz(tmp_path / "a.tgz", CONTENT), write_tgz(tmp_path / "b.tgz", files, **kw))
    assert not result.stabilized_equal


def test_gzip_levels_are_recognised(tmp_path: Path) -> None:
    image = stabilize.load_image(write_tgz(tmp_path / "a.tgz", CONTENT, level=1))
    assert image.compression[:2] == ("deflate", 1)


def test_not_an_archive(tmp_path: Path) -> None:
    bad = tmp_path / "x.tgz"
    bad.write_bytes(b"\x1f\x8b\x08\x00garbage" * 3)
    with pytest.raises(ArchiveError):
        stabilize.load_image(bad)


def test_entry_limit(tmp_path: Path) -> None:
    many = {f"package/f{i}": b"" for i in range(50)}
    with pytest.raises(ArchiveError, match="more than 10 entries"):
        stabilize.load_image(write_tgz(tmp_path / "a.tgz", many), limits=Limits(max_entries=10))


def test_gzip_bomb_refused(tmp_path: Path) -> None:
    bomb = write_tgz(tmp_path / "a.tgz", {"package/zeros": bytes(5_000_000)})
    with pytest.raises(ArchiveError, match="beyond the limit"):
        stabilize.load_image(bomb, limits=Limits(max_total_bytes=1_000_000))
