"""Packages published through dual-publish: every file it writes, re-derived from the commit and required equal.

dual-publish turns a CommonJS package into a dual one at publish time (see `dualpublish_rewrite` for its text
rewrites). For each module it processes (`index.js`, `index.browser.js`, `index.native.js` of the package's
directories) it writes, from the commit's file after clean-publish's comment stripping:

- the ES module in place of the file, and a CommonJS twin `index.cjs` (`index.browser.cjs`);
- `index.dev.js`/`index.prod.js` when the code tests `process.env.NODE_ENV`;
- a `package.json` in each directory (`type`, `main`, `module`, `react-native`, `browser`), merged into one the
  commit has, and in the root's the same fields plus an `exports` map of every processed directory;
- from 4.0, `index.d.cts`: a copy of the `types` file named by a directory's own package.json.

This module computes each of those files from the commit and the tarball's list of processed modules, and vouches
for a published file only when it is byte for byte that (the root package.json's dual-publish fields equal, the
order of each `exports` entry's conditions included; the rest of it goes on to the usual comparison). A file
dual-publish would write that differs is a high finding; a file it would not write is left to the other rules.
Evidence first: the repository (the package, or a monorepo's root) must name dual-publish in devDependencies.
"""

from __future__ import annotations

import copy
import itertools
import json
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ossprov.ecosystems.interface import CompareContext, Comparison
from ossprov.ecosystems.npm import cleaned, normalize
from ossprov.ecosystems.npm.dualpublish_manifest import (
    ENTRY_FIELDS,
    Line,
    entry_fields_match,
    lines_for,
    replace_package,
    stringify,
)
from ossprov.ecosystems.npm.dualpublish_rewrite import (
    CLEANERS,
    Unsupported,
    clean_comments,
    env_variant,
    has_env_condition,
    to_cjs,
    to_esm,
)
from ossprov.model import FileResult, FileStatus, Finding, PackageTree, Severity

TOOL = "dual-publish"
Maker = Callable[[str | None, Line], bytes | None]
"""What dual-publish writes at one path, given clean-publish's comment cleaner (None: none ran) and the dual-publish
release; None where it would write nothing or fail."""
PROCESSED = re.compile(r"(^|/)index(\.browser|\.native)?\.js")
"""The files dual-publish rewrites (its filter, unanchored at the end as there)."""


@dataclass
class Plan:
    """What dual-publish wrote for this package: each file it makes, as a function giving its bytes."""

    range: str
    lines: tuple[Line, ...]
    """The dual-publish releases the declared range admits."""
    cleaners: tuple[str | None, ...]
    modules: list[str]
    """Processed modules (artifact paths), in path order."""
    makers: dict[str, Maker] = field(default_factory=dict)
    """Artifact path → what dual-publish writes there, given the comment cleaner and the release."""
    origin: dict[str, str] = field(default_factory=dict)
    """Artifact path → the commit file it is made from."""


def declared_range(context: CompareContext) -> str | None:
    """The dual-publish range the package (or the monorepo root) declares in devDependencies, or None."""
    manifests = [context.manifest.data if context.manifest else {}]
    if context.subdir:
        manifests.append(normalize.package_json(context.read_source("package.json") or b"{}"))
    for doc in manifests:
        dev = doc.get("devDependencies")
        if isinstance(dev, dict) and isinstance(dev.get(TOOL), str):
            return str(dev[TOOL])
    return None


def _cleaners(manifest: dict[str, Any], context: CompareContext) -> tuple[str | None, ...]:
    """Whether clean-publish stripped comments before dual-publish ran: its `cleanComments` option (from the
    package.json section or a `.clean-publish` JSON file); both ways when the configuration is a script."""
    config = manifest.get("clean-publish")
    if not isinstance(config, dict):
        raw = context.read_source(context.content_root + ".clean-publish")
        config = normalize.package_json(raw) if raw is not None else None
        if config is None and any(context.content_root + name in context.source_files
                                  for name in (".clean-publish.js", ".clean-publish.cjs", ".clean-publish.json")):
            return (None, *CLEANERS)
    return CLEANERS if isinstance(config, dict) and config.get("cleanComments") is True else (None,)


def _source_text(context: CompareContext, path: str) -> str | None:
    raw = context.read_source(context.content_root + path)
    try:
        return raw.decode("utf-8") if raw is not None else None
    except UnicodeDecodeError:
        return None


def plan(context: CompareContext) -> Plan | None:
    """What dual-publish wrote, when the repository publishes through it (once per comparison)."""
    if "dual-publish" not in context.notes:
        spec = declared_range(context)
        modelled = spec is not None and lines_for(spec)  # a range of releases before 1.0.3 only: not explained
        context.notes["dual-publish"] = _plan(context, spec) if spec is not None and modelled else None
    result: Plan | None = context.notes["dual-publish"]
    return result


def _bins(manifest: dict[str, Any]) -> set[str]:
    value = manifest.get("bin")
    targets = [value] if isinstance(value, str) else list(value.values()) if isinstance(value, dict) else []
    return {posixpath.normpath(t) for t in targets if isinstance(t, str)}


def _plan(context: CompareContext, spec: str) -> Plan:
    manifest = context.manifest.data if context.manifest else {}
    bins = _bins(manifest)
    modules = sorted(p for p in context.tree.files if p.endswith(".js") and PROCESSED.search(p) and p not in bins
                     and context.content_root + p in context.source_files)
    out = Plan(spec, lines_for(spec), _cleaners(manifest, context), modules)
    texts = {m: _source_text(context, m) for m in modules}

    def code(module: str, variant: Callable[[str], str]) -> Maker:
        """Module text: every modelled release rewrites it alike, so it is computed once per cleaner."""
        made: dict[str | None, bytes | None] = {}

        def make(cleaner: str | None, _line: Line) -> bytes | None:
            text = texts[module]
            if cleaner not in made:
                try:
                    made[cleaner] = None if text is None else variant(
                        clean_comments(text, cleaner) if cleaner else text).encode("utf-8")
                except Unsupported:
                    made[cleaner] = None
            return made[cleaner]
        return make

    first = out.cleaners[0]
    env_targets = _env_targets(modules, {m: clean_comments(t, first) if first and t else t for m, t in texts.items()})
    for module in modules:
        out.makers[module] = code(module, to_esm)
        out.origin[module] = module
        if module.endswith(".native.js"):
            continue
        twin = module[:-3] + ".cjs"
        out.makers[twin], out.origin[twin] = code(module, to_cjs), module
        if module in env_targets:
            for name, production in (("index.prod.js", True), ("index.dev.js", False)):
                path = posixpath.join(posixpath.dirname(module), name)
                out.makers[path] = code(module, _env_build(production))
                out.origin[path] = module
        if module.endswith(".browser.js"):
            continue
        folder = posixpath.dirname(module)
        if folder:
            pkg_path = folder + "/package.json"
            out.makers[pkg_path] = _package_maker(context, module, modules, env_targets)
            out.origin[pkg_path] = module
        if any(line.types == "typed" for line in out.lines):
            _types_copy(context, folder, out)
    return out


def _env_build(production: bool) -> Callable[[str], str]:
    """index.prod.js (production) or index.dev.js: the ES module with its NODE_ENV tests decided."""
    return lambda text: env_variant(to_esm(text), production)


def _env_targets(modules: list[str], texts: dict[str, str | None]) -> set[str]:
    """findEnvTargets: the browser modules, and the `index.js` of directories without one, whose text (as
    clean-publish left it: the first cleaner variant's) tests NODE_ENV."""
    browser_dirs = {posixpath.dirname(m) for m in modules if m.endswith("index.browser.js")}
    return {m for m in modules if (m.endswith("index.browser.js") or (m.endswith("index.js")
            and posixpath.dirname(m) not in browser_dirs)) and has_env_condition(texts[m] or "")}


def _package_maker(context: CompareContext, module: str, modules: list[str], env_targets: set[str]) -> Maker:
    """A directory's package.json: the commit's (or an empty one) with replacePackage's fields, as
    `JSON.stringify(pkg, null, 2)` writes it."""
    folder = posixpath.dirname(module)
    raw = context.read_source(context.content_root + folder + "/package.json")
    base = normalize.package_json(raw) if raw is not None else {}

    def make(_cleaner: str | None, line: Line) -> bytes | None:
        if raw is not None and not base:
            return None
        doc = replace_package(copy.deepcopy(base), module, modules, env_targets, line)
        return None if doc is None else stringify(doc)
    return make


def _types_copy(context: CompareContext, folder: str, out: Plan) -> None:
    """cloneTypesFile (dual-publish 4): the `types` file of a directory's pre-existing package.json, copied to
    `.d.cts`."""
    pkg_path = posixpath.join(folder, "package.json")
    raw = context.read_source(context.content_root + pkg_path)
    types = normalize.package_json(raw).get("types") if raw is not None else None
    if not isinstance(types, str) or not types.endswith(".d.ts"):
        return
    target = posixpath.normpath(posixpath.join(folder, types))
    if target.startswith("../"):
        return
    data = context.read_source(context.content_root + target)
    out.makers[target[:-5] + ".d.cts"] = lambda _cleaner, line: data if line.types == "typed" else None
    out.origin[target[:-5] + ".d.cts"] = target


def _root_package(data: bytes, source: bytes, found: Plan) -> Comparison:
    published, src = normalize.package_json(data), normalize.package_json(source)
    env_targets = {found.origin[m] for m in found.makers if m.endswith("index.prod.js")}
    line = next((line for line in found.lines if published and entry_fields_match(
        published, replace_package(copy.deepcopy(src), "index.js", found.modules, env_targets, line) or {})), None)
    if line is None:
        plain = cleaned.compare_package_json(data, source)
        return Comparison(plain.result, (*plain.findings, Finding(
            Severity.HIGH, "OSP114", "package.json",
            f"the repository publishes through dual-publish, but the package.json's {', '.join(ENTRY_FIELDS)} "
            "are not what it writes from the repository's package.json and the processed modules")))
    restored = {k: v for k, v in published.items() if k not in ENTRY_FIELDS}
    restored.update({k: src[k] for k in ENTRY_FIELDS if k in src})
    inner = cleaned.compare_package_json(json.dumps(restored).encode(), source)
    reason = (f"{', '.join(ENTRY_FIELDS)} exactly as dual-publish {line.version} writes them "
              f"({len(found.modules)} processed module(s)); otherwise {inner.result.reason}")
    return Comparison(FileResult("package.json", inner.result.status, "package.json", reason), inner.findings)


def explain(path: str, data: bytes, source: bytes | None, context: CompareContext) -> Comparison | None:
    """The verdict on a file dual-publish writes (root package.json included), or None for any other file
    or a package not published through dual-publish."""
    found = plan(context)
    if found is None:
        return None
    if path == "package.json":  # dual-publish writes the root one only when it processes the root index.js
        return _root_package(data, source, found) if source is not None and "index.js" in found.modules else None
    maker = found.makers.get(path)
    if maker is None:
        return None
    origin = context.content_root + found.origin[path]
    for cleaner, line in itertools.product(found.cleaners, found.lines):
        if maker(cleaner, line) == data:
            how = f", after {cleaner}'s comment stripping" if cleaner and origin.endswith(".js") else ""
            who = f"dual-publish {line.version}" if path.endswith(("package.json", ".d.cts")) else "dual-publish"
            why = (f"written by {who} (the repository asks for {found.range}) from the commit's {origin}{how}; "
                   "re-derived here and byte-identical")
            return Comparison(FileResult(path, FileStatus.GENERATED, origin, why),
                              (Finding(Severity.INFO, "OSP203", path, why),))
    rule = "OSP114" if path.endswith("package.json") else "OSP101" if source is not None else "OSP102"
    status = FileStatus.MODIFIED if source is not None else FileStatus.UNEXPLAINED
    why = (f"the repository publishes through dual-publish, which writes this file from {origin}, "
           "but the published one is not what it writes (added or changed code?)")
    return Comparison(FileResult(path, status, origin, why), (Finding(Severity.HIGH, rule, path, why),))


def comparable_files(tree: PackageTree) -> dict[str, bytes]:
    """The tarball's files less what dual-publish writes beside the sources (`.cjs` twins, per-directory
    package.json files, `.d.cts` copies, dev/prod variants), when its root package.json has dual-publish's
    shape: those files are in no commit of such a repository but may be in a later one that commits the
    dual package by hand, and would pull the locator there."""
    files = {p: f.data for p, f in tree.files.items()}
    root = normalize.package_json(files.get("package.json", b"{}"))
    if not (root.get("type") == "module" and root.get("main") == "index.cjs" and root.get("module") == "index.js"):
        return files
    generated = set()
    for path in files:
        folder = posixpath.dirname(path)
        index = posixpath.join(folder, "index.js")
        if index not in files:
            continue
        name = posixpath.basename(path)
        if (path.endswith(".cjs") and path[:-4] + ".js" in files) or path.endswith(".d.cts") \
                or name in ("index.dev.js", "index.prod.js") or (folder and name == "package.json"):
            generated.add(path)
    return {p: d for p, d in files.items() if p not in generated}
