"""A file read once is read from the cache after (same bytes, same name, same reading code): the tree is the
one the archive reader made, refusals included; an archive the reader refuses is read, and refused, every time."""

from __future__ import annotations

import io
import pickle
import sys
import tarfile
from pathlib import Path

import pytest

from ossprov import artifacts
from ossprov.cache import file_digests
from ossprov.ecosystems.npm.ecosystem import ECOSYSTEM as NPM
from ossprov.errors import ArchiveError
from ossprov.model import PackageFile, PackageTree


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


def _memo_of(path: Path) -> Path:
    """The memo file a read of `path` made (the only one in the cache's trees directory)."""
    memos = list((artifacts.settings().cache_dir / artifacts.TREES).iterdir())
    assert len(memos) == 1, memos
    return memos[0]


_UNIMPORTABLE = b"\x80\x04cnosuchmodule_ossprov\nThing\n."
"""A pickle naming a module that does not exist: what a damaged memo can raise (ModuleNotFoundError)."""


@pytest.mark.parametrize("damage", [_UNIMPORTABLE, b"\x80\x05\x95\xff\x00\x00", b"\x80\x04\x8a\x09" + b"\xff" * 9 + b".",
                                    b"", pickle.dumps({"files": 1})])
def test_a_damaged_memo_is_read_anew_never_a_traceback(tmp_path: Path, damage: bytes) -> None:
    pkg = _pack(tmp_path / "p-1.0.0.tgz", {"package/index.js": b"1;\n"})
    _read(pkg)
    _memo_of(pkg).write_bytes(damage)
    assert _read(pkg).files["index.js"].data == b"1;\n"


def test_a_memo_others_could_write_is_never_believed(tmp_path: Path) -> None:
    """A shared cache directory: another account plants the memo of the tampered artifact's digest holding the
    genuine tree (or a link to a file of the user's, such as a downloaded artifact that is a pickle)."""
    tampered = _pack(tmp_path / "p-1.0.0.tgz", {"package/index.js": b"steal();\n"})
    _read(tampered)
    memo = _memo_of(tampered)
    genuine = PackageTree({"index.js": PackageFile("index.js", b"1;\n", 0o644)})
    memo.write_bytes(pickle.dumps(genuine))
    assert _read(tampered) == genuine  # the user's own memo is the user's own cache: believed
    memo.chmod(0o666)
    assert _read(tampered).files["index.js"].data == b"steal();\n"
    planted = tmp_path / "downloaded-artifact"
    planted.write_bytes(pickle.dumps(genuine))
    memo.unlink()
    memo.symlink_to(planted)
    assert _read(tampered).files["index.js"].data == b"steal();\n"


def test_another_python_reads_the_archive_anew(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The standard library's tar and zip parsers read the hostile archive: another interpreter's tree is
    another tree."""
    pkg = _pack(tmp_path / "p-1.0.0.tgz", {"package/index.js": b"1;\n"})
    _read(pkg)
    calls: list[Path] = []
    real = NPM.read_artifact
    monkeypatch.setattr(type(NPM), "read_artifact", lambda self, p, n: calls.append(p) or real(p, n))
    monkeypatch.setattr(sys, "version", sys.version + " (another build)")
    _read(pkg)
    assert calls == [pkg]


def test_a_reader_whose_code_cannot_be_found_keeps_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A frozen or zipped install: the reading code's state is unknown, so every read is a read (never a
    traceback, never a tree kept for code that may have changed)."""
    monkeypatch.setattr(artifacts.archive, "__file__", str(tmp_path / "inside.zip" / "archive.py"))
    pkg = _pack(tmp_path / "p-1.0.0.tgz", {"package/index.js": b"1;\n"})
    assert _read(pkg).files["index.js"].data == b"1;\n"
    assert not (artifacts.settings().cache_dir / artifacts.TREES).exists()


def test_kept_trees_stay_within_their_budget_the_latest_used_kept(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch over many packages does not keep every tree it read: past the budget, the trees used longest
    ago go (and are read from their archive again when asked)."""
    import time

    from ossprov.config import settings

    packs = [_pack(tmp_path / f"p-1.0.{i}.tgz", {"package/index.js": b"x" * 4000 + bytes([i])}) for i in range(4)]
    trees = settings().cache_dir / artifacts.TREES
    for pack in packs[:3]:
        _read(pack)
        time.sleep(0.01)  # distinct times of use
    size = max(f.stat().st_size for f in trees.iterdir())
    monkeypatch.setattr(artifacts, "TREES_BUDGET", 3 * size)
    monkeypatch.setattr(artifacts, "PRUNE_EVERY", 1)
    _read(packs[0])  # used again: now the latest used
    time.sleep(0.01)
    _read(packs[3])  # a fourth: over the budget, the one used longest ago (packs[1]) goes
    assert sum(f.stat().st_size for f in trees.iterdir()) <= 3 * size
    calls: list[Path] = []
    real = NPM.read_artifact
    monkeypatch.setattr(type(NPM), "read_artifact", lambda self, p, n: calls.append(p) or real(p, n))
    monkeypatch.setattr(artifacts, "TREES_BUDGET", 1 << 30)
    for pack in (packs[0], packs[2], packs[3], packs[1]):
        _read(pack)
    assert calls == [packs[1]], [c.name for c in calls]
