"""Build recipes: how to turn the source tree at the pinned commit into the published artifact.

A recipe is inferred from the repository (package.json / pyproject.toml / setup.py / pom.xml / build.gradle,
lockfiles, .nvmrc) and from the artifact's own metadata (npm `_nodeVersion`/`_npmVersion` from the packument,
the wheel's `WHEEL` Generator line, a jar's Build-Jdk and class-file versions). It is a plain record so that it can be reported, put into an attestation, and written or
overridden by hand (`--recipe FILE`, a small TOML file) for the packages inference gets wrong.

Commands and environment values may use placeholders, expanded when the recipe runs: `{python}` (the
interpreter running ossprov), `{out}` (the directory the artifact must appear in), `{src}` (the source root)
and `{home}` (the build's private home directory).

We build with the toolchain the host has. When the original toolchain (as far as it can be inferred) differs,
that is recorded as a note: a mismatch explains a difference, it does not stop the attempt.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from ossprov.ecosystems import maven_build
from ossprov.ecosystems.maven_repo import repository_url
from ossprov.errors import InputError
from ossprov.model import NpmPublication, PackageTree, Release

NPM_LIFECYCLE = ("prepack", "prepare")
"""Scripts `npm pack` runs by itself."""
NPM_ENV = {"npm_config_update_notifier": "false", "npm_config_fund": "false", "npm_config_audit": "false",
           "npm_config_cache": "{home}/.npm"}
SCM_BACKENDS = ("setuptools_scm", "setuptools-scm", "hatch-vcs", "hatch_vcs", "flit_scm", "pdm-backend")
GENERATOR_DIST = {"bdist_wheel": "wheel", "setuptools": "setuptools", "hatchling": "hatchling",
                  "flit": "flit_core", "poetry": "poetry-core", "pdm-backend": "pdm-backend",
                  "maturin": "maturin"}
"""WHEEL Generator names → the distribution whose version it states."""


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
    """tgz (npm), sdist or wheel."""
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
def _tool_version(argv: tuple[str, ...]) -> str | None:
    """A tool's `--version` output (asked once per process: npm takes a while to start)."""
    if shutil.which(argv[0]) is None:
        return None
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.lstrip("v") or None


def _requirements(requires: list[str]) -> list[Requirement]:
    """The build requirements that apply on this interpreter (markers evaluated); unparsable ones dropped."""
    parsed = []
    for text in requires:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        if req.marker is None or req.marker.evaluate():
            parsed.append(req)
    return parsed


def _satisfied(req: Requirement) -> bool:
    """Installed here in a version the requirement accepts."""
    have = _dist_version(req.name)
    return have is not None and (not req.specifier or req.specifier.contains(have, prereleases=True))


def _dist_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _major(version: str | None) -> str | None:
    m = re.search(r"\d+", version or "")
    return m.group(0) if m else None


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise Unbuildable(f"{path.name} cannot be read: {exc}") from None
    if not isinstance(data, dict):
        raise Unbuildable(f"{path.name} is not a JSON object")
    return data


def _mismatch_notes(toolchain: dict[str, str], host: dict[str, str]) -> list[str]:
    notes = []
    for tool, wanted in toolchain.items():
        have = host.get(tool)
        if have is None or _major(wanted) is None:
            continue
        if _major(wanted) != _major(have):
            notes.append(f"original {tool} {wanted}, building with {have}")
    return notes


# --- npm ---------------------------------------------------------------------------------------------------------
def _source_only(source: Path, sub: Path, published: PackageTree | None) -> bool:
    """True when the published package has files the source tree does not (build output was shipped)."""
    if published is None:
        return False
    return any(not (sub / p).exists() for p in published.files if p != "package.json")


def infer_npm(source: Path, subdir: str, release: Release, published: PackageTree | None) -> Recipe:
    """npm: install from the lockfile, run what publish ran that pack does not, then `npm pack`."""
    sub = source / subdir
    if not (sub / "package.json").is_file():
        raise Unbuildable(f"no package.json at {subdir or 'the repository root'}")
    manifest = _read_json(sub / "package.json")
    scripts = manifest.get("scripts") if isinstance(manifest.get("scripts"), dict) else {}
    notes: list[str] = []
    publication = release.npm or NpmPublication()
    toolchain = {k: v for k, v in (("node", publication.node_version), ("npm", publication.npm_version)) if v}
    engines = manifest.get("engines") if isinstance(manifest.get("engines"), dict) else {}
    if "node" not in toolchain and isinstance(engines.get("node"), str):
        toolchain["node-engines"] = engines["node"]
    for root in dict.fromkeys([sub, source]):
        if "node" not in toolchain and (root / ".nvmrc").is_file():
            toolchain["node"] = (root / ".nvmrc").read_text(errors="replace").strip()
    manager = manifest.get("packageManager")
    if isinstance(manager, str) and manager:
        toolchain["packageManager"] = manager
        if not manager.startswith("npm@"):
            notes.append(f"published with {manager.split('@')[0]}; rebuilding with npm pack")
    host = {k: v for k, v in (("node", _tool_version(("node", "--version"))),
                              ("npm", _tool_version(("npm", "--version")))) if v}
    notes += _mismatch_notes(toolchain, host)

    root_manifest = _read_json(source / "package.json") if subdir and (source / "package.json").is_file() else {}
    install_dir = "" if subdir and root_manifest.get("workspaces") else subdir
    lockdir = source / install_dir
    steps: list[Step] = []
    has_deps = any(manifest.get(k) for k in ("dependencies", "devDependencies", "optionalDependencies"))
    if has_deps or (install_dir != subdir and root_manifest.get("devDependencies")):
        locked = any((lockdir / f).is_file() for f in ("package-lock.json", "npm-shrinkwrap.json"))
        verb = "ci" if locked else "install"
        if not locked:
            notes.append("no package-lock.json: dependencies resolved afresh with npm install")
        steps.append(Step("install", ("npm", verb, "--ignore-scripts", "--no-audit", "--no-fund"),
                          install_dir, network=True))
    if manifest.get("version") != release.version:
        notes.append(f"package.json says {manifest.get('version')!r}; set to {release.version} before packing")
        steps.append(Step("build", ("npm", "pkg", "set", f"version={release.version}"), subdir))
    lifecycle = " ".join(str(scripts.get(s, "")) for s in (*NPM_LIFECYCLE, "prepublishOnly"))
    if "build" in scripts and "build" not in lifecycle and _source_only(source, sub, published):
        notes.append("`build` script run: the published package ships files the source does not have")
        steps.append(Step("build", ("npm", "run", "build"), subdir))
    if "prepublishOnly" in scripts:
        steps.append(Step("build", ("npm", "run", "prepublishOnly"), subdir))
    steps.append(Step("build", ("npm", "pack", "--pack-destination", "{out}"), subdir))
    return Recipe("npm", "tgz", subdir, tuple(steps), "*.tgz", dict(NPM_ENV), toolchain, host, tuple(notes))


# --- PyPI ---------------------------------------------------------------------------------------------------------
def _generator(published: PackageTree | None) -> tuple[str | None, str | None]:
    """(Generator line, version of the backend it names) from a wheel's WHEEL file."""
    if published is None:
        return None, None
    wheel = next((f.data for p, f in published.files.items() if p.endswith(".dist-info/WHEEL")), None)
    if wheel is None:
        return None, None
    line = HeaderParser().parsestr(wheel.decode("utf-8", "replace")).get("Generator")
    m = re.match(r"\s*([\w.-]+)\s*\(?([\w.+-]*)\)?", line or "")
    return line, (m.group(2) or None) if m else None


def infer_pypi(source: Path, subdir: str, release: Release, published: PackageTree | None,
               artifact_kind: str) -> Recipe:
    """PyPI: `python -m build` with the project's PEP 517 backend, sdist and wheel, reproducibly dated."""
    sub = source / subdir
    notes: list[str] = []
    if (sub / "pyproject.toml").is_file():
        try:
            pyproject = tomllib.loads((sub / "pyproject.toml").read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise Unbuildable(f"pyproject.toml is not valid TOML: {exc}") from None
        system = pyproject.get("build-system", {})
        backend = str(system.get("build-backend") or "setuptools.build_meta:__legacy__")
        requires = [str(r) for r in system.get("requires", ["setuptools>=40.8.0"])]
    elif (sub / "setup.py").is_file():
        backend, requires = "setuptools.build_meta:__legacy__", ["setuptools>=40.8.0", "wheel"]
    else:
        raise Unbuildable(f"no pyproject.toml or setup.py at {subdir or 'the repository root'}")
    toolchain = {"backend": backend, "requires": ", ".join(requires)}
    generator, generator_version = _generator(published)
    host = {"python": ".".join(map(str, sys.version_info[:3]))}
    dist = GENERATOR_DIST.get(generator.split()[0].split("(")[0].strip()) if generator else None
    if generator:
        toolchain["generator"] = generator
        if dist and generator_version:
            toolchain[dist] = generator_version
            if (have := _dist_version(dist)) is not None:
                host[dist] = have
    parsed = _requirements(requires)
    req_names = [r.name.lower() for r in parsed]
    missing = [str(r) for r in parsed if not _satisfied(r)]
    # The backend version the published files were made by, when this host has another one.
    pins = [f"{dist}=={generator_version}"] if dist and generator_version and host.get(dist) not in (
        None, generator_version) else []
    env: dict[str, str] = {}
    if any(n in SCM_BACKENDS for n in req_names):
        env["SETUPTOOLS_SCM_PRETEND_VERSION"] = release.version
        notes.append(f"version from SCM: pinned to {release.version} (SETUPTOOLS_SCM_PRETEND_VERSION)")
    steps: list[Step] = []
    python = "{python}"
    if missing or pins:
        notes.append(f"build requirements installed in a venv: {', '.join(missing + pins)}")
        steps += [Step("install", ("{python}", "-m", "venv", "--system-site-packages", "{home}/venv"), subdir),
                  Step("install", ("{home}/venv/bin/python", "-m", "pip", "install", *requires, *pins), subdir,
                       network=True)]
        python = "{home}/venv/bin/python"
    notes += _mismatch_notes({k: v for k, v in toolchain.items() if k in host}, host)
    steps.append(Step("build", (python, "-m", "build", "--no-isolation", "--outdir", "{out}", "."), subdir))
    output = "*.whl" if artifact_kind == "wheel" else "*.tar.gz"
    return Recipe("pypi", artifact_kind, subdir, tuple(steps), output, env, toolchain, host, tuple(notes))


# --- Maven ------------------------------------------------------------------------------------------------------
MAVEN = ("mvn", "-B", "-s", "{home}/settings.xml", "-Dmaven.repo.local={home}/m2")
"""Every mvn run: batch mode, our settings.xml (one mirror: the configured repository), a private local
repository in the build directory."""
GO_OFFLINE = "org.apache.maven.plugins:maven-dependency-plugin:3.6.1:go-offline"
"""Fully qualified, so that no plugin-prefix metadata is needed (a local repository used as a mirror has none)."""


def _jar_toolchain(published: PackageTree | None, tool: str) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """(original toolchain, host toolchain, notes) of a jar build: JDK, and Maven's version for Maven."""
    toolchain: dict[str, str] = {}
    notes: list[str] = []
    jdk = maven_build.original_jdk(published)
    if jdk:
        toolchain["jdk"] = jdk[0]
        notes.append(f"original JDK from {jdk[1]}")
    host = {"jdk": maven_build.jdk_release(maven_build.host_version(_tool_version(("javac", "-version")))) or ""}
    maven = maven_build.original_maven(published) if tool == "maven" else None
    if maven:
        toolchain["maven"] = maven
    if tool == "maven":
        host["maven"] = maven_build.host_version(_tool_version(("mvn", "-v", "-B"))) or ""
    host = {k: v for k, v in host.items() if v}
    return toolchain, host, notes + _mismatch_notes(toolchain, host)


def infer_maven(source: Path, subdir: str, published: PackageTree | None, artifact_filename: str) -> Recipe:
    """Maven: dependencies resolved from the configured repository in the install phase (the only one with
    network), then `mvn -o -DskipTests package` offline; Gradle: `assemble` offline. The jar is copied to {out}."""
    sub = source / subdir
    tool = maven_build.build_tool({p.name for p in sub.iterdir()} if sub.is_dir() else set())
    if tool is None:
        raise Unbuildable(f"no pom.xml or build.gradle at {subdir or 'the repository root'}")
    if not artifact_filename.endswith(".jar"):
        raise Unbuildable(f"only jars are rebuilt, not {artifact_filename}")
    kind = "sources-jar" if artifact_filename.endswith("-sources.jar") else "jar"
    toolchain, host, notes = _jar_toolchain(published, tool)
    files: dict[str, str] = {}
    if tool == "maven":
        try:
            files["settings.xml"] = maven_build.settings_xml(repository_url())
        except InputError as exc:
            raise Unbuildable(str(exc)) from None
        goals = ("package", "source:jar-no-fork") if kind == "sources-jar" else ("package",)
        steps = [Step("install", (*MAVEN, GO_OFFLINE), subdir, network=True),
                 Step("build", (*MAVEN, "-o", "-DskipTests", *goals), subdir)]
        target = "target"
    else:
        gradle = "./gradlew" if (sub / "gradlew").is_file() else "gradle"
        steps = [Step("build", (gradle, "--no-daemon", "--offline", "-x", "test", "assemble"), subdir)]
        target = "build/libs"
        notes.append("Gradle runs offline: its dependencies must already be in the build's Gradle home")
    steps.append(Step("build", ("cp", f"{target}/{artifact_filename}", "{out}/"), subdir))
    env = {"MAVEN_OPTS": "-Duser.home={home}", "GRADLE_USER_HOME": "{home}/gradle"}
    return Recipe("maven", kind, subdir, tuple(steps), artifact_filename, env, toolchain, host, tuple(notes),
                  files=files)


def infer(ecosystem: str, source: Path, subdir: str, release: Release, published: PackageTree | None,
          artifact_filename: str) -> Recipe:
    """The recipe for an ecosystem, or Unbuildable."""
    if ecosystem == "npm":
        return infer_npm(source, subdir, release, published)
    if ecosystem == "pypi":
        kind = "wheel" if artifact_filename.endswith(".whl") else "sdist"
        return infer_pypi(source, subdir, release, published, kind)
    if ecosystem == "maven":
        return infer_maven(source, subdir, published, artifact_filename)
    raise Unbuildable(f"rebuilding {ecosystem} packages is not supported (npm, PyPI and Maven are)")


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
