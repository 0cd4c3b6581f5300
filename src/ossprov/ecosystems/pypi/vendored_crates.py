"""Rust crates vendored into an sdist (`cargo vendor --versioned-dirs include/cargo`, as maturin projects such as
orjson ship them): each crate directory is third-party code, vouched for only as the crate the registry publishes.

A directory `…/NAME-VERSION/` (or `…/NAME/`) holding `.cargo-checksum.json` is a vendored crate when the commit's
Cargo.lock (at the package's directory or the repository root, never the artifact's copy) pins NAME VERSION with
the checksum the file's `package` field gives. The `.crate` is then fetched from the configured cargo registry
(`ossprov.ecosystems.cargo.registry`), its sha256 checked against Cargo.lock, and read with the safe archive
reader. The directory must be that crate as `cargo vendor` copies it: every file byte-identical to the crate's
file at the same path, `.cargo-checksum.json` listing exactly those files with their sha256, and no file of the
crate missing but those `cargo vendor` leaves out (`dropped`). Anything else vouches for nothing: the crate's
files are unexplained (code high), and a file that differs from the crate's is a high finding of its own.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections.abc import Container
from dataclasses import dataclass, field

from ossprov import ecosystems
from ossprov.ecosystems.cargo import manifest
from ossprov.ecosystems.interface import CompareContext, Comparison
from ossprov.errors import OssprovError
from ossprov.model import ArtifactRef, FileResult, FileStatus, Finding, Severity

CHECKSUM_FILE = ".cargo-checksum.json"
MAX_CHECKSUM_BYTES = 16 * 1024 * 1024
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_VERSION = re.compile(r"[0-9A-Za-z.+-]{1,100}")
"""What a crate name and version may be (they go into the registry URLs asked)."""


def dropped(path: str) -> bool:
    """Whether `cargo vendor` may leave a crate's file out of the directory it writes: anything under a
    dot-named file or directory (`.gitignore`, `.github/…`, `.cargo_vcs_info.json`: cargo's file walk skips
    them), patch leftovers (`*.orig`, `*.rej`, which takes `Cargo.toml.orig`) and the crate's own Cargo.lock
    (listed only for crates with binaries or examples). Measured: the 38 crates orjson 3.9.10 vendors are their
    crates less exactly such files (all dot-paths and Cargo.toml.orig gone), orjson 3.10.7's cc 1.1.8 lacks its
    Cargo.lock, and cargo 1.95 keeps `.cargo_vcs_info.json` and Cargo.toml.orig but drops `.gitignore`. The
    directory holds a subset of the crate's files either way, plus `.cargo-checksum.json`."""
    return (any(part.startswith(".") for part in path.split("/")) or path.endswith((".orig", ".rej"))
            or path == "Cargo.lock")


class _Unavailable(OssprovError):
    """The crate cannot be had: nothing is vouched for, nothing is said against the artifact."""


class _Refused(Exception):
    """What the registry serves is not the crate Cargo.lock pins."""


@dataclass
class VendoredCrate:
    """One vendored crate directory of the artifact and the judgement on it."""

    directory: str
    """The artifact directory, ending in "/"."""
    label: str
    """NAME VERSION, or the directory's name when Cargo.lock names no such crate."""
    problem: str | None = None
    """Why the directory is not vouched for (None: it is the registry's crate as `cargo vendor` copies it)."""
    severity: Severity = Severity.HIGH
    """How the problem is reported: high for a directory that is not the crate, medium for a crate that
    could not be had."""
    differing: dict[str, str] = field(default_factory=dict)
    """Artifact path → why that file is not the crate's (changed, not in the crate)."""


def _lock_entries(context: CompareContext) -> dict[tuple[str, str], str]:
    """(name, version) → checksum of each registry package of the commit's Cargo.lock (the package's
    directory first, then the repository root)."""
    for path in dict.fromkeys([posixpath.join(context.subdir, "Cargo.lock"), "Cargo.lock"]):
        raw = context.read_source(path)
        if raw is None:
            continue
        return {(p["name"], p["version"]): p["checksum"].lower() for p in manifest.lock_packages(raw) or []
                if all(isinstance(p.get(k), str) for k in ("name", "version", "checksum", "source"))
                and p["source"].startswith(("registry+", "sparse+")) and _NAME.fullmatch(p["name"])
                and _VERSION.fullmatch(p["version"])}
    return {}


def _pinned(dirname: str, lock: dict[tuple[str, str], str], package: str) -> tuple[str, str] | None:
    """The Cargo.lock crate a directory named `dirname` vendors with the `package` checksum it claims."""
    return next(((n, v) for (n, v), checksum in lock.items()
                 if dirname in (f"{n}-{v}", n) and checksum == package), None)


def _claims(data: bytes) -> tuple[dict[str, str], str] | None:
    """The `files` and `package` of a `.cargo-checksum.json`, or None when it is not one."""
    if len(data) > MAX_CHECKSUM_BYTES:
        return None
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return None
    files, package = (doc.get("files"), doc.get("package")) if isinstance(doc, dict) else (None, None)
    if not isinstance(files, dict) or not isinstance(package, str) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        return None
    return {k: v.lower() for k, v in files.items()}, package.lower()


def _crate_files(name: str, version: str, checksum: str) -> dict[str, bytes]:
    """The files of the registry's `.crate` (below its `NAME-VERSION/`), its sha256 checked against Cargo.lock's
    `checksum`; OssprovError when the registry does not serve it, or `_Refused` when it serves another."""
    from ossprov import artifacts
    from ossprov.ecosystems.cargo import registry

    record = next((r for r in registry.entries(name) or [] if r.get("vers") == version), None)
    if record is None:
        raise _Unavailable(f"the cargo registry does not serve {name} {version}")
    if str(record.get("cksum", "")).lower() != checksum:
        raise _Refused(f"the cargo registry's index gives {name} {version} another checksum than Cargo.lock's")
    url = registry.download_url(registry.download_template(), name, version, checksum)
    read = artifacts.read_published(ecosystems.get("cargo"), ArtifactRef(f"{name}-{version}.crate", url, "crate",
                                                                         {"sha256": checksum}), lambda _m: None)
    if read.info.sha256 != checksum:
        raise _Refused(f"the cargo registry serves {name} {version} with another sha256 than Cargo.lock's checksum")
    root = f"{name}-{version}/"
    if read.tree.root_prefix != root:
        raise _Refused(f"the crate {name} {version} the registry serves is not all under {root}")
    return {p: f.data for p, f in read.tree.files.items()}


def _judge(crate: VendoredCrate, files: dict[str, bytes], lock: dict[tuple[str, str], str]) -> None:
    """Set `crate.problem` (and the files that differ) unless the directory is the registry's crate as
    `cargo vendor` copies it."""
    claims = _claims(files[CHECKSUM_FILE])
    if claims is None:
        crate.problem = f"{CHECKSUM_FILE} is not cargo vendor's (a files table and a package checksum)"
        return
    dirname = crate.directory.rstrip("/").rsplit("/", 1)[-1]
    pinned = _pinned(dirname, lock, claims[1])
    if pinned is None:
        crate.problem = (f"the commit's Cargo.lock pins no registry crate {dirname} with the checksum "
                         f"{claims[1][:16]}… its {CHECKSUM_FILE} gives")
        return
    name, version = pinned
    crate.label = f"{name} {version}"
    try:
        published = _crate_files(name, version, lock[pinned])
    except _Refused as exc:
        crate.problem = str(exc)
        return
    except OssprovError as exc:
        crate.problem, crate.severity = f"the crate cannot be had ({exc})", Severity.MEDIUM
        return
    vendored = {p: d for p, d in files.items() if p != CHECKSUM_FILE}
    for rel, data in vendored.items():
        if rel not in published:
            crate.differing[crate.directory + rel] = f"not a file of the crate {crate.label} the registry serves"
        elif published[rel] != data:
            crate.differing[crate.directory + rel] = f"differs from the file of the crate {crate.label} the registry serves"
    missing = sorted(p for p in published if p not in vendored and not dropped(p))
    listed = {p: hashlib.sha256(d).hexdigest() for p, d in vendored.items()}
    if crate.differing:
        crate.problem = f"{len(crate.differing)} file(s) are not the crate's"
    elif missing:
        crate.problem = f"files of the crate cargo vendor copies are missing: {', '.join(missing[:5])}"
    elif claims[0] != listed:
        crate.problem = f"{CHECKSUM_FILE} does not list the directory's files with their sha256"


def crates(context: CompareContext) -> dict[str, VendoredCrate]:
    """The artifact's vendored crate directories, judged (once per comparison)."""
    if "vendored-crates" in context.notes:
        return context.notes["vendored-crates"]
    directories = {p[: -len(CHECKSUM_FILE)] for p in context.tree.files
                   if posixpath.basename(p) == CHECKSUM_FILE and p.count("/") >= 2}
    members: dict[str, dict[str, bytes]] = {}  # a crate directory's files, those of a directory inside it included
    for path, f in context.tree.files.items() if directories else ():
        for directory in _holding(path, directories):
            members.setdefault(directory, {})[path[len(directory):]] = f.data
    found: dict[str, VendoredCrate] = {}
    lock = _lock_entries(context) if directories else {}
    for directory in sorted(directories):
        found[directory] = VendoredCrate(directory, directory.rstrip("/").rsplit("/", 1)[-1])
        _judge(found[directory], members[directory], lock)
    context.notes["vendored-crates"] = found
    return found


def _holding(path: str, directories: Container[str]) -> list[str]:
    """The `directories` (each ending in "/") holding `path`, the deepest first."""
    parents = []
    while "/" in path:
        path = path.rsplit("/", 1)[0]
        parents.append(path + "/")
    return [p for p in parents if p in directories]


def explain(path: str, data: bytes, context: CompareContext) -> Comparison | None:
    """Why `path`, absent from the commit, is a file of a crate vendored from the registry (None: it is in no
    vendored crate directory). A file of a crate not vouched for is unexplained, whatever else it looks like
    (a prebuilt library is no compiled extension of the project): code among them stays high."""
    found = crates(context)
    holding = _holding(path, found) if found else []
    if not holding:
        return None
    crate = found[holding[0]]
    is_checksum = path == crate.directory + CHECKSUM_FILE
    if crate.problem is None:
        why = (f"file of the crate {crate.label} vendored by cargo vendor: identical to the crate the cargo "
               f"registry serves, whose sha256 is the commit's Cargo.lock checksum")
        findings = (Finding(Severity.INFO, "OSP203", crate.directory, f"crate {crate.label} vendored by cargo "
                            f"vendor: every file identical to the crate the cargo registry serves (sha256 as the "
                            f"commit's Cargo.lock pins it)"),) if is_checksum else ()
        return Comparison(FileResult(path, FileStatus.GENERATED, None, why), findings)
    if path in crate.differing:
        why = f"vendored crate file {crate.differing[path]}"
        return Comparison(FileResult(path, FileStatus.UNEXPLAINED, None, why),
                          (Finding(Severity.HIGH, "OSP102", path, why),))
    why = f"vendored crate {crate.label} not vouched for: {crate.problem}"
    if is_checksum:
        return Comparison(FileResult(path, FileStatus.UNEXPLAINED, None, why),
                          (Finding(crate.severity, "OSP102" if crate.severity is Severity.HIGH else "OSP103",
                                   path, why),))
    return Comparison(FileResult(path, FileStatus.UNEXPLAINED, None, why))  # the findings of a file in no source
