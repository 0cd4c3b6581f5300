"""What a crate's manifests say: `Cargo.toml` (normalised by `cargo package`) against `Cargo.toml.orig` (the
author's file, compared with the repository byte for byte), and `.cargo_vcs_info.json` (the commit and
directory cargo packaged from).

`cargo package` rewrites the manifest: workspace inheritance resolved, path dependencies turned into
registry ones, dev-dependencies without a version dropped, targets and the build script spelled out. It
never adds a dependency, a build script or a native `links`: those are what a tampered Cargo.toml changes.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from typing import Any

DEP_TABLES = ("dependencies", "dev-dependencies", "build-dependencies", "dev_dependencies", "build_dependencies")


def table(doc: Any, key: str) -> dict[str, Any]:
    """`doc[key]` when both are tables, else an empty one (TOML and JSON from crates are untrusted)."""
    value = doc.get(key) if isinstance(doc, dict) else None
    return value if isinstance(value, dict) else {}


def text(doc: Any, key: str) -> str | None:
    """`doc[key]` when it is a string."""
    value = doc.get(key) if isinstance(doc, dict) else None
    return value if isinstance(value, str) else None


def load(data: bytes | None) -> dict[str, Any] | None:
    if data is None:
        return None
    try:
        return tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError):
        return None


def lock_packages(data: bytes | None) -> list[dict[str, Any]] | None:
    """The `[[package]]` tables of a Cargo.lock that come from somewhere (a registry or git: the workspace's own
    packages have no `source`); None when it is not TOML."""
    doc = load(data)
    if doc is None:
        return None
    packages = doc.get("package")
    return [p for p in packages if isinstance(p, dict) and p.get("source")] if isinstance(packages, list) else []


def package(doc: dict[str, Any] | None) -> dict[str, Any]:
    return table(doc, "package")


def dependency_names(doc: dict[str, Any] | None) -> set[str]:
    """Names of every dependency, of every kind and target (`[target.'cfg(…)'.dependencies]` too)."""
    tables = [table(doc, t) for t in DEP_TABLES]
    for target in table(doc, "target").values():
        tables += [table(target, t) for t in DEP_TABLES]
    return {(text(spec, "package") or key).replace("_", "-") for deps in tables for key, spec in deps.items()}


def build_script(doc: dict[str, Any] | None) -> str | None:
    """The build script cargo runs: `package.build`, else `build.rs` when the crate has one (None for false)."""
    build = package(doc).get("build")
    if build is False:
        return None
    return build if isinstance(build, str) else "build.rs"


@dataclass(frozen=True)
class VcsInfo:
    sha1: str | None
    path_in_vcs: str


def vcs_info(data: bytes | None) -> VcsInfo | None:
    try:
        doc = json.loads(data) if data is not None else None
    except (ValueError, RecursionError):
        return None
    git = table(doc, "git")
    if not git:
        return None
    return VcsInfo(text(git, "sha1"), (text(doc, "path_in_vcs") or "").strip("/"))


def normalisation_problems(normalised: dict[str, Any] | None, original: dict[str, Any] | None) -> list[str]:
    """What the normalised manifest changes that `cargo package` never changes (empty when it agrees)."""
    if normalised is None:
        return ["the normalised Cargo.toml is not valid TOML"]
    if original is None:
        return ["Cargo.toml.orig is missing or not valid TOML, so the normalised manifest cannot be traced"]
    problems = []
    added = sorted(dependency_names(normalised) - dependency_names(original))
    if added:
        problems.append(f"declares dependencies the author's manifest does not: {', '.join(added)}")
    new, old = package(normalised), package(original)
    for key in ("name", "version", "links"):
        if isinstance(old.get(key), dict):  # `version.workspace = true`: resolved from the workspace
            continue
        if new.get(key) != old.get(key):
            problems.append(f"changes package.{key} from {old.get(key)!r} to {new.get(key)!r}")
    if isinstance(old.get("build"), str) and new.get("build") != old.get("build"):
        problems.append(f"changes the build script from {old.get('build')!r} to {new.get('build')!r}")
    return problems
