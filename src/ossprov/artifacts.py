"""The release and artifact stages: the registry record (fetched once), then every installable file of the
release fetched once, its digest checked against the registry, and read safely once.

A local file (`--artifact`) is matched to the registry's files by digest, never by name: a file whose digest
no published file has is a digest mismatch whatever it is called. Without a reachable (or configured)
registry, a local file is verified from what it carries, and the evidence says its digest was not checked.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import sys
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from packageurl import PackageURL

from ossprov import __version__, archive, memofile, model
from ossprov.cache import ArtifactCache, file_digests
from ossprov.config import settings
from ossprov.ecosystems.interface import Ecosystem, VersionInfo
from ossprov.errors import ArchiveError, InputError, OssprovError, RegistryError, VersionRemovedError
from ossprov.http import client
from ossprov.model import ArtifactInfo, ArtifactRef, Evidence, PackageTree, Release
from ossprov.purls import package_name
from ossprov.safefile import stamp
from ossprov.source import urls

Progress = Callable[[str], None]
TREES = "trees"
"""Cache subdirectory: artifacts as read (their `PackageTree`), by digest of the file and of the code that read
it: a warm run reads a file it read before from there instead of unpacking it again."""
TREE_MEMO_MAX = 8 * 1024 * 1024
"""Bytes of files and names above which a read artifact is not kept (the cache holds them unpacked)."""
TREES_BUDGET = 1 << 30
"""Bytes the kept trees may take in all: a batch over an ecosystem would otherwise keep every package it read,
unpacked, beside its archive. Past it, the trees used longest ago are removed (`_prune_trees`)."""
PRUNE_EVERY = 32
"""A tree saved starts a look at the budget one time in this many (a look lists the directory)."""


@dataclass(frozen=True)
class ReadArtifact:
    """One file of the release as the run read it, for every later stage (compare, rebuild, mirror)."""

    path: Path
    """The file on this machine (in the artifact cache, or the user's --artifact)."""
    info: ArtifactInfo
    kind: str
    tree: PackageTree
    evidence: tuple[Evidence, ...] = ()
    """What the digest check found."""
    unreadable: str = ""
    """Why the file could not be fetched or read (its tree is then empty); "" when it was read."""
    refused: bool = False
    """The file was fetched but refused as an archive (corrupt, a bomb): a finding, not a network failure."""


@dataclass(frozen=True)
class Removed:
    """A version the registry no longer serves, with what is still known about it."""

    detail: str
    """What the registry answered."""
    evidence: tuple[Evidence, ...] = ()


def release(purl: PackageURL, eco: Ecosystem, local: Path | None) -> tuple[Release | None, list[Evidence],
                                                                          Removed | None]:
    """The registry's record of the version; None (with why) when a local file stands in for the registry;
    a `Removed` when the registry knows the package but no longer serves this version."""
    try:
        return eco.release(purl), [], None
    except VersionRemovedError as exc:
        if local is not None:
            return None, [_unchecked(exc)], None
        history = eco.history(package_name(purl))
        return None, [], _removed(str(exc), history.versions if history else ())
    except (RegistryError, InputError) as exc:  # unreachable, or no registry configured for the ecosystem
        if local is None:
            raise
        return None, [_unchecked(exc)], None


def _unchecked(exc: OssprovError) -> Evidence:
    return Evidence("artifact-digest", f"the registry was not consulted ({exc}): the local file's digest was "
                    "not checked; it is verified from what it carries", {"registry_error": str(exc)},
                    supports=False)


def _removed(detail: str, versions: tuple[VersionInfo, ...]) -> Removed:
    served = [v.version for v in versions]
    evidence = [Evidence("version-removed", f"the registry no longer serves this version: {detail}",
                         {"served_versions": len(served)}, supports=False)]
    if served:
        evidence.append(Evidence("registry-versions", f"it serves {len(served)} other version(s), the latest "
                                 f"{served[-1]}", {"latest": served[-1]}))
    return Removed(detail, tuple(evidence))


def read_local(eco: Ecosystem, release: Release | None, path: Path) -> ReadArtifact:
    """The user's file, matched to a registry file of the version by digest."""
    if not path.is_file():
        raise InputError(f"--artifact {path}: no such file")
    digests = file_digests(path)
    listed = release.artifacts if release else ()
    match = next((a for a in listed if eco.digest_matches(a, digests)), None)
    published = any(a.digests for a in listed)
    ok = True if match else (False if published else None)
    name = match.filename if match else path.name
    info = ArtifactInfo(name, digests["sha256"], f"local:{path}", ok, digests)
    found = []
    if match:
        found.append(Evidence("artifact-digest", f"{path.name} has the digest the registry publishes for "
                              f"{match.filename}", {"sha256": digests["sha256"]}))
    elif published:
        found.append(Evidence("artifact-digest", f"{path.name} has the digest of no file the registry lists for "
                              "this version: modified after publication, or not this version's file",
                              {"sha256": digests["sha256"]}, supports=False))
    tree = _read_tree(eco, path, path.name, digests["sha256"])
    return ReadArtifact(path, info, match.kind if match else "local", tree, tuple(found))


def read_published(eco: Ecosystem, ref: ArtifactRef, progress: Progress) -> ReadArtifact:
    """A registry file: downloaded into the cache (once), digest checked, read."""
    urls.check_artifact_location(ref.url, eco.configured_local_bases())
    progress(f"downloading {ref.filename}")
    cache = ArtifactCache()
    path, digests = cache.fetch(ref.url, lambda dest: client().download(ref.url, dest))
    ok = eco.digest_matches(ref, digests)
    if ok is False:  # the cached copy may predate a republication: judge what the registry serves now
        cache.forget(ref.url)
        path, digests = cache.fetch(ref.url, lambda dest: client().download(ref.url, dest))
        ok = eco.digest_matches(ref, digests)
    info = ArtifactInfo(ref.filename, digests["sha256"], ref.url, ok, digests)
    evidence: tuple[Evidence, ...] = ()
    if ok is False:
        evidence = (Evidence("artifact-digest", f"{ref.filename} does not match the digest the registry publishes: "
                             "modified after publication, or a tampering mirror", {"sha256": info.sha256},
                             supports=False),)
    elif ok:
        evidence = (Evidence("artifact-digest", f"{ref.filename} matches the registry's published digest",
                             {"sha256": info.sha256}),)
    return ReadArtifact(path, info, ref.kind, _read_tree(eco, path, ref.filename, info.sha256), evidence)


def _read_tree(eco: Ecosystem, path: Path, filename: str, sha256: str) -> PackageTree:
    """`eco.read_artifact` of the file, or what it gave before for the same bytes (`sha256`), name (an archive's
    type is judged by it) and reading code (`_reader_state`): the same every time, limits and refusals
    included. A refused archive is read again each time, and says why; so is every file when the reading
    code's state cannot be known."""
    state = _reader_state(eco)
    if state is None:
        return eco.read_artifact(path, filename)
    key = "\0".join([*state, eco.purl_type, filename, sha256])
    memo = settings().cache_dir / TREES / hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()
    kept = memofile.load(memo, PackageTree)
    if kept is not None:
        with contextlib.suppress(OSError):  # its last use, which the budget keeps the latest of
            os.utime(memo)
        return kept
    tree = eco.read_artifact(path, filename)
    if sum(len(f.data) + len(name) for name, f in tree.files.items()) <= TREE_MEMO_MAX:
        with contextlib.suppress(OssprovError):  # unsaved, the next run unpacks it again
            memofile.save(memo, tree)
            if random.randrange(PRUNE_EVERY) == 0:
                _prune_trees(memo.parent, TREES_BUDGET)
    return tree


def _prune_trees(directory: Path, budget: int) -> None:
    """Remove the kept trees used longest ago until what is left is within `budget` bytes (a removed tree is
    only read again from its archive)."""
    kept = []
    with contextlib.suppress(OSError), os.scandir(directory) as entries:
        for entry in entries:
            with contextlib.suppress(OSError):
                info = entry.stat(follow_symlinks=False)
                kept.append((info.st_mtime_ns, info.st_size, entry.path))
    total = sum(size for _, size, _ in kept)
    for _, size, name in sorted(kept):
        if total <= budget:
            return
        with contextlib.suppress(OSError):
            os.unlink(name)
            total -= size


def _reader_state(eco: Ecosystem) -> list[str] | None:
    """ossprov's version and the state of the modules that read an artifact (the archive reader, the records,
    the ecosystem's own), so that an edited checkout reads every artifact anew; the interpreter's and zlib's
    versions and the standard library's archive parsers too, whose reading of a hostile archive a Python
    update may change (a header or member list parsed differently is another tree). None when a module's file
    cannot be found (a frozen or zipped install): then nothing is kept."""
    modules = (archive, model, sys.modules[type(eco).__module__], tarfile, zipfile)
    state = [__version__, sys.version, zlib.ZLIB_RUNTIME_VERSION]
    for module in modules:
        st = stamp(Path(module.__file__)) if module.__file__ else None
        if st is None:
            return None
        state.append(f"{module.__name__}:{st[1]}:{st[0]}")
    return state


def unread(ref: ArtifactRef, exc: OssprovError) -> ReadArtifact:
    """A further file of the release that could not be fetched or read: its result says why."""
    info = ArtifactInfo(ref.filename, "", ref.url, None)
    return ReadArtifact(Path(), info, ref.kind, PackageTree({}), unreadable=str(exc),
                        refused=isinstance(exc, ArchiveError))


