"""Safe reading of package archives (.tgz/.tar.gz/.tar.bz2/.tar.xz, .zip/.whl/.nupkg/.jar) into memory.

An archive is hostile until proven otherwise. Nothing is extracted to disk: regular files are read into a
`PackageTree` under limits on entry count, per-file size and total size (which stops decompression bombs
before they expand), and every entry that is not a plain file at a plain relative path is refused and
recorded with the reason: absolute paths, `..` components, symbolic and hard links, devices, FIFOs,
names that are not UTF-8, duplicate names. `materialize` writes a tree to disk for tools that want files,
and can only write below the directory it is given.
"""

from __future__ import annotations

import datetime
import io
import posixpath
import stat
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ossprov.errors import ArchiveError
from ossprov.model import PackageFile, PackageTree


@dataclass(frozen=True)
class Limits:
    """How much of an archive ossprov is willing to read."""

    max_entries: int = 100_000
    max_file_bytes: int = 512 * 1024 * 1024
    max_total_bytes: int = 1024 * 1024 * 1024
    max_ratio: int = 200
    """Largest uncompressed/compressed ratio accepted for an archive over 10 MiB uncompressed."""


DEFAULT_LIMITS = Limits()
ZIP_SUFFIXES = (".zip", ".whl", ".nupkg", ".jar", ".war", ".aar", ".egg", ".snupkg")
TAR_SUFFIXES = (".tgz", ".tar.gz", ".tar.bz2", ".tar.xz", ".tar", ".crate")


def _clean_name(raw: str) -> tuple[str | None, str | None]:
    """(normalised relative path, None) or (None, reason for refusing it)."""
    if "\\" in raw and "/" not in raw:
        raw = raw.replace("\\", "/")
    if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":"):
        return None, "absolute path"
    parts = [p for p in raw.split("/") if p not in ("", ".")]
    if ".." in parts:
        return None, "path traversal (..)"
    if not parts:
        return None, "empty name"
    if any("\0" in p for p in parts):
        return None, "NUL in name"
    return "/".join(parts), None


class _Reader:
    """Accumulates files while enforcing the limits."""

    def __init__(self, archive: Path, limits: Limits) -> None:
        self.archive = archive
        self.limits = limits
        self.files: dict[str, PackageFile] = {}
        self.refused: list[tuple[str, str]] = []
        self.mtimes: list[int] = []
        self.total = 0
        self.entries = 0

    def count_entry(self) -> None:
        self.entries += 1
        if self.entries > self.limits.max_entries:
            raise ArchiveError(f"{self.archive.name}: more than {self.limits.max_entries} entries; refused")

    def check_size(self, name: str, size: int) -> None:
        if size > self.limits.max_file_bytes:
            raise ArchiveError(f"{self.archive.name}: entry {name!r} is {size} bytes, over the limit; refused")
        if self.total + size > self.limits.max_total_bytes:
            raise ArchiveError(
                f"{self.archive.name}: expands to more than {self.limits.max_total_bytes} bytes (a bomb?); refused"
            )

    def skip(self, name: str, size: int) -> None:
        """Count an entry that is not taken but whose data is read through (unknown tar member types)."""
        self.check_size(name, size)
        self.total += size

    def add(self, name: str, data: bytes, mode: int, mtime: int) -> None:
        self.total += len(data)
        if self.total > self.limits.max_total_bytes:
            raise ArchiveError(f"{self.archive.name}: expands beyond {self.limits.max_total_bytes} bytes; refused")
        if name in self.files:
            self.refused.append((name, "duplicate entry (the later copy was kept)"))
        self.files[name] = PackageFile(name, data, mode & 0o7777)
        self.mtimes.append(mtime)

    def tree(self) -> PackageTree:
        return PackageTree(self.files, refused=tuple(self.refused), mtimes=tuple(self.mtimes))


def _decode(raw: bytes | str) -> tuple[str | None, str | None]:
    if isinstance(raw, str):
        try:
            raw.encode("utf-8")
        except UnicodeEncodeError:
            return None, "name is not UTF-8"
        return raw, None
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        return None, "name is not UTF-8"


IN_MEMORY = 64 * 1024 * 1024
"""A gzip archive expanding to at most this is decompressed at once and its tar read from memory (reading a
gzip stream, tarfile seeks in it for every member); a larger one is read as a stream, under the same limits."""


def _gunzipped(path: Path) -> bytes | None:
    """The tar of a one-member gzip archive that expands to at most `IN_MEMORY` bytes, or None (not gzip, larger,
    or not plain: the stream reader takes it, and says what is wrong with it)."""
    with open(path, "rb") as f:
        packed = f.read(IN_MEMORY + 1)
    if not packed.startswith(b"\x1f\x8b") or len(packed) > IN_MEMORY:
        return None
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        tar = inflater.decompress(packed, IN_MEMORY + 1)
    except zlib.error:
        return None
    return tar if inflater.eof and not inflater.unused_data and len(tar) <= IN_MEMORY else None


def _read_tar(path: Path, limits: Limits) -> PackageTree:
    reader = _Reader(path, limits)
    try:
        tar_bytes = _gunzipped(path)
        source = {"fileobj": io.BytesIO(tar_bytes), "mode": "r:"} if tar_bytes is not None else {"mode": "r:*"}
        with tarfile.open(path, **source, encoding="utf-8", errors="surrogateescape") as tar:  # type: ignore[call-overload]
            for member in tar:
                reader.count_entry()
                shown = member.name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                raw, bad = _decode(member.name)
                name, why = _clean_name(raw) if raw is not None else (None, bad)
                if member.issym() or member.islnk():
                    kind = "symbolic link" if member.issym() else "hard link"
                    target = member.linkname
                    outside = target.startswith("/") or ".." in PurePosixPath(
                        posixpath.normpath(posixpath.join(posixpath.dirname(member.name), target))
                    ).parts
                    where = "outside the package" if outside else "inside the package"
                    reader.refused.append((shown, f"{kind} to {target!r} ({where}); links are not followed"))
                    continue
                if member.ischr() or member.isblk() or member.isfifo():
                    reader.refused.append((shown, "device or FIFO entry"))
                    continue
                if member.isdir() or not member.isfile():
                    reader.skip(shown, member.size)  # its data is still decompressed to get past it
                    continue
                if name is None:
                    reader.refused.append((shown, why or "bad name"))
                    continue
                reader.check_size(name, member.size)
                if tar_bytes is not None and not member.issparse():  # where tarfile found the data, copied
                    data = tar_bytes[member.offset_data:member.offset_data + member.size]
                else:
                    f = tar.extractfile(member)
                    data = f.read(member.size + 1) if f else b""
                if len(data) != member.size:
                    raise ArchiveError(f"{path.name}: entry {name!r} is truncated")
                reader.add(name, data, member.mode, int(member.mtime))
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        if isinstance(exc, ArchiveError):
            raise
        raise ArchiveError(f"{path.name}: not a readable tar archive ({exc})") from None
    return reader.tree()


def _read_zip(path: Path, limits: Limits) -> PackageTree:
    reader = _Reader(path, limits)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > limits.max_entries:
                raise ArchiveError(f"{path.name}: more than {limits.max_entries} entries; refused")
            declared = sum(i.file_size for i in infos)
            compressed = max(1, sum(i.compress_size for i in infos))
            if declared > 10 * 1024 * 1024 and declared / compressed > limits.max_ratio:
                raise ArchiveError(f"{path.name}: compression ratio {declared // compressed}:1 (a bomb?); refused")
            for info in infos:
                reader.count_entry()
                raw = info.filename
                if not info.flag_bits & 0x800:
                    # Legacy names are cp437 per the spec; names that were really bytes show up as such.
                    try:
                        raw = raw.encode("cp437").decode("utf-8")
                    except (UnicodeEncodeError, UnicodeDecodeError):
                        if any(ord(c) > 127 for c in raw):
                            reader.refused.append((raw, "name is not UTF-8"))
                            continue
                name, why = _clean_name(raw)
                unix_mode = info.external_attr >> 16
                if stat.S_ISLNK(unix_mode):
                    reader.refused.append((raw, "symbolic link; links are not followed"))
                    continue
                if unix_mode and (stat.S_ISCHR(unix_mode) or stat.S_ISBLK(unix_mode) or stat.S_ISFIFO(unix_mode)):
                    reader.refused.append((raw, "device or FIFO entry"))
                    continue
                if info.is_dir():
                    continue
                if name is None:
                    reader.refused.append((raw, why or "bad name"))
                    continue
                reader.check_size(name, info.file_size)
                with zf.open(info) as f:
                    data = f.read(limits.max_file_bytes + 1)
                if len(data) > limits.max_file_bytes:
                    raise ArchiveError(f"{path.name}: entry {name!r} expands beyond the limit; refused")
                try:
                    mtime = int(datetime.datetime(*info.date_time, tzinfo=datetime.UTC).timestamp())
                except (ValueError, OverflowError):
                    mtime = 0
                reader.add(name, data, unix_mode or 0o644, mtime)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        raise ArchiveError(f"{path.name}: not a readable zip archive ({exc})") from None
    return reader.tree()


def read_archive(path: Path, filename: str | None = None, limits: Limits = DEFAULT_LIMITS) -> PackageTree:
    """Read `path` (its type judged by `filename` or its own name, then by content) into a PackageTree."""
    name = (filename or path.name).lower()
    if not path.is_file():
        raise ArchiveError(f"{path}: no such file")
    if name.endswith(ZIP_SUFFIXES) or (not name.endswith(TAR_SUFFIXES) and zipfile.is_zipfile(path)):
        return _read_zip(path, limits)
    return _read_tar(path, limits)


def strip_root(tree: PackageTree, prefix: str | None = None) -> PackageTree:
    """Remove the single top-level directory every file sits in (npm's `package/`, an sdist's
    `name-version/`), or the given prefix. Files outside it are kept under their full names."""
    if prefix is None:
        tops = {p.split("/", 1)[0] for p in tree.files if "/" in p}
        if len(tops) != 1 or any("/" not in p for p in tree.files):
            return tree
        prefix = tops.pop() + "/"
    files = {}
    for p, f in tree.files.items():
        new = p[len(prefix):] if p.startswith(prefix) else p
        files[new] = PackageFile(new, f.data, f.mode)
    return PackageTree(files, root_prefix=prefix, refused=tree.refused, mtimes=tree.mtimes)


def materialize(tree: PackageTree, dest: Path) -> None:
    """Write the tree's files below `dest` (which must not exist or be empty). Paths were cleaned on reading;
    each is checked again so that nothing can land outside `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    for rel, f in tree.files.items():
        target = (root / rel).resolve()
        if root not in target.parents:
            raise ArchiveError(f"refusing to write {rel!r} outside {dest}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f.data)
