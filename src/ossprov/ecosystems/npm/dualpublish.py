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
import json
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ossprov.ecosystems.interface import CompareContext, Comparison
from ossprov.ecosystems.npm import cleaned, normalize
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
PROCESSED = re.compile(r"(^|/)index(\.browser|\.native)?\.js")
"""The files dual-publish rewrites (its filter, unanchored at the end as there)."""
ENTRY_FIELDS = ("type", "main", "module", "react-native", "browser", "exports")
"""The root package.json fields dual-publish sets."""
STYLE_FIELDS = ("style", "styl", "sass", "less")
GENERATION = {"types-last": "dual-publish 1-2", "types-first": "dual-publish 3", "typed": "dual-publish 4"}
"""How each line of dual-publish writes `types` into `exports` (the only difference in what they write)."""


@dataclass
class Plan:
    """What dual-publish wrote for this package: each file it makes, as a function giving its bytes."""

    range: str
    generations: tuple[str, ...]
    cleaners: tuple[str | None, ...]
    modules: list[str]
    """Processed modules (artifact paths), in path order."""
    makers: dict[str, Callable[[str | None], bytes | None]] = field(default_factory=dict)
    """Artifact path → a function of the cleaner variant giving what dual-publish writes there (None: cannot)."""
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


def _generations(spec: str) -> tuple[str, ...]:
    """The dual-publish lines a devDependencies range allows (every line when the range names no major)."""
    m = re.match(r"\s*[\^~>=v]*\s*(\d+)", spec)
    if m is None:
        return tuple(GENERATION)
    major = int(m.group(1))
    return ("types-last",) if major <= 2 else ("types-first",) if major == 3 else ("typed",)


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
        context.notes["dual-publish"] = _plan(context, spec) if spec is not None else None
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
    out = Plan(spec, _generations(spec), _cleaners(manifest, context), modules)
    texts = {m: _source_text(context, m) for m in modules}

    def code(module: str, variant: Callable[[str], str]) -> Callable[[str | None], bytes | None]:
        def make(cleaner: str | None) -> bytes | None:
            text = texts[module]
            if text is None:
                return None
            try:
                return variant(clean_comments(text, cleaner) if cleaner else text).encode("utf-8")
            except Unsupported:
                return None
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
                out.makers[path] = code(module, lambda t, p=production: env_variant(to_esm(t), p))  # type: ignore[misc]
                out.origin[path] = module
        if module.endswith(".browser.js"):
            continue
        folder = posixpath.dirname(module)
        if folder:
            pkg_path = folder + "/package.json"
            out.makers[pkg_path] = _package_maker(context, module, modules, env_targets)
            out.origin[pkg_path] = module
        if "typed" in out.generations:
            _types_copy(context, folder, out)
    return out


def _env_targets(modules: list[str], texts: dict[str, str | None]) -> set[str]:
    """findEnvTargets: the browser modules, and the `index.js` of directories without one, whose text (as
    clean-publish left it: the first cleaner variant's) tests NODE_ENV."""
    browser_dirs = {posixpath.dirname(m) for m in modules if m.endswith("index.browser.js")}
    return {m for m in modules if (m.endswith("index.browser.js") or (m.endswith("index.js")
            and posixpath.dirname(m) not in browser_dirs)) and has_env_condition(texts[m] or "")}


def _package_maker(context: CompareContext, module: str, modules: list[str],
                   env_targets: set[str]) -> Callable[[str | None], bytes | None]:
    """A directory's package.json: the commit's (or an empty one) with replacePackage's fields, as
    `JSON.stringify(pkg, null, 2)` writes it (no `exports` there, so every dual-publish line writes the same)."""
    folder = posixpath.dirname(module)
    raw = context.read_source(context.content_root + folder + "/package.json")
    base = normalize.package_json(raw) if raw is not None else {}

    def make(_cleaner: str | None) -> bytes | None:
        if raw is not None and not base:
            return None
        doc = replace_package(copy.deepcopy(base), module, modules, env_targets, "typed")
        return None if doc is None else _stringify(doc)
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
    out.makers[target[:-5] + ".d.cts"] = lambda _cleaner: data
    out.origin[target[:-5] + ".d.cts"] = target


def _stringify(doc: Any) -> bytes | None:
    """`JSON.stringify(doc, null, 2)`, or None for values JavaScript would print otherwise (floats, big ints)."""
    def plain(value: Any) -> bool:
        if isinstance(value, dict):
            return all(plain(v) for v in value.values())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return not isinstance(value, float) and not (isinstance(value, int) and abs(value) > 2 ** 53)
    if not plain(doc):
        return None
    return json.dumps(doc, indent=2, ensure_ascii=False).encode("utf-8")


def replace_package(pkg: dict[str, Any], module: str, modules: list[str], env_targets: set[str],
                    generation: str) -> dict[str, Any] | None:
    """replacePackage: the fields dual-publish sets in `module`'s directory's package.json (the root one
    gets `exports`); None where it would fail (a `browser` that is not an object)."""
    folder = posixpath.dirname(module)
    pkg["type"], pkg["main"], pkg["module"], pkg["react-native"] = "module", "index.cjs", "index.js", "index.js"
    if module[:-3] + ".browser.js" in modules:
        if not pkg.get("browser"):
            pkg["browser"] = {}
        if not isinstance(pkg["browser"], dict):
            return None
        pkg["browser"]["./index.js"], pkg["browser"]["./index.cjs"] = "./index.browser.js", "./index.browser.cjs"
    if module[:-3] + ".native.js" in modules:
        pkg["react-native"] = {"./index.js": "./index.native.js"}
    if module != "index.js" or folder:
        return pkg
    if not pkg.get("browser"):
        pkg["browser"] = {}
    if not isinstance(pkg["browser"], dict):
        return None
    exports: dict[str, Any] = {".": {}}
    pkg["exports"] = exports
    styles = (("types",) if generation == "types-first" else ()) + STYLE_FIELDS
    _style_entries(pkg, exports, styles)
    types = pkg.get("types")
    for item in modules:
        if item.endswith((".browser.js", ".native.js")):
            continue
        path = "." if item == "index.js" else "./" + posixpath.dirname(item)
        exports[path + "/package.json"] = path + "/package.json"
        entry = exports.setdefault(path, {})
        if item in env_targets or item[:-3] + ".browser.js" in env_targets:
            entry["browser"] = {"development": path + "/index.dev.js", "production": path + "/index.prod.js",
                                "default": path + "/index.prod.js"}
        elif item[:-3] + ".browser.js" in modules:
            entry["browser"] = path + "/index.browser.js"
        cjs, esm = path + "/index.cjs", path + "/index.js"
        if generation == "typed" and isinstance(types, str) and types.endswith(".d.ts"):
            entry["require"] = {"types": types[:-5] + ".d.cts", "default": cjs}
            entry["import"] = {"types": types, "default": esm}
        else:
            entry["require"], entry["import"] = cjs, esm
        entry["default"] = esm
    if generation == "types-last":
        _style_entries(pkg, exports, ("types", *STYLE_FIELDS))
    if not pkg["browser"]:
        del pkg["browser"]
    return pkg


def _style_entries(pkg: dict[str, Any], exports: dict[str, Any], fields: tuple[str, ...]) -> None:
    for name in fields:
        value = pkg.get(name)
        if value:
            exports[value] = value
            exports["."][name] = value


def _ordered(value: Any) -> Any:
    """A JSON value whose objects compare with their key order (the order of `exports` conditions decides)."""
    if isinstance(value, dict):
        return [(k, _ordered(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_ordered(v) for v in value]
    return value


def _entry_fields_match(published: dict[str, Any], expected: dict[str, Any]) -> bool:
    for name in ENTRY_FIELDS:
        mine, theirs = expected.get(name), published.get(name)
        if name == "exports" and isinstance(mine, dict) and isinstance(theirs, dict):
            if {k: _ordered(v) for k, v in mine.items()} != {k: _ordered(v) for k, v in theirs.items()}:
                return False
        elif _ordered(mine) != _ordered(theirs):
            return False
    return True


def _root_package(data: bytes, source: bytes, found: Plan) -> Comparison:
    published, src = normalize.package_json(data), normalize.package_json(source)
    generation = None
    if published:
        envs = {m for m in found.makers if m.endswith("index.prod.js")}
        env_targets = {found.origin[m] for m in envs}
        for candidate in found.generations:
            expected = replace_package(copy.deepcopy(src), "index.js", found.modules, env_targets, candidate)
            if expected is not None and _entry_fields_match(published, expected):
                generation = candidate
                break
    if generation is None:
        plain = cleaned.compare_package_json(data, source)
        return Comparison(plain.result, (*plain.findings, Finding(
            Severity.HIGH, "OSP114", "package.json",
            f"the repository publishes through dual-publish, but the package.json's {', '.join(ENTRY_FIELDS)} "
            "are not what it writes from the repository's package.json and the processed modules")))
    restored = {k: v for k, v in published.items() if k not in ENTRY_FIELDS}
    restored.update({k: src[k] for k in ENTRY_FIELDS if k in src})
    inner = cleaned.compare_package_json(json.dumps(restored).encode(), source)
    reason = (f"{', '.join(ENTRY_FIELDS)} exactly as {GENERATION[generation]} writes them "
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
    for cleaner in found.cleaners:
        if maker(cleaner) == data:
            how = f", after {cleaner}'s comment stripping" if cleaner and origin.endswith(".js") else ""
            why = (f"written by dual-publish ({found.range}) from the commit's {origin}{how}; "
                   "re-derived here and byte-identical")
            return Comparison(FileResult(path, FileStatus.GENERATED, origin, why), (Finding(Severity.INFO, "OSP203", path, why),))
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
