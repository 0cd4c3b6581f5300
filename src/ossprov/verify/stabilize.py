"""Stabilisers: small named functions that remove the differences between two builds of the same source that
say nothing about the source (timestamps, entry order, owners, modes, compression, generated metadata).

Both artifacts are read into an `Image`: the entries of the archive with every header field that can vary,
and the container's own header (gzip). A stabiliser is a pure function `Image -> Image` that sets one family
of fields to a canonical value, so each can be listed, tested and reported alone. Comparing two images after
every stabiliser tells whether the builds agree on everything that matters; comparing the raw bytes tells
whether they are bit-for-bit equal. A stabiliser counts as *needed* when the images are equal with it and
unequal without it (leave-one-out), and as *changed* when it altered either image at all.

Images are read from hostile archives: entry count and sizes are bounded by `ossprov.archive.Limits`, and
nothing is ever written to disk.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import hashlib
import io
import re
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ossprov.archive import DEFAULT_LIMITS, ZIP_SUFFIXES, Limits
from ossprov.errors import ArchiveError

GZIP_XFL_LEVEL = {2: 9, 4: 1}
"""gzip's XFL byte names the level class (2: maximum, 4: fastest, else default 6)."""
ZIP_FLAG_LEVEL = {0: 6, 1: 9, 2: 1, 3: 1}
"""Zip general-purpose flag bits 1-2 for deflate: normal, maximum, fast, super fast."""
MAX_LEVEL_PROBE_BYTES = 64 * 1024 * 1024
"""Zip entries larger than this are not recompressed to find their level (reported as unknown)."""
GZIP_PROBE_BYTES = 256 * 1024
"""A gzip stream's level is checked on this much input: zlib's output so far is a prefix of the whole."""


@dataclass(frozen=True)
class Entry:
    """One archive entry with every header field that two builds may disagree on."""

    name: str
    kind: str
    """file, dir, symlink, hardlink or other."""
    data: bytes = b""
    """File content; the link target for links."""
    mode: int = 0
    mtime: float = 0
    uid: int = 0
    gid: int = 0
    uname: str = ""
    gname: str = ""
    pax: tuple[tuple[str, str], ...] = ()
    """PAX extended header records other than those tarfile folds into the fields above."""
    extra: bytes = b""
    """Zip extra field (central directory) plus the entry comment."""
    external_attr: int = 0
    attributes: tuple[int, ...] = ()
    """Zip create_system, create_version, extract_version, flag bits."""
    compression: tuple[object, ...] = ()
    """How the entry was compressed: (method, level or 'unknown')."""


@dataclass(frozen=True)
class Image:
    """An artifact as the stabilisers see it."""

    format: str
    """tar or zip."""
    entries: tuple[Entry, ...]
    gzip_header: tuple[object, ...] = ()
    """(mtime, original name, OS byte, flags) of a gzip wrapper; empty when not gzip-compressed."""
    compression: tuple[object, ...] = ()
    """How the whole stream was compressed (tar.gz): (method, level or 'unknown', gzip XFL hint)."""
    comment: bytes = b""
    """Zip archive comment."""


@dataclass(frozen=True)
class StabilizerUse:
    """What one stabiliser did to a pair of artifacts."""

    name: str
    description: str
    changed: bool
    """It altered the published or the rebuilt image."""
    needed: bool
    """The stabilised images are equal with it and unequal without it."""


@dataclass(frozen=True)
class Comparison:
    """Raw and stabilised comparison of a published and a rebuilt artifact."""

    raw_equal: bool
    stabilized_equal: bool
    stabilizers: tuple[StabilizerUse, ...] = ()
    """The stabilisers that changed a difference between the two (the others did nothing here)."""
    published: Image | None = field(default=None, repr=False, compare=False)
    rebuilt: Image | None = field(default=None, repr=False, compare=False)


Stabilizer = Callable[[Image], Image]
Named = tuple[tuple[str, Stabilizer], ...]
"""Stabilisers with their names, in the order applied."""


def _each(image: Image, fmt: str, **changes: Callable[[Entry], object]) -> Image:
    """Apply per-entry field rewrites to images of format `fmt` (other formats pass unchanged)."""
    if image.format != fmt:
        return image
    out = []
    for e in image.entries:
        new: dict[str, Any] = {k: fn(e) for k, fn in changes.items()}
        out.append(dataclasses.replace(e, **new) if any(getattr(e, k) != v for k, v in new.items()) else e)
    return dataclasses.replace(image, entries=tuple(out))


def _sorted(image: Image, fmt: str) -> Image:
    if image.format != fmt:
        return image
    return dataclasses.replace(image, entries=tuple(sorted(image.entries, key=lambda e: e.name)))


# --- tar ---------------------------------------------------------------------------------------------------
def tar_entry_order(image: Image) -> Image:
    """Tar entries in name order: tools walk the file system in directory order, which varies."""
    return _sorted(image, "tar")


def tar_mtime(image: Image) -> Image:
    """Tar entry mtimes to 0: the build time (or npm's fixed 1985 date) is not part of the source."""
    return _each(image, "tar", mtime=lambda e: 0)


def tar_owner(image: Image) -> Image:
    """Tar uid/gid/uname/gname cleared: they name the account that built it."""
    return _each(image, "tar", uid=lambda e: 0, gid=lambda e: 0, uname=lambda e: "", gname=lambda e: "")


def _canonical_mode(e: Entry) -> int:
    if e.kind == "dir" or e.mode & 0o111:
        return 0o755
    return 0o644


def tar_modes(image: Image) -> Image:
    """Tar modes to 0644/0755 (executable kept): umask and checkout permissions differ between machines."""
    return _each(image, "tar", mode=_canonical_mode)


def tar_pax_headers(image: Image) -> Image:
    """PAX extended records dropped (atime, ctime, high-precision mtime, SCHILY.*): archiver details."""
    return _each(image, "tar", pax=lambda e: ())


def gzip_header(image: Image) -> Image:
    """gzip header mtime, file name, OS byte and flags cleared: they record when and where it was packed."""
    return dataclasses.replace(image, gzip_header=()) if image.gzip_header else image


def gzip_compression(image: Image) -> Image:
    """Compression method and level of the whole stream ignored: only the decompressed bytes count."""
    return dataclasses.replace(image, compression=()) if image.compression else image


# --- zip ---------------------------------------------------------------------------------------------------
def zip_entry_order(image: Image) -> Image:
    """Zip entries in name order."""
    return _sorted(image, "zip")


def zip_timestamps(image: Image) -> Image:
    """Zip DOS timestamps to 1980-01-01 (wheel builders honour SOURCE_DATE_EPOCH inconsistently)."""
    return _each(image, "zip", mtime=lambda e: 0)


def zip_compression(image: Image) -> Image:
    """Zip per-entry compression method and level ignored: only the decompressed bytes count."""
    return _each(image, "zip", compression=lambda e: ())


def zip_extra_fields(image: Image) -> Image:
    """Zip extra fields (extended timestamps, Unix uid/gid) and comments cleared."""
    image = _each(image, "zip", extra=lambda e: b"")
    return dataclasses.replace(image, comment=b"") if image.format == "zip" else image


def zip_external_attributes(image: Image) -> Image:
    """Zip external attributes to canonical Unix modes, and creator system/version fields cleared."""
    return _each(image, "zip", external_attr=lambda e: _canonical_mode(e) << 16, mode=_canonical_mode,
                 attributes=lambda e: ())


# --- generated metadata --------------------------------------------------------------------------------------
def _record_line(e: Entry) -> list[str]:
    digest = base64.urlsafe_b64encode(hashlib.sha256(e.data).digest()).rstrip(b"=").decode()
    return [e.name, f"sha256={digest}", str(len(e.data))]


def wheel_record(image: Image) -> Image:
    """A wheel's RECORD rewritten from the entries' content in name order: the digests already say
    everything RECORD says, and its line order follows the builder's walk."""
    records = [e for e in image.entries if re.fullmatch(r"[^/]+\.dist-info/RECORD", e.name)]
    if image.format != "zip" or len(records) != 1:
        return image
    record_name = records[0].name
    signatures = {record_name + ".jws", record_name + ".p7s"}
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    files = sorted((e for e in image.entries if e.kind == "file" and e.name != record_name
                    and e.name not in signatures), key=lambda e: e.name)
    for e in files:
        writer.writerow(_record_line(e))
    writer.writerow([record_name, "", ""])
    data = buf.getvalue().encode()
    return dataclasses.replace(image, entries=tuple(
        dataclasses.replace(e, data=data) if e.name == record_name else e for e in image.entries))


_METADATA_VERSION = re.compile(rb"^Metadata-Version: *[0-9.]+ *$", re.MULTILINE)


def sdist_metadata_version(image: Image) -> Image:
    """The Metadata-Version line of an sdist's PKG-INFO files set to one value: it follows the backend's
    version (2.1, 2.2, 2.3 ...), not the project."""
    if image.format != "tar":
        return image

    def fix(e: Entry) -> bytes:
        if e.kind == "file" and (e.name.endswith("/PKG-INFO") or e.name == "PKG-INFO"):
            return _METADATA_VERSION.sub(b"Metadata-Version: *", e.data, count=1)
        return e.data

    return _each(image, "tar", data=fix)


_LICENSE_FILE = re.compile(rb"^License-File: .*\r?\n", re.MULTILINE)


def sdist_license_files(image: Image) -> Image:
    """`License-File:` lines of an sdist's PKG-INFO removed: whether a backend writes them depends on its
    version (flit_core 3.9 does not, later ones do), not on the project."""

    def fix(e: Entry) -> bytes:
        if e.kind == "file" and (e.name.endswith("/PKG-INFO") or e.name == "PKG-INFO"):
            return _LICENSE_FILE.sub(b"", e.data)
        return e.data

    return _each(image, "tar", data=fix)


# --- jars ---------------------------------------------------------------------------------------------------
JAR_MANIFEST = "META-INF/MANIFEST.MF"
BUILD_ATTRIBUTES = frozenset({"built-by", "build-jdk", "build-jdk-spec", "created-by", "build-time",
                              "build-timestamp", "build-date", "build-os", "build-host", "bnd-lastmodified",
                              "tool"})
"""MANIFEST.MF main attributes that name the build's machine, account, JDK, tool or time."""
_SIGNATURE = re.compile(r"META-INF/[^/]+\.(SF|RSA|DSA|EC)", re.IGNORECASE)
_POM_PROPERTIES = re.compile(r"META-INF/maven/[^/]+/[^/]+/pom\.properties")


def _manifest_sections(data: bytes) -> list[list[str]]:
    """MANIFEST.MF as sections of logical lines (continuation lines, which start with a space, unfolded)."""
    text = data.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n").replace("\n ", "")
    sections: list[list[str]] = [[]]
    for line in text.split("\n"):
        if line:
            sections[-1].append(line)
        elif sections[-1]:
            sections.append([])
    return [section for section in sections if section]


def _rewrite_manifest(image: Image, fix: Callable[[list[list[str]]], list[list[str]]]) -> Image:
    def rewrite(e: Entry) -> bytes:
        if e.name != JAR_MANIFEST:
            return e.data
        return "".join("\r\n".join(section) + "\r\n\r\n" for section in fix(_manifest_sections(e.data))).encode()

    return _each(image, "zip", data=rewrite)


def _attribute(line: str) -> str:
    return line.partition(":")[0].strip().lower()


def jar_signatures(image: Image) -> Image:
    """Jar signature files (META-INF/*.SF, *.RSA, *.DSA, *.EC) and the per-entry digest sections of MANIFEST.MF
    dropped: signing happens after the build, with a key the source does not have."""
    if image.format != "zip" or not any(_SIGNATURE.fullmatch(e.name) for e in image.entries):
        return image
    image = dataclasses.replace(image, entries=tuple(e for e in image.entries if not _SIGNATURE.fullmatch(e.name)))

    def unsigned(sections: list[list[str]]) -> list[list[str]]:
        return sections[:1] + [s for s in sections[1:] if not all(
            _attribute(line) == "name" or _attribute(line).endswith("-digest") for line in s)]

    return _rewrite_manifest(image, unsigned)


def jar_manifest_build_attributes(image: Image) -> Image:
    """MANIFEST.MF main attributes about the build (Built-By, Build-Jdk, Build-Jdk-Spec, Created-By, build
    times and hosts) dropped: they describe who built it where, not the source."""
    if image.format != "zip" or not any(e.name == JAR_MANIFEST for e in image.entries):
        return image
    return _rewrite_manifest(image, lambda sections: [[line for line in sections[0]
                                                       if _attribute(line) not in BUILD_ATTRIBUTES],
                                                      *sections[1:]] if sections else sections)


def pom_properties_header(image: Image) -> Image:
    """Comment lines of META-INF/maven/*/*/pom.properties dropped: older maven-archiver writes the build date
    there (`#Generated by Maven`, `#Thu Jun 01 12:00:00 UTC 2023`)."""

    def fix(e: Entry) -> bytes:
        if not _POM_PROPERTIES.fullmatch(e.name):
            return e.data
        return b"".join(line for line in e.data.splitlines(keepends=True) if not line.lstrip().startswith(b"#"))

    return _each(image, "zip", data=fix)


STABILIZERS: Named = (
    ("tar-entry-order", tar_entry_order),
    ("tar-mtime", tar_mtime),
    ("tar-owner", tar_owner),
    ("tar-modes", tar_modes),
    ("tar-pax-headers", tar_pax_headers),
    ("gzip-header", gzip_header),
    ("gzip-compression", gzip_compression),
    ("zip-entry-order", zip_entry_order),
    ("zip-timestamps", zip_timestamps),
    ("zip-compression", zip_compression),
    ("zip-extra-fields", zip_extra_fields),
    ("zip-external-attributes", zip_external_attributes),
    ("wheel-record", wheel_record),
    ("sdist-metadata-version", sdist_metadata_version),
    ("sdist-license-files", sdist_license_files),
    ("jar-signatures", jar_signatures),
    ("jar-manifest-build-attributes", jar_manifest_build_attributes),
    ("pom-properties-header", pom_properties_header),
)
"""Every stabiliser, in the order applied."""


# --- reading -------------------------------------------------------------------------------------------------
def _stream_level(level: int, plain: bytes, raw: bytes) -> object:
    """`level` when zlib at that level (the one the gzip header hints at) reproduces the start of the raw
    deflate stream, else 'unknown' (another deflate implementation or settings)."""
    co = zlib.compressobj(level, zlib.DEFLATED, -15)
    head = co.compress(plain[:GZIP_PROBE_BYTES])
    if len(plain) <= GZIP_PROBE_BYTES:
        return level if head + co.flush() == raw else "unknown"
    return level if head and raw.startswith(head) else "unknown"


def _entry_level(level: int, plain: bytes, compressed_size: int) -> object:
    """`level` when zlib at that level (the one the zip flags hint at) gives the entry's compressed size."""
    if len(plain) > MAX_LEVEL_PROBE_BYTES:
        return "unknown"
    co = zlib.compressobj(level, zlib.DEFLATED, -15)
    return level if len(co.compress(plain) + co.flush()) == compressed_size else "unknown"


def _gunzip(blob: bytes, limits: Limits) -> tuple[bytes, tuple[object, ...], tuple[object, ...]]:
    """(decompressed tar, gzip header fields, (method, level, XFL level hint)) for a single-member gzip file (RFC 1952)."""
    if len(blob) < 18 or blob[:3] != b"\x1f\x8b\x08":
        raise ArchiveError("not a gzip stream")
    flags, mtime, xfl, os_byte = blob[3], *struct.unpack("<I", blob[4:8]), blob[8], blob[9]
    pos = 10
    if flags & 0x04:  # FEXTRA
        pos += 2 + struct.unpack("<H", blob[pos:pos + 2])[0]
    name = b""
    for bit in (0x08, 0x10):  # FNAME, FCOMMENT: NUL-terminated
        if flags & bit:
            end = blob.index(b"\0", pos)
            name = blob[pos:end] if bit == 0x08 else name
            pos = end + 1
    if flags & 0x02:  # FHCRC
        pos += 2
    d = zlib.decompressobj(-15)
    plain = d.decompress(blob[pos:], limits.max_total_bytes + 1)
    if len(plain) > limits.max_total_bytes or d.unconsumed_tail:
        raise ArchiveError("gzip stream expands beyond the limit; refused")
    raw = blob[pos:len(blob) - len(d.unused_data)]
    return plain, (mtime, name, os_byte, flags), ("deflate", _stream_level(GZIP_XFL_LEVEL.get(xfl, 6), plain, raw), xfl)


_TAR_KINDS = {tarfile.REGTYPE: "file", tarfile.AREGTYPE: "file", tarfile.DIRTYPE: "dir",
              tarfile.SYMTYPE: "symlink", tarfile.LNKTYPE: "hardlink"}
_PAX_FOLDED = {"path", "linkpath", "size", "uid", "gid", "uname", "gname", "mtime"}


def _tar_image(blob: bytes, limits: Limits) -> Image:
    entries: list[Entry] = []
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:") as tar:
        for m in tar:
            if len(entries) >= limits.max_entries:
                raise ArchiveError(f"more than {limits.max_entries} entries; refused")
            kind = _TAR_KINDS.get(m.type, "other")
            if kind == "file":
                f = tar.extractfile(m)
                data = f.read() if f else b""
            else:
                data = m.linkname.encode("utf-8", "surrogateescape")
            pax = tuple(sorted((k, v) for k, v in m.pax_headers.items() if k not in _PAX_FOLDED))
            entries.append(Entry(m.name, kind, data, m.mode, m.mtime, m.uid, m.gid, m.uname, m.gname, pax))
    return Image("tar", tuple(entries))


def _zip_image(path: Path, limits: Limits) -> Image:
    entries = []
    total = 0
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        if len(infos) > limits.max_entries:
            raise ArchiveError(f"more than {limits.max_entries} entries; refused")
        for i in infos:
            mode = i.external_attr >> 16
            kind = "dir" if i.is_dir() else "symlink" if (mode & 0o170000) == 0o120000 else "file"
            total += i.file_size
            if i.file_size > limits.max_file_bytes or total > limits.max_total_bytes:
                raise ArchiveError(f"entry {i.filename!r} expands beyond the limit; refused")
            data = zf.read(i) if kind != "dir" else b""
            level: object = None
            if i.compress_type == zipfile.ZIP_DEFLATED:
                hint = ZIP_FLAG_LEVEL[(i.flag_bits >> 1) & 3]
                level = _entry_level(hint, data, i.compress_size)
            mtime = float(sum(v * 10 ** (2 * k) for k, v in enumerate(reversed(i.date_time))))
            entries.append(Entry(
                i.filename, kind, data, mode & 0o7777, mtime, extra=i.extra + i.comment,
                external_attr=i.external_attr,
                attributes=(i.create_system, i.create_version, i.extract_version, i.flag_bits & ~0x800),
                compression=(i.compress_type, level),
            ))
        comment = zf.comment
    return Image("zip", tuple(entries), comment=comment)


def load_image(path: Path, filename: str | None = None, limits: Limits = DEFAULT_LIMITS) -> Image:
    """Read an artifact into an Image (zip family, or tar optionally gzip-compressed)."""
    name = (filename or path.name).lower()
    try:
        if name.endswith(ZIP_SUFFIXES) or zipfile.is_zipfile(path):
            return _zip_image(path, limits)
        blob = path.read_bytes()
        if blob[:2] == b"\x1f\x8b":
            plain, header, compression = _gunzip(blob, limits)
            return dataclasses.replace(_tar_image(plain, limits), gzip_header=header, compression=compression)
        return _tar_image(blob, limits)
    except ArchiveError as exc:
        raise ArchiveError(f"{path.name}: {exc}") from None
    except (tarfile.TarError, zipfile.BadZipFile, zlib.error, ValueError, EOFError, OSError) as exc:
        raise ArchiveError(f"{path.name}: not a readable archive ({exc})") from None


def stabilize(image: Image, skip: str | None = None, extra: Named = ()) -> Image:
    """Apply every stabiliser, then the `extra` ones (but `skip`), in order."""
    for name, fn in (*STABILIZERS, *extra):
        if name != skip:
            image = fn(image)
    return image


def differences(published: Image, rebuilt: Image) -> list[tuple[str, str]]:
    """(entry name, field) for every field that differs between two images, entries aligned by name;
    ("(archive)", field) for container fields and entry order, (name, "presence") for one-sided entries."""
    out = [("(archive)", f) for f in ("gzip_header", "compression", "comment")
           if getattr(published, f) != getattr(rebuilt, f)]
    if [e.name for e in published.entries] != [e.name for e in rebuilt.entries]:
        out.append(("(archive)", "entry order"))
    pub = {e.name: e for e in published.entries}
    reb = {e.name: e for e in rebuilt.entries}
    for name in sorted(pub.keys() | reb.keys()):
        p, r = pub.get(name), reb.get(name)
        if p is None or r is None:
            out.append((name, "presence"))
        elif p != r:
            out.extend((name, f.name) for f in dataclasses.fields(Entry) if getattr(p, f.name) != getattr(r, f.name))
    return out


def compare(published: Path, rebuilt: Path, filename: str | None = None,
            extra: Callable[[Image], Named] | None = None) -> Comparison:
    """Compare the two artifacts raw and stabilised, and say which stabilisers changed a difference
    between them or were needed to make them equal. `extra(published image)` names the stabilisers of the
    package's own format (what its build tool writes) that apply after the generic ones."""
    if published.read_bytes() == rebuilt.read_bytes():
        return Comparison(raw_equal=True, stabilized_equal=True)
    pub, reb = load_image(published, filename), load_image(rebuilt, filename)
    every = (*STABILIZERS, *(extra(pub) if extra else ()))
    added = every[len(STABILIZERS):]
    changed: dict[str, bool] = {}
    a, b = pub, reb
    remaining = len(differences(a, b))
    for name, fn in every:
        a, b = fn(a), fn(b)
        now = len(differences(a, b)) if remaining else 0
        changed[name] = now < remaining
        remaining = now
    equal = a == b
    uses = []
    for name, fn in every:
        if changed[name]:
            needed = equal and stabilize(pub, name, added) != stabilize(reb, name, added)
            uses.append(StabilizerUse(name, " ".join((fn.__doc__ or "").split()), True, needed))
    return Comparison(False, equal, tuple(uses), a, b)
