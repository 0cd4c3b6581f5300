"""Build recipes: how to turn the source tree at the pinned commit into the published artifact.

A recipe is inferred from the repository (package.json / pyproject.toml / setup.py / pom.xml / build.gradle,
lockfiles, .nvmrc) and from the artifact's own metadata (npm `_nodeVersion`/`_npmVersion` from the packument,
the wheel's `WHEEL` Generator line, a jar's Build-Jdk and class-file versions). It is a plain record so that it can be reported, put into an attestation, and written or
overridden by hand (`--recipe FILE`, a small TOML file) for the packages inference gets wrong.

Commands and environment values may use placeholders, expanded when the recipe runs: `{python}` (the
interpreter running ossprov), `{out}` (the directory the artifact must appear in), `{src}` (the source root)
and `{home}` (the build's private home directory).

PyPI builds run in a fresh virtual environment holding the build frontend (`build`) and the project's build
requirements, with the backend pinned to the version the artifact records (the wheel's `Generator`); the rest is
resolved as of the release date through the timewarp proxy. npm builds use the host's Node and the npm version
of the packument when its major differs; yarn and pnpm lockfiles are installed with those tools through
corepack. When the original toolchain still differs, that is recorded as a note: a mismatch explains a
difference, it does not stop the attempt.

Recipes never publish: only the lifecycle scripts `npm pack` runs (prepack, prepare, postpack) and the PEP 517
hooks run, plus an npm `build` script when the published package ships its output; a script that would push,
tag, publish or version (`git push`, `npm publish`, `semantic-release`, ...) is not run, and the note says so.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
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
from packaging.utils import canonicalize_name

from ossprov.ecosystems import maven_build
from ossprov.ecosystems.maven_repo import repository_url
from ossprov.errors import InputError
from ossprov.model import NpmPublication, PackageTree, Release

NPM_LIFECYCLE = ("prepack", "prepare", "postpack")
"""Scripts `npm pack` runs by itself."""
NPM_ENV = {"npm_config_update_notifier": "false", "npm_config_fund": "false", "npm_config_audit": "false",
           "npm_config_cache": "{home}/.npm", "COREPACK_HOME": "{home}/corepack",
           "COREPACK_ENABLE_DOWNLOAD_PROMPT": "0", "COREPACK_ENABLE_STRICT": "0"}
PUBLISH_STEP = re.compile(
    r"\bgit\s+(?:push|tag|commit)\b|\b(?:npm|yarn|pnpm)\s+(?:npm\s+)?(?:publish|version|unpublish|dist-tag|deprecate)\b"
    r"|\b(?:semantic-release|release-it|standard-version|changeset\s+publish|changeset\s+version|lerna\s+publish"
    r"|lerna\s+version|gh\s+release|clean-publish)\b|(?:^|[;&|(]\s*)(?:npx\s+)?np(?:\s|$)")
"""Commands that publish, tag or push: a recipe never runs a script containing one."""
ALWAYS_PACKED_BY_NPM6 = re.compile(r"(?i)(?:changelog|changes|history|notice)(?:\.[^/]*)?")
"""Top-level files npm 6 and older packed whatever `files` said."""
RUN_SCRIPT = re.compile(r"\b(?:npm\s+run(?:-script)?|yarn(?:\s+run)?|pnpm(?:\s+run)?)\s+([\w:.-]+)")
"""`npm run NAME` and its yarn/pnpm forms: how one script calls another."""
PUBLISH_SCRIPTS = frozenset({"publish", "prepublish", "prepublishOnly", "postpublish", "version", "preversion",
                             "postversion", "release"})
SCM_BACKENDS = ("setuptools_scm", "setuptools-scm", "hatch-vcs", "hatch_vcs", "flit_scm", "pdm-backend")
GENERATOR_DIST = {"bdist_wheel": "wheel", "setuptools": "setuptools", "hatchling": "hatchling",
                  "flit": "flit_core", "poetry": "poetry-core", "pdm-backend": "pdm-backend",
                  "maturin": "maturin"}
"""WHEEL Generator names → the distribution whose version it states."""
VENV = "{home}/venv/bin/python"
"""The build environment's interpreter."""


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


def registry_facts(release: Release) -> dict[str, str]:
    """The registry fields recipes read, in one place: node and npm versions of the original build (npm's
    packument) and the publication time. Absent fields are left out."""
    publication = release.npm or NpmPublication()
    facts = {"node": publication.node_version, "npm": publication.npm_version, "published_at": release.published_at}
    return {k: str(v) for k, v in facts.items() if v}


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
    scripts: dict[str, Any] = manifest["scripts"] if isinstance(manifest.get("scripts"), dict) else {}
    toolchain, host, notes = _npm_toolchain(source, sub, manifest, release, published)
    manager = manifest.get("packageManager")
    steps: list[Step] = []
    npm = "npm"
    if _major(toolchain.get("npm")) not in (None, _major(host.get("npm"))) and int(_major(toolchain["npm"]) or 0) >= 6:
        # npm pack's file list and package.json handling follow npm's major version: pack with the original one.
        steps.append(Step("install", ("npm", "install", "--global", "--prefix", "{home}/npm-tool", "--no-audit",
                                      "--no-fund", f"npm@{toolchain['npm']}"), network=True))
        npm = "{home}/npm-tool/bin/npm"
        host["npm-pack"] = toolchain["npm"]
    notes += _mismatch_notes(toolchain, {**host, "npm": host.get("npm-pack", host.get("npm", ""))})

    root_manifest = _read_json(source / "package.json") if subdir and (source / "package.json").is_file() else {}
    install_dir = "" if subdir and root_manifest.get("workspaces") else subdir
    unsafe = {name for name in scripts if _publishes(scripts, name)}
    lifecycle = " ".join(str(scripts.get(s, "")) for s in NPM_LIFECYCLE if s not in unsafe)
    build: list[Step] = []
    if "build" in scripts and "build" not in lifecycle and _source_only(source, sub, published):
        if "build" in unsafe:
            notes.append("`build` script not run: it publishes, tags or pushes")
        else:
            notes.append("`build` script run: the published package ships files the source does not have")
            build.append(Step("build", (npm, "run", "build"), subdir))
    cleaned = "clean-publish" in _dev_dependencies(manifest, root_manifest)
    has_deps = any(manifest.get(k) for k in ("dependencies", "devDependencies", "optionalDependencies"))
    if has_deps or (install_dir != subdir and root_manifest.get("devDependencies")):
        # Packing needs the dependencies only when a script runs or dependencies are bundled into the tarball.
        if (lifecycle.strip() or build or cleaned or manifest.get("bundleDependencies")
                or manifest.get("bundledDependencies")):
            steps.append(_npm_install(source / install_dir, install_dir, manager, notes))
        else:
            notes.append("dependencies not installed: no script runs when packing and none are bundled")
    if manifest.get("version") != release.version:
        notes.append(f"package.json says {manifest.get('version')!r}; set to {release.version} before packing")
        steps.append(Step("build", ("npm", "pkg", "set", f"version={release.version}"), subdir))
    steps += build
    skipped = sorted(unsafe & set(NPM_LIFECYCLE))
    pack: tuple[str, ...] = ("pack",)
    if skipped:
        notes.append(f"lifecycle script(s) {', '.join(skipped)} not run: they publish, tag or push")
        steps += [Step("build", (npm, "run", s), subdir) for s in ("prepack", "prepare") if s in scripts
                  and s not in unsafe]
        pack += ("--ignore-scripts",)
    if cleaned:  # clean-publish publishes a cleaned copy (no comments, dev fields, docs sections): pack that copy.
        notes.append("published through clean-publish: its cleaned copy is packed (clean-publish --without-publish)")
        steps.append(Step("build", ("npm", "exec", "--no", "--", "clean-publish", "--without-publish",
                                    "--temp-dir", "{home}/clean-publish"), subdir))
        pack += ("{home}/clean-publish",)
    steps.append(_pack_step(npm, pack, toolchain.get("npm"), subdir))
    never = sorted(n for n in scripts if n in PUBLISH_SCRIPTS or n in unsafe)
    if never:
        notes.append(f"never run: {', '.join(never)} (publish steps)")
    env = dict(NPM_ENV)
    if managers := sorted({s.argv[1].split("@")[0] for s in steps if s.argv[0] == "corepack"}):
        # Scripts call `yarn`/`pnpm` by name: corepack's shims in {home}/bin, which is first on PATH.
        steps.insert(0, Step("install", ("corepack", "enable", "--install-directory", "{home}/bin", *managers)))
        # Registry mirrors drop npm's signatures, which corepack otherwise requires; the tool's tarball is still
        # checked against the registry's integrity.
        env["COREPACK_INTEGRITY_KEYS"] = "0"
        notes.append("corepack's signature check is off (COREPACK_INTEGRITY_KEYS=0); its integrity check is on")
    return Recipe("npm", "tgz", subdir, tuple(steps), "*.tgz", env, toolchain, host, tuple(notes))


def _npm_toolchain(source: Path, sub: Path, manifest: dict[str, Any], release: Release,
                   published: PackageTree | None) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """(original toolchain, this host's, notes): Node and npm from the packument, else `engines`, `.nvmrc`,
    `packageManager` and what the artifact shows."""
    notes: list[str] = []
    facts = registry_facts(release)
    toolchain: dict[str, str] = {k: facts[k] for k in ("node", "npm") if k in facts}
    engines: dict[str, Any] = manifest["engines"] if isinstance(manifest.get("engines"), dict) else {}
    if "node" not in toolchain and isinstance(engines.get("node"), str):
        toolchain["node-engines"] = engines["node"]
    for root in dict.fromkeys([sub, source]):
        if "node" not in toolchain and (root / ".nvmrc").is_file():
            toolchain["node"] = (root / ".nvmrc").read_text(errors="replace").strip()
    manager = manifest.get("packageManager")
    if isinstance(manager, str) and manager:
        toolchain["packageManager"] = manager
        if not manager.startswith("npm@"):
            notes.append(f"published with {manager}: its lockfile is installed with it (corepack); packed with npm pack")
        elif "npm" not in toolchain:
            toolchain["npm"] = manager.removeprefix("npm@").split("+")[0]
    if "npm" not in toolchain and _packed_by_npm6(manifest, published):
        toolchain["npm"] = "6"
        notes.append("packed by npm 6 or older (it ships a changelog outside `files`, which only those always "
                     "included); the registry does not say which npm")
    host = {k: v for k, v in (("node", _tool_version(("node", "--version"))),
                              ("npm", _tool_version(("npm", "--version")))) if v}
    return toolchain, host, notes


def _dev_dependencies(manifest: dict[str, Any], root_manifest: dict[str, Any]) -> set[str]:
    return {name for m in (manifest, root_manifest) if isinstance(m.get("devDependencies"), dict)
            for name in m["devDependencies"]}


def _pack_step(npm: str, pack: tuple[str, ...], original: str | None, subdir: str) -> Step:
    """`npm pack` into {out}; npm 6 has no --pack-destination, so its tarball is moved there."""
    if int(_major(original) or 7) >= 7:
        return Step("build", (npm, *pack, "--pack-destination", "{out}"), subdir)
    return Step("build", ("sh", "-c", '"$0" "$@" && mv -- ./*.tgz {out}/', npm, *pack), subdir)


def _packed_by_npm6(manifest: dict[str, Any], published: PackageTree | None) -> bool:
    """The artifact holds a top-level CHANGELOG/CHANGES/HISTORY/NOTICE that the `files` list does not name:
    npm 6 and older always packed those, later versions do not."""
    files = manifest.get("files")
    if published is None or not isinstance(files, list):
        return False
    patterns = [str(f).strip("/") for f in files]
    return any(ALWAYS_PACKED_BY_NPM6.fullmatch(path) and not any(fnmatch.fnmatch(path, p) for p in patterns)
               for path in published.files)


def _publishes(scripts: dict[str, Any], name: str, seen: frozenset[str] = frozenset()) -> bool:
    """Whether running script `name` would publish, tag or push, following the scripts it runs (and npm's
    pre/post scripts around it)."""
    if name in seen or name not in scripts:
        return False
    text = str(scripts[name])
    if PUBLISH_STEP.search(text):
        return True
    called = [m.group(1) for m in RUN_SCRIPT.finditer(text)] + [f"pre{name}", f"post{name}"]
    return any(c in PUBLISH_SCRIPTS or _publishes(scripts, c, seen | {name}) for c in called)


def _pnpm_for(lockfile: str) -> str:
    """The pnpm that writes this lockfile version (`lockfileVersion: '6.0'` is pnpm 8's), for corepack when
    `packageManager` does not say: newer pnpm majors refuse older lockfiles with --frozen-lockfile."""
    m = re.search(r"^lockfileVersion:\s*'?(\d+)", lockfile, re.MULTILINE)
    major = {"5": "7", "6": "8", "7": "9", "9": "9"}.get(m.group(1)) if m else None
    return f"pnpm@{major}" if major else "pnpm"


def _npm_install(lockdir: Path, install_dir: str, manager: object, notes: list[str]) -> Step:
    """Dependency installation honouring the lockfile, with the package manager that wrote it (yarn and pnpm
    through corepack, at the version `packageManager` names); install scripts of dependencies are not run."""
    manager_name = manager.split("@")[0] if isinstance(manager, str) else ""
    argv: tuple[str, ...]
    if (lockdir / "yarn.lock").is_file() and manager_name in ("", "yarn"):
        berry = not (lockdir / "yarn.lock").read_text(errors="replace")[:400].count("yarn lockfile v1")
        argv = (("corepack", "yarn", "install", "--immutable", "--mode=skip-build") if berry else
                ("corepack", "yarn", "install", "--pure-lockfile", "--ignore-scripts", "--non-interactive"))
        notes.append("yarn.lock: dependencies installed with yarn (corepack)" + ("" if berry else
                     ", from the lockfile where it still matches package.json (--pure-lockfile)"))
    elif (lockdir / "pnpm-lock.yaml").is_file() and manager_name in ("", "pnpm"):
        pnpm = "pnpm" if manager_name else _pnpm_for((lockdir / "pnpm-lock.yaml").read_text(errors="replace"))
        argv = ("corepack", pnpm, "install", "--frozen-lockfile", "--ignore-scripts")
        notes.append("pnpm-lock.yaml: dependencies installed with pnpm (corepack)")
    elif any((lockdir / f).is_file() for f in ("package-lock.json", "npm-shrinkwrap.json")):
        argv = ("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund")
    else:
        notes.append("no lockfile: dependencies resolved with npm install")
        argv = ("npm", "install", "--ignore-scripts", "--no-audit", "--no-fund")
    return Step("install", argv, install_dir, network=True)


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
    req_names = [canonicalize_name(r.name) for r in _requirements(requires)]
    tool = generator.split()[0].split("(")[0].strip() if generator else ""
    # A known generator name, or a build requirement's (a backend naming itself).
    dist = GENERATOR_DIST.get(tool) or (tool if tool and canonicalize_name(tool) in req_names else None)
    pins: list[str] = []
    if generator:
        toolchain["generator"] = generator
        if dist and generator_version:
            toolchain[dist] = generator_version
            pins.append(f"{dist}=={generator_version}")
            notes.append(f"{dist} pinned to {generator_version}, the version the published wheel records")
    if (when := registry_facts(release).get("published_at")) and not pins:
        notes.append(f"build requirements resolved as of the release ({when})")
    env: dict[str, str] = {"PIP_NO_INPUT": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    if any(n in {canonicalize_name(b) for b in SCM_BACKENDS} for n in req_names):
        env["SETUPTOOLS_SCM_PRETEND_VERSION"] = release.version
        notes.append(f"version from SCM: pinned to {release.version} (SETUPTOOLS_SCM_PRETEND_VERSION)")
    output = "*.whl" if artifact_kind == "wheel" else "*.tar.gz"
    distribution = "wheel" if artifact_kind == "wheel" else "sdist"
    # The hook's answer (setuptools asks for `wheel` before 70.1) resolved in the same view, still online.
    extra_requires = (f"import build, subprocess, sys; r = sorted(build.ProjectBuilder('.').get_requires_for_build("
                      f"{distribution!r})); r and subprocess.check_call([sys.executable, '-m', 'pip', 'install', "
                      f"'--no-warn-script-location', *r])")
    steps = (Step("install", ("{python}", "-m", "venv", "{home}/venv"), subdir),
             # Python 3.11's venv brings a setuptools of its own (65.5), which would satisfy `setuptools>=61`.
             Step("install", (VENV, "-m", "pip", "uninstall", "--yes", "--quiet", "setuptools"), subdir),
             Step("install", (VENV, "-m", "pip", "install", "--no-warn-script-location", "build", *requires, *pins),
                  subdir, network=True),
             Step("install", (VENV, "-c", extra_requires), subdir, network=True),
             Step("build", (VENV, "-m", "build", "--no-isolation", f"--{distribution}", "--outdir", "{out}", "."),
                  subdir))
    return Recipe("pypi", artifact_kind, subdir, steps, output, env, toolchain, host, tuple(notes))


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
