"""Hostile archives are refused or contained, and nothing is written outside the work directory."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from ossprov.archive import Limits, materialize, read_archive, strip_root
from ossprov.errors import ArchiveError


def make_tar(path: Path, entries: list[tarfile.TarInfo], data: dict[str, bytes] | None = None) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info in entries:
            payload = (data or {}).get(info.name, b"")
            if info.isfile():
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
            else:
                tar.addfile(info)
    return path


def entry(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


def snapshot(root: Path) -> set[str]:
    return {str(p) for p in root.rglob("*")}


def test_traversal_links_and_devices_are_refused(tmp_path: Path) -> None:
    before = snapshot(tmp_path)
    archive = make_tar(tmp_path / "evil.tgz", [
        entry("package/index.js"), entry("package/../../escape.js"), entry("/etc/evil"),
        entry("package/link", tarfile.SYMTYPE, "/etc/passwd"), entry("package/hard", tarfile.LNKTYPE, "../../x"),
        entry("package/dev", tarfile.CHRTYPE), entry("package/fifo", tarfile.FIFOTYPE),
    ], {"package/index.js": b"ok", "package/../../escape.js": b"bad", "/etc/evil": b"bad"})
    tree = strip_root(read_archive(archive))
    assert set(tree.files) == {"index.js"}
    reasons = dict(tree.refused)
    assert "path traversal" in reasons["package/../../escape.js"]
    assert "absolute" in reasons["/etc/evil"]
    assert "outside the package" in reasons["package/link"]
    assert "hard link" in reasons["package/hard"]
    assert "device" in reasons["package/dev"] and "device" in reasons["package/fifo"]
    assert snapshot(tmp_path) - before == {str(archive)}
    assert not (tmp_path.parent / "escape.js").exists()


def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.whl"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.bin", b"\0" * (64 * 1024 * 1024))
    with pytest.raises(ArchiveError, match="bomb"):
        read_archive(bomb)


def test_gzip_bomb_stops_at_the_total_limit(tmp_path: Path) -> None:
    archive = make_tar(tmp_path / "big.tgz", [entry("package/a"), entry("package/b")],
                       {"package/a": b"\0" * 3_000_000, "package/b": b"\0" * 3_000_000})
    with pytest.raises(ArchiveError, match="bytes"):
        read_archive(archive, limits=Limits(max_total_bytes=4_000_000))


def test_twenty_thousand_entries_are_contained(tmp_path: Path) -> None:
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for i in range(20_000):
            zf.writestr(f"pkg/f{i}.txt", b"x")
    assert len(read_archive(archive).files) == 20_000
    with pytest.raises(ArchiveError, match="entries"):
        read_archive(archive, limits=Limits(max_entries=10_000))


def test_non_utf8_names_are_refused(tmp_path: Path) -> None:
    archive = tmp_path / "names.tar"
    with tarfile.open(archive, "w", format=tarfile.GNU_FORMAT, encoding="latin-1") as tar:
        info = tarfile.TarInfo("package/caf\xe9.js")
        tar.addfile(info, io.BytesIO(b""))
        ok = tarfile.TarInfo("package/ok.js")
        tar.addfile(ok, io.BytesIO(b""))
    tree = read_archive(archive)
    assert "package/ok.js" in tree.files
    assert any("not UTF-8" in reason for _, reason in tree.refused)


def test_corrupt_archive_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tgz"
    bad.write_bytes(b"\x1f\x8bnot really gzip")
    with pytest.raises(ArchiveError, match="not a readable"):
        read_archive(bad)


def test_materialize_stays_inside(tmp_path: Path) -> None:
    archive = make_tar(tmp_path / "ok.tgz", [entry("package/a/b.js")], {"package/a/b.js": b"1"})
    dest = tmp_path / "out"
    materialize(strip_root(read_archive(archive)), dest)
    assert (dest / "a/b.js").read_bytes() == b"1"
    assert sorted(os.listdir(dest)) == ["a"]


def _hostile_mix(path: Path) -> Path:
    """Files (a long name, a pax header, a sparse file, names to clean), a traversal, a link and a directory."""
    files = {"package/a.js": b"1\n", "package/./dir//b.js": b"22\n", "package/" + "n" * 150 + ".js": b"333\n"}
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for name, payload in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.pax_headers = len(payload), 0o755, {"comment": "x" * 600}
            tar.addfile(info, io.BytesIO(payload))
        tar.addfile(entry("package/dir", tarfile.DIRTYPE))
        tar.addfile(entry("package/link", tarfile.SYMTYPE, "../../etc/passwd"))
        evil = tarfile.TarInfo("../evil.js")
        evil.size = 4
        tar.addfile(evil, io.BytesIO(b"evil"))
    return path


def test_a_small_gzip_archive_read_in_memory_gives_what_the_stream_reader_gives(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = _hostile_mix(tmp_path / "mix.tgz")
    in_memory = read_archive(archive)
    monkeypatch.setattr("ossprov.archive.IN_MEMORY", 64)  # too big to hold: read as a stream
    streamed = read_archive(archive)
    assert {p: (f.data, f.mode) for p, f in in_memory.files.items()} == \
        {p: (f.data, f.mode) for p, f in streamed.files.items()}
    assert in_memory.refused == streamed.refused and in_memory.mtimes == streamed.mtimes
    assert sorted(in_memory.files) == ["package/a.js", "package/dir/b.js", "package/" + "n" * 150 + ".js"]
    assert {why.split(" ")[0] for _, why in in_memory.refused} == {"symbolic", "path"}


def test_a_truncated_or_concatenated_gzip_archive_is_judged_as_the_stream_reader_judges_it(tmp_path: Path) -> None:
    whole = _hostile_mix(tmp_path / "mix.tgz").read_bytes()
    cut = tmp_path / "cut.tgz"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    with pytest.raises(ArchiveError, match=r"not a readable|truncated"):
        read_archive(cut)
    twice = tmp_path / "twice.tgz"  # two gzip members: gzip readers read both, one after the other
    twice.write_bytes(whole + whole)
    assert sorted(read_archive(twice).files) == sorted(read_archive(tmp_path / "mix.tgz").files)
