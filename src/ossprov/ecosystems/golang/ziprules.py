"""The go command's module zip rules (golang.org/x/mod/zip and cmd/go's modfetch), applied to a repository
subtree, and the `h1:` hash (dirhash Hash1) that go.sum and the checksum database record for a zip.

From a commit, the go command takes `git archive` of the module's directory (with `export-ignore` and
`export-subst` switched off, so every committed file is there as committed), then omits: files of nested modules (any directory below the root holding a go.mod), files of
vendored packages (`vendor/x/...`, and from go 1.24 `vendor/modules.txt` too), `.hg_archival.txt`, symbolic
links and other irregular files. A module in a subdirectory without a LICENSE gets the repository root's.
The whole zip is at most 500 MiB; go.mod and LICENSE at most 16 MiB each.
"""

from __future__ import annotations

import base64
import hashlib
import posixpath
import re
from collections.abc import Iterable

MAX_ZIP_BYTES = 500 << 20
MAX_GO_MOD_BYTES = 16 << 20
MAX_LICENSE_BYTES = 16 << 20
_GO_DIRECTIVE = re.compile(rb"(?m)^\s*go\s+(\d+)\.(\d+)")


def hash1(files: Iterable[tuple[str, bytes]]) -> str:
    """dirhash.Hash1: sha256 over the sorted lines `<sha256 hex>  <name>\\n`, base64, prefixed `h1:`."""
    summary = hashlib.sha256()
    for name, data in sorted(files):
        summary.update(f"{hashlib.sha256(data).hexdigest()}  {name}\n".encode())
    return "h1:" + base64.b64encode(summary.digest()).decode()


def h1_hex(h1: str) -> str | None:
    """`h1:<base64>` as lowercase hex (how ossprov keeps digests), None when malformed."""
    if not h1.startswith("h1:"):
        return None
    try:
        raw = base64.b64decode(h1[3:], validate=True)
    except ValueError:
        return None
    return raw.hex() if len(raw) == 32 else None


def go_version(go_mod: bytes | None) -> tuple[int, int] | None:
    """The `go` directive of a go.mod, as (major, minor)."""
    found = _GO_DIRECTIVE.search(go_mod or b"")
    return (int(found.group(1)), int(found.group(2))) if found else None


def is_vendored(name: str, version: tuple[int, int] | None) -> bool:
    """zip.isVendoredPackage, including its pre-1.24 offset quirk (kept so old checksums stay valid)."""
    modern = version is not None and version >= (1, 24)
    if modern and name == "vendor/modules.txt":
        return True
    if name.startswith("vendor/"):
        start = len("vendor/")
    elif (at := name.find("/vendor/")) >= 0:
        start = at + len("/vendor/") if modern else len("/vendor/")
    else:
        return False
    return "/" in name[start:]


def _nested_module_dirs(paths: Iterable[str]) -> set[str]:
    return {posixpath.dirname(p) + "/" for p in paths if posixpath.basename(p).lower() == "go.mod" and "/" in p}


def _in_nested_module(path: str, dirs: set[str]) -> bool:
    parent = posixpath.dirname(path)
    while parent:
        if parent + "/" in dirs:
            return True
        parent = posixpath.dirname(parent)
    return False


def expected_files(paths: Iterable[str], go_mod: bytes | None) -> set[str]:
    """The files (relative to the module directory) the go command puts in the module zip, from the
    regular files of that directory at the commit."""
    paths = list(paths)
    version = go_version(go_mod)
    nested = _nested_module_dirs(paths)
    return {p for p in paths if not is_vendored(p, version) and not _in_nested_module(p, nested)
            and p != ".hg_archival.txt"}


def omission_reason(path: str, paths: Iterable[str], go_mod: bytes | None) -> str | None:
    """Why the go command would leave a file of the module directory out of the zip, or None."""
    if is_vendored(path, go_version(go_mod)):
        return "a file of a vendored package"
    if _in_nested_module(path, _nested_module_dirs(paths)):
        return "a file of a nested module"
    if posixpath.basename(path).lower() == "go.mod" and path != "go.mod":
        return "a go.mod below the module root"
    if path == ".hg_archival.txt":
        return "hg archive metadata"
    return None
