"""A file read once is read from the cache after (same bytes, same name, same reading code): the tree is the
one the archive reader made, refusals included; an archive the reader refuses is read, and refused, every time."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from ossprov import artifacts
from ossprov.cache import file_digests
from ossprov.ecosystems.npm.ecosystem import ECOSYSTEM as NPM
from ossprov.errors import ArchiveError


def _pack(path: Path, files: dict[str, bytes], link: bool = False) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if link:
            sym = tarfile.TarInfo("package/out")
            sym.type, sym.linkname = tarfile.SYMTYPE, "../../etc/passwd"
            tar.addfile(sym)
    return path


def _read(path: Path, name: str | None = None) -> artifacts.PackageTree:
    return artifacts._read_tree(NPM, path, name or path.name, file_digests(path)["sha256"])


def test_a_file_read_before_is_read_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = _pack(tmp_path / "p-1.0.0.tgz", {"package/index.js": b"1;\n", "package/package.json": b"{}"}, link=True)
    first = _read(pkg)
    assert sorted(first.files) == ["index.js", "package.json"] and first.refused
    calls: list[Path] = []
    real = NPM.read_artifact
    monkeypatch.setattr(type(NPM), "read_artifact", lambda self, p, n: calls.append(p) or real(p, n))
    assert _read(pkg) == first
    assert calls == []
    other = _pack(tmp_path / "p-1.0.1.tgz", {"package/index.js": b"2;\n", "package/package.json": b"{}"})
    assert _read(other).files["index.js"].data == b"2;\n"  # other bytes: read
    assert _read(pkg, "p-1.0.0.tar.gz") == first and calls == [other, pkg]  # another name: read again


def test_a_refused_archive_is_refused_every_time(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tgz"
    bad.write_bytes(b"\x1f\x8bnot really gzip")
    for _ in range(2):
        with pytest.raises(ArchiveError, match="not a readable"):
            _read(bad)
