"""Generic normalisers: differences that change bytes but not meaning, each named so reports can say which.

Ecosystem-specific normalisers (package.json publish fields, core metadata, version files) live in the
ecosystem plug-ins; these apply to any text file.
"""

from __future__ import annotations

from collections.abc import Callable

Normalizer = Callable[[bytes], bytes]


def line_endings(data: bytes) -> bytes:
    """CRLF and CR → LF (git autocrlf, Windows publishers)."""
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def byte_order_mark(data: bytes) -> bytes:
    """Drop a UTF-8 BOM that an editor or a build step added or removed."""
    return data.removeprefix(b"\xef\xbb\xbf")


def final_newline(data: bytes) -> bytes:
    """Trailing newlines at the end of the file."""
    return data.rstrip(b"\n")


NORMALIZERS: tuple[tuple[str, Normalizer], ...] = (
    ("line endings", line_endings),
    ("byte-order mark", byte_order_mark),
    ("final newline", final_newline),
)


def equal_after(source: bytes, published: bytes) -> str | None:
    """The names of the normalisers after which the two are equal (applied cumulatively), or None."""
    if b"\0" in source[:8192] or b"\0" in published[:8192]:
        return None
    applied = []
    for name, fn in NORMALIZERS:
        new_source, new_published = fn(source), fn(published)
        if (new_source, new_published) != (source, published):
            applied.append(name)
        source, published = new_source, new_published
        if source == published and applied:
            return "normalised: " + ", ".join(applied)
    return None
