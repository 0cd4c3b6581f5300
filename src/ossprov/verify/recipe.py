"""Build recipes: the record of how to turn the source tree at the pinned commit into the published artifact.

Each ecosystem plug-in infers its own (`Builder.recipe` in `ossprov.ecosystems.interface`): from the repository
(package.json, pyproject.toml, pom.xml, Cargo.toml, lockfiles, .nvmrc) and from the artifact's own metadata (the
packument's Node and npm versions, the wheel's `Generator` line, a jar's Build-Jdk). This module holds only what
every recipe shares, and imports no ecosystem: the record itself, tool probes, and the user's recipe file
(`--recipe FILE`, a small TOML file) for the packages inference gets wrong.

Commands and environment values may use placeholders, expanded when the recipe runs: `{python}` (the
interpreter running ossprov), `{out}` (the directory the artifact must appear in), `{src}` (the source root)
and `{home}` (the build's private home directory).

When the original toolchain differs from this machine's, that is recorded as a note: a mismatch explains a
difference, it does not stop the attempt. Recipes never publish: a step that would push, tag or publish is
not run, and the note says so.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import shutil
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ossprov.errors import InputError


class Unbuildable(Exception):
    """No recipe can be inferred; the message says why."""


@dataclass(frozen=True)
class Step:
    """One command of a recipe."""

    phase: str
    """install (dependencies; the only phase that may use the network) or build."""
    argv: tuple[str, ...]
    cwd: str = ""
    """Directory relative to the source root."""
    network: bool = False


@dataclass(frozen=True)
class Recipe:
    """Everything needed to repeat a build, serialisable with `ossprov.model.to_json`."""

    ecosystem: str
    artifact_kind: str
    """The kind of artifact the steps produce (tgz, sdist, wheel, jar, crate, ...)."""
    subdir: str
    """Package directory relative to the repository root ("" for the root)."""
    steps: tuple[Step, ...]
    output: str
    """Glob (relative to {out}) matching the artifact the steps produce."""
    env: dict[str, str] = field(default_factory=dict)
    toolchain: dict[str, str] = field(default_factory=dict)
    """What the original build used, as far as it can be told (node, npm, backend, generator)."""
    host: dict[str, str] = field(default_factory=dict)
    """What this machine will use instead."""
    notes: tuple[str, ...] = ()
    origin: str = "inferred"
    """inferred, or the path of the user's recipe file."""
    files: dict[str, str] = field(default_factory=dict)
    """Files written under {home} before the first step (Maven's settings.xml), placeholders expanded."""


@functools.cache
def tool_version(argv: tuple[str, ...]) -> str | None:
    """A tool's `--version` output (asked once per process: npm takes a while to start)."""
    if shutil.which(argv[0]) is None:
        return None
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.lstrip("v") or None


def major(version: str | None) -> str | None:
    """The first number of a version (`v18.2.0` → `18`), None when there is none."""
    m = re.search(r"\d+", version or "")
    return m.group(0) if m else None


def mismatch_notes(toolchain: dict[str, str], host: dict[str, str]) -> list[str]:
    """A note for each tool whose major version here differs from the original build's."""
    notes = []
    for tool, wanted in toolchain.items():
        have = host.get(tool)
        if have is None or major(wanted) is None:
            continue
        if major(wanted) != major(have):
            notes.append(f"original {tool} {wanted}, building with {have}")
    return notes


# --- user recipes ---------------------------------------------------------------------------------------------------
def load_override(path: Path) -> dict[str, Any]:
    """Read a recipe TOML file: top-level keys are Recipe fields, `[[steps]]` tables are Steps."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read recipe {path}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"recipe {path} is not valid TOML: {exc}") from None
    known = {f.name for f in dataclasses.fields(Recipe)} - {"origin", "host"}
    unknown = set(data) - known
    if unknown:
        raise InputError(f"recipe {path}: unknown keys {', '.join(sorted(unknown))} (known: {', '.join(sorted(known))})")
    if "steps" in data:
        try:
            data["steps"] = tuple(
                Step(str(s["phase"]), tuple(str(a) for a in s["argv"]), str(s.get("cwd", "")),
                     bool(s.get("network", False)))
                for s in data["steps"])
        except (KeyError, TypeError) as exc:
            raise InputError(f"recipe {path}: each [[steps]] needs phase and argv ({exc})") from None
        if any(s.phase not in ("install", "build") for s in data["steps"]):
            raise InputError(f"recipe {path}: step phase must be install or build")
    for key in ("env", "toolchain", "files"):
        if key in data and not isinstance(data[key], dict):
            raise InputError(f"recipe {path}: {key} must be a table")
    return data


def apply_override(base: Recipe | None, override: dict[str, Any], origin: str) -> Recipe:
    """The inferred recipe with the user's fields replacing its own (a whole recipe if none was inferred)."""
    if base is None:
        needed = {"ecosystem", "artifact_kind", "steps", "output"} - set(override)
        if needed:
            raise InputError(f"recipe {origin}: no recipe could be inferred, so it needs {', '.join(sorted(needed))}")
        return Recipe(subdir=override.pop("subdir", ""), origin=origin, **override)
    return dataclasses.replace(base, origin=origin, **override)
