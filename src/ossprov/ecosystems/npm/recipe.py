"""The npm rebuild recipe: install from the lockfile, run what publish ran that pack does not, then `npm pack`.

npm builds use the host's Node and the npm version of the packument when its major differs; yarn and pnpm
lockfiles are installed with those tools through corepack. Only the lifecycle scripts `npm pack` runs (prepack,
prepare, postpack) run, plus a `build` script when the published package ships its output; a script that would
push, tag, publish or version (`git push`, `npm publish`, `semantic-release`, ...) is not run, and the note says so.
"""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path
from typing import Any

from ossprov.model import NpmPublication, PackageTree, Release
from ossprov.verify.recipe import Recipe, Step, Unbuildable, major, mismatch_notes, tool_version

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
PUBLISH_DIR = re.compile(r"\bpublish(?:ed)?\s+from\s+(?:the\s+)?[`'\"]?(?:\./)?([\w-][\w.-]*)/")
"""A guard script naming the directory a package is published from: prettier's `prepublishOnly` is
`echo "Error: must publish from dist/" && exit 1` (its build writes the package, package.json included, there)."""
PUBLISH_SCRIPTS = frozenset({"publish", "prepublish", "prepublishOnly", "postpublish", "version", "preversion",
                             "postversion", "release"})


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise Unbuildable(f"{path.name} cannot be read: {exc}") from None
    if not isinstance(data, dict):
        raise Unbuildable(f"{path.name} is not a JSON object")
    return data


def _registry_facts(release: Release) -> dict[str, str]:
    """The packument fields the recipe reads: node and npm versions of the original build. Absent fields are
    left out."""
    publication = release.npm or NpmPublication()
    facts = {"node": publication.node_version, "npm": publication.npm_version}
    return {k: str(v) for k, v in facts.items() if v}


def _source_only(source: Path, sub: Path, published: PackageTree | None) -> bool:
    """True when the published package has files the source tree does not (build output was shipped)."""
    if published is None:
        return False
    return any(not (sub / p).exists() for p in published.files if p != "package.json")


def _publish_dir(scripts: dict[str, Any]) -> str | None:
    """The directory the repository's publish guard names, when a pre-publish script refuses publishing from
    the package's root (it fails) and says where to publish from."""
    for name in ("prepublishOnly", "prepublish", "prepack"):
        text = scripts.get(name)
        if isinstance(text, str) and re.search(r"\bexit\s+[1-9]", text):
            m = PUBLISH_DIR.search(text)
            if m:
                return m.group(1)
    return None


def infer(source: Path, subdir: str, release: Release, published: PackageTree | None) -> Recipe:
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
    if major(toolchain.get("npm")) not in (None, major(host.get("npm"))) and int(major(toolchain["npm"]) or 0) >= 6:
        # npm pack's file list and package.json handling follow npm's major version: pack with the original one.
        steps.append(Step("install", ("npm", "install", "--global", "--prefix", "{home}/npm-tool", "--no-audit",
                                      "--no-fund", f"npm@{toolchain['npm']}"), network=True))
        npm = "{home}/npm-tool/bin/npm"
        host["npm-pack"] = toolchain["npm"]
    notes += mismatch_notes(toolchain, {**host, "npm": host.get("npm-pack", host.get("npm", ""))})

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
    dev = _dev_dependencies(manifest, root_manifest)
    dual = "dual-publish" in dev
    cleaned = "clean-publish" in dev or dual
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
    if dual:  # dual-publish (through clean-publish) writes the ES module/CommonJS copy: pack that copy. It joins
        # the copy's name to the working directory, so the copy stays in it (its default), renamed dual-publish-tmp.
        notes.append("published through dual-publish: its dual copy is packed (dual-publish --without-publish)")
        steps.append(Step("build", ("npm", "exec", "--no", "--", "dual-publish", "--without-publish"), subdir))
        pack += ("./dual-publish-tmp",)  # a bare name would be a registry package to npm pack
    elif publish_dir := _publish_dir(scripts):
        notes.append(f"published from {publish_dir}/ (a pre-publish script refuses the package root and names it): "
                     f"{publish_dir}/ is packed after the build")
        pack += (f"./{publish_dir}",)
    elif cleaned:  # clean-publish publishes a cleaned copy (no comments, dev fields, docs sections): pack that copy.
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
    facts = _registry_facts(release)
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
    host = {k: v for k, v in (("node", tool_version(("node", "--version"))),
                              ("npm", tool_version(("npm", "--version")))) if v}
    return toolchain, host, notes


def _dev_dependencies(manifest: dict[str, Any], root_manifest: dict[str, Any]) -> set[str]:
    return {name for m in (manifest, root_manifest) if isinstance(m.get("devDependencies"), dict)
            for name in m["devDependencies"]}


def _pack_step(npm: str, pack: tuple[str, ...], original: str | None, subdir: str) -> Step:
    """`npm pack` into {out}; npm 6 has no --pack-destination, so its tarball is moved there."""
    if int(major(original) or 7) >= 7:
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


