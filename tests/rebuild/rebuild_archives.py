"""Writers for test archives whose every header field can be chosen, so each stabiliser can be exercised alone."""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
from pathlib import Path


def write_tgz(path: Path, files: dict[str, bytes], *, mtime: int = 0, uid: int = 0, uname: str = "",
              mode: int = 0o644, pax: dict[str, str] | None = None, reverse: bool = False, gz_mtime: int = 0,
              gz_os: int = 255, level: int = 9) -> Path:
    """A gzip-compressed PAX tar of `files` with the given header fields."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files, reverse=reverse):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(files[name]), mtime, mode
            info.uid = info.gid = uid
            info.uname = info.gname = uname
            info.pax_headers = dict(pax or {})
            tar.addfile(info, io.BytesIO(files[name]))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=gz_mtime, compresslevel=level) as gz:
        gz.write(raw.getvalue())
    blob = bytearray(out.getvalue())
    blob[9] = gz_os
    path.write_bytes(bytes(blob))
    return path


def write_zip(path: Path, files: dict[str, bytes], *, date: tuple[int, ...] = (1980, 1, 1, 0, 0, 0),
              reverse: bool = False, method: int = zipfile.ZIP_DEFLATED, extra: bytes = b"",
              external: int = 0o644 << 16, create_system: int = 3) -> Path:
    """A zip of `files` with the given header fields."""
    with zipfile.ZipFile(path, "w") as zf:
        for name in sorted(files, reverse=reverse):
            info = zipfile.ZipInfo(name, date_time=date)  # type: ignore[arg-type]
            info.compress_type, info.extra, info.external_attr = method, extra, external
            info.create_system = create_system
            zf.writestr(info, files[name])
    return path
