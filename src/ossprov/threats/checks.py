"""Distribution-channel checks that verify and scan run on every release: is the name imitating a popular
one? The registry is asked for the package's history only when the name is near a popular one.

Almost every name imitates nothing, and that answer depends only on the name, the popular-names list in use
and the code that compares them. So a name found clear is remembered in the cache (an empty file named by a
digest of all of those), and a warm run neither loads the list nor imports the matcher (rapidfuzz, the key
index): it checks that one file exists. A flagged name is never remembered: its findings need the registry's
answer of the day.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ossprov import __version__
from ossprov.errors import InputError, OssprovError
from ossprov.model import Finding, Release

if TYPE_CHECKING:
    from ossprov.ecosystems.interface import Ecosystem

_HERE = Path(__file__).resolve().parent
_OUTSIDE_SOURCES = (Path(__file__).resolve().parents[1] / "ecosystems" / "golang" / "modpath.py",)
"""Code outside this package a clear name's answer depends on (the Go forges `gopaths` knows)."""


def _matcher_sources() -> list[Path]:
    """The code a clear name's answer depends on: every module of this package (a module the matcher comes to
    import is counted without being listed) and `_OUTSIDE_SOURCES`. A change to any of them (an edited
    checkout) forgets the answers."""
    return [*(_HERE / name for name in sorted(os.listdir(_HERE)) if name.endswith(".py")), *_OUTSIDE_SOURCES]


def name_findings(eco: Ecosystem, release: Release) -> list[Finding]:
    """Typo-squat findings for the release's name (OSP501–504)."""
    marker = clear_marker(eco.purl_type, release.name)  # only an ecosystem with a list has one
    if marker is not None and marker.exists():
        return []
    from ossprov.threats.names import ECOSYSTEMS  # the names module and packaging load only past this point

    if eco.purl_type not in ECOSYSTEMS:
        return []
    from ossprov.threats.squat import assess_name, imitations

    try:
        if not any(hit.flagged for hit in imitations(eco.purl_type, release.name)):
            _remember(marker)
            return []
    except InputError:  # a name the popularity lists cannot represent: nothing to compare
        return []
    declared = next((h.url for h in release.hints if h.origin == "declared-repository"), None)
    try:
        history = eco.history(release.name)
    except OssprovError:
        history = None
    return assess_name(eco.purl_type, release.name, history, declared)


def clear_marker(ecosystem: str, name: str) -> Path | None:
    """The cache file that says `name` imitates no popular name of `ecosystem`, under the list and matcher
    in use now; None when their state cannot be read or `ecosystem` has no shipped list (then nothing is
    remembered)."""
    from ossprov.config import settings
    from ossprov.threats.lists import user_path

    user = user_path(ecosystem)
    stamps = [__version__, ecosystem, name]
    try:
        stamps.append(_stat(user) if user.exists() else "no user list")
        for path in (_HERE / "data" / f"{ecosystem}.tsv.gz", _HERE / "data" / f"{ecosystem}.keys.gz",
                     *_matcher_sources()):
            stamps.append(_stat(path))
    except OSError:  # not a plain directory (a zip), or a file went away: do not remember
        return None
    digest = hashlib.sha256("\0".join(stamps).encode()).hexdigest()
    return settings().cache_dir / "names" / ecosystem / digest[:2] / digest


def _stat(path: Path) -> str:
    st = os.stat(path)
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def _remember(marker: Path | None) -> None:
    if marker is None:
        return
    from ossprov.atomic import atomic_write
    from ossprov.errors import StorageError

    with contextlib.suppress(OSError, StorageError):  # a cache that cannot be written only costs time
        marker.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(marker, b"")
