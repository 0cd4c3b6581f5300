"""Build output that is not in the repository: when it is explained, and what static checks can say about it.

A file absent from the source is only `generated` when the project has a build (a build script, a compiler
or bundler config) and the file looks like that build's output. Static comparison cannot prove such a file
faithful, but it can catch the common injections:

- every module a generated file loads (`require("x")`, `import ... from "x"`) must be named somewhere in
  the source (or in the embedded sources of its source map): injected code loading `child_process` or a new
  dependency is caught even inside a minified bundle;
- a source map's `sourcesContent` must equal the repository files it names, and the generated file must be
  consistent with the map (`ossprov.ecosystems.npm.sourcemap`: all code mapped, mapped code made of its source's
  words); then, when the bundle loads nothing the sources don't, the map vouches for the file. Code the map
  does not account for is high (OSP123); generated code without a map stays medium until a rebuild.
"""

from __future__ import annotations

import itertools
import json
import os
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from ossprov.ecosystems.interface import CompareContext, Comparison
from ossprov.ecosystems.npm import sourcemap
from ossprov.model import FileResult, FileStatus, Finding, Severity

JS_OUTPUT = (".js", ".mjs", ".cjs", ".jsx")
DECLARATIONS = (".d.ts", ".d.mts", ".d.cts", ".d.ts.map")
OUTPUT_DIRS = frozenset({"dist", "lib", "build", "es", "esm", "cjs", "umd", "out", "bundle", "bundles", "min",
                         "module", "commonjs", "types", "typings", "compiled"})
SOURCE_DIRS = frozenset({"src", "source", "lib", "ts", "mjs", "commonjs", "node"})
SOURCE_EXTS = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs", ".coffee", ".vue", ".svelte")
BUILD_CONFIGS = ("tsconfig.json", "tsconfig.build.json", "tsconfig.base.json", "babel.config.js", "babel.config.json",
                 "babel.config.mjs", "babel.config.cjs", ".babelrc", "rollup.config.js", "rollup.config.mjs",
                 "rollup.config.cjs", "rollup.config.ts", "webpack.config.js", "vite.config.ts", "vite.config.js",
                 "esbuild.config.js", "tsup.config.ts", "gulpfile.js", "Gulpfile.js", "Gulpfile.mjs",
                 "gulpfile.mjs", "Gruntfile.js")
_SPECIFIER = re.compile(
    r"""(?<![\w$.'"`])(?:require\s*\(\s*|import\s*\(\s*|from\s*|import\s+)(['"])([\w@./:+~-]{1,200})\1""")
"""`require("x")`, `import("x")`, `from "x"`, `import "x"`: the keyword not itself a string (`"from"`) or a
property (`e.from`), and the specifier shaped like one (a package name, a path, `node:x`). Minified bundles are
full of `"from"` and `"import"` string literals; read loosely they "load" whatever text follows the next quote."""
MAX_CORPUS_BYTES = 64 * 1024 * 1024
NODE_BUILTIN_PREFIX = "node:"


def module_specifiers(text: str) -> set[str]:
    """Module names a piece of JavaScript loads."""
    return {m.group(2) for m in _SPECIFIER.finditer(text)}


def _stem(path: str) -> str:
    name = posixpath.basename(path)
    for ext in (".d.ts", ".d.mts", ".d.cts", ".min.js", *SOURCE_EXTS, ".map"):
        if name.endswith(ext):
            return name[: -len(ext)]
    return posixpath.splitext(name)[0]


def _subdir_files(context: CompareContext) -> list[str]:
    prefix = context.subdir + "/" if context.subdir else ""
    return [p for p in context.source_files if p.startswith(prefix) and "/node_modules/" not in f"/{p}"]


def has_build(context: CompareContext, build_scripts: list[str]) -> str | None:
    """Why we believe the package is built before publishing, or None. Monorepos build from the root, so the
    package's directory and each of its parents are searched for a compiler or bundler configuration."""
    if build_scripts:
        return f"the package has build scripts ({', '.join(build_scripts)})"
    parts = context.subdir.split("/") if context.subdir else []
    for depth in range(len(parts), -1, -1):
        prefix = "/".join(parts[:depth]) + "/" if depth else ""
        for cfg in BUILD_CONFIGS:
            if prefix + cfg in context.source_files:
                return f"the repository has {prefix + cfg}"
    return None


def _module_type_marker(path: str, data: bytes) -> bool:
    """`{"type": "module"}` / `{"type": "commonjs"}` files that dual-format builds (tshy, ...) write into each
    output directory."""
    if posixpath.basename(path) != "package.json" or "/" not in path:
        return False
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return False
    return isinstance(doc, dict) and set(doc) <= {"type"} and doc.get("type") in ("module", "commonjs", None)


def source_corpus(context: CompareContext) -> str:
    """The text of the package's source files (once per comparison): what generated code may mention."""
    if "corpus" not in context.notes:
        paths, total = [], 0
        for path in _subdir_files(context):
            if path.endswith((*SOURCE_EXTS, ".json")):
                paths.append(path)
        texts = []
        for data in context.read_many(paths).values():
            total += len(data)
            if total > MAX_CORPUS_BYTES:
                break
            texts.append(data.decode("utf-8", "replace"))
        context.notes["corpus"] = "\n".join(texts)
    return context.notes["corpus"]


def _declared_dependencies(context: CompareContext) -> set[str]:
    doc = context.manifest.data if context.manifest else {}
    deps: set[str] = set()
    for name in ("dependencies", "peerDependencies", "optionalDependencies", "devDependencies"):
        if isinstance(doc.get(name), dict):
            deps |= set(doc[name])
    return deps


def _package_of(specifier: str) -> str:
    parts = specifier.split("/")
    return "/".join(parts[:2]) if specifier.startswith("@") else parts[0]


def unexplained_modules(text: str, corpus: str, declared: set[str]) -> list[str]:
    """Modules `text` loads that neither the source text nor the declared dependencies account for."""
    missing = []
    for spec in sorted(module_specifiers(text)):
        bare = spec.removeprefix(NODE_BUILTIN_PREFIX)
        if spec.startswith("."):
            stem = _stem(spec.rstrip("/")) or spec
            if stem == "index" or re.search(r"[/'\"]" + re.escape(stem) + r"(\.\w+)?['\"]", corpus):
                continue
        elif _package_of(bare) in declared or re.search(r"['\"](node:)?" + re.escape(bare) + r"['\"]", corpus):
            continue
        missing.append(spec)
    return missing


def _load_map(path: str, data: bytes, context: CompareContext) -> tuple[str, dict[str, Any]] | None:
    candidates = [path + ".map"]
    tail = data[-4096:].decode("utf-8", "replace")
    m = re.search(r"[#@] sourceMappingURL=([^\s'\"]+)", tail)
    if m and not m.group(1).startswith("data:"):
        candidates.insert(0, posixpath.normpath(posixpath.join(posixpath.dirname(path), m.group(1))))
    for candidate in candidates:
        f = context.tree.files.get(candidate)
        if f is not None:
            try:
                doc = json.loads(f.data)
            except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
                return None
            return (candidate, doc) if isinstance(doc, dict) else None
    return None


@dataclass
class MapSources:
    """What a source map's `sources` are at the commit."""

    matched: int = 0
    differ: list[str] = field(default_factory=list)
    """Repository paths whose embedded `sourcesContent` differs from the repository."""
    embedded: str = ""
    """The embedded sources' text (what the generated code may mention)."""
    verified: dict[str, str] = field(default_factory=dict)
    """Each source as the map names it (sourceRoot applied) → the repository's text of it."""


def _below(path: str, dirs: frozenset[str]) -> str:
    """The path without its extension and its leading directories named in `dirs` (`dist/cjs/a/b.js` → `a/b`)."""
    parts = _stem_path(path).split("/")
    while len(parts) > 1 and parts[0] in dirs:
        parts.pop(0)
    return "/".join(parts)


def _stem_path(path: str) -> str:
    return posixpath.join(posixpath.dirname(path), _stem(path))


def best_source(output: str, candidates: list[str], context: CompareContext) -> str | None:
    """The source file a build output comes from when several of that name exist (a repository may carry a
    second copy of its sources, such as a `deno/` tree): the one whose path below its source directory is the
    output's path below its output directory, then one under the package's `src/`, then the shortest path."""
    prefix = context.subdir + "/" if context.subdir else ""
    tail = _below(output, OUTPUT_DIRS | SOURCE_DIRS)

    def rank(candidate: str) -> tuple[int, int, int, str]:
        rel = candidate[len(prefix):] if candidate.startswith(prefix) else candidate
        return (0 if _below(rel, SOURCE_DIRS) == tail else 1, 0 if rel.startswith("src/") else 1, rel.count("/"),
                rel)

    return min(candidates, key=rank, default=None)


def _repo_path(src: str, map_path: str, by_name: dict[str, list[str]], context: CompareContext) -> str | None:
    clean = re.sub(r"^[a-z]+://(/?[^/]*/)?", "", src).lstrip("./")
    base = posixpath.normpath(posixpath.join(context.content_root + posixpath.dirname(map_path), src))
    for option in (base, (context.subdir + "/" if context.subdir else "") + clean):
        if option in context.source_files:
            return option
    return best_source(map_path, by_name.get(posixpath.basename(clean), []), context)


def check_source_map(map_path: str, doc: dict[str, Any], context: CompareContext) -> MapSources:
    """Find each source the map names in the repository and compare its embedded content with it; a source
    without embedded content is taken from the repository."""
    sources, contents = doc.get("sources") or [], doc.get("sourcesContent") or []
    root = doc.get("sourceRoot")
    if not isinstance(sources, list) or not isinstance(contents, list):
        return MapSources()
    by_name: dict[str, list[str]] = {}
    for repo_path in _subdir_files(context):
        by_name.setdefault(posixpath.basename(repo_path), []).append(repo_path)
    wanted: dict[str, tuple[str, str | None]] = {}
    for src, content in itertools.zip_longest(sources, contents[: len(sources)]):
        if not isinstance(src, str) or "node_modules" in src:
            continue
        found = _repo_path(src, map_path, by_name, context)
        if found:
            named = os.path.join(root, src) if isinstance(root, str) else src
            wanted[named] = (found, content if isinstance(content, str) else None)
    actual = context.read_many({p for p, _ in wanted.values()})
    out = MapSources(embedded="\n".join(c for c in contents if isinstance(c, str)))
    for named, (repo_path, content) in wanted.items():
        text = actual.get(repo_path, b"").decode("utf-8", "replace")
        if content is not None and content != text:
            out.differ.append(repo_path)
            continue
        out.matched += 1
        out.verified[named] = text
    return out


def explain_js_output(path: str, data: bytes, context: CompareContext, build_scripts: list[str]) -> Comparison | None:
    """Explain a JS-ecosystem file that is not in the repository, or None (then it is unexplained)."""
    why_built = has_build(context, build_scripts)
    if why_built is None:
        return None
    top = path.split("/", 1)[0]
    if top in OUTPUT_DIRS and _module_type_marker(path, data):
        return Comparison(FileResult(path, FileStatus.GENERATED, None,
                                     f"module-type marker written by the dual-format build; {why_built}"))
    if not path.endswith((*JS_OUTPUT, *DECLARATIONS, ".map", ".css")):
        return None
    in_output_dir = top in OUTPUT_DIRS
    stem = _stem(path)
    counterpart = best_source(path, [p for p in _subdir_files(context) if _stem(p) == stem
                                     and p.endswith(SOURCE_EXTS)], context)
    if not in_output_dir and counterpart is None:
        return None
    origin = f"compiled from {counterpart}" if counterpart else f"build output in {top}/"
    if path.endswith(DECLARATIONS):
        return Comparison(FileResult(path, FileStatus.GENERATED, counterpart, f"type declarations, {origin}"))
    if path.endswith(".map"):
        return _explain_map(path, data, context, origin)
    if path.endswith(".css"):
        return Comparison(FileResult(path, FileStatus.GENERATED, counterpart, f"{origin}; {why_built}"))
    text = data.decode("utf-8", "replace")
    corpus = source_corpus(context)
    findings: list[Finding] = []
    reason = f"{origin}; {why_built}"
    loaded = _load_map(path, data, context)
    vouched = False
    if loaded is not None:
        map_path, source_map = loaded
        sources = check_source_map(map_path, source_map, context)
        corpus = corpus + "\n" + sources.embedded + "\n" + " ".join(str(n) for n in source_map.get("names") or [])
        if sources.matched and not sources.differ:
            consistency = sourcemap.check(text, context.tree.files[map_path].data.decode("utf-8", "replace"),
                                          sources.verified)
            if consistency.consistent:
                reason += (f"; its source map names {sources.matched} source file(s), all identical to the "
                           f"repository, and {consistency.detail}")
                vouched = True
            elif consistency.unchecked:
                reason += f"; its source map cannot vouch for it: {consistency.detail}"
            else:
                findings.append(Finding(Severity.HIGH, "OSP123", path,
                                        f"generated code is not consistent with its source map {map_path}: "
                                        f"{consistency.detail} (injected code?)"))
    missing = unexplained_modules(text, corpus, _declared_dependencies(context))
    if missing:
        vouched = False
        findings.append(Finding(
            Severity.HIGH, "OSP121", path,
            f"generated file loads {', '.join(missing[:5])}, named nowhere in the repository's source "
            "or the declared dependencies (injected code?)",
        ))
    result = FileResult(path, FileStatus.GENERATED, counterpart, reason)
    return Comparison(result, tuple(findings), ) if findings or not vouched else Comparison(
        result, (Finding(Severity.INFO, "OSP202", path, "generated file vouched for by its source map"),))


def _explain_map(path: str, data: bytes, context: CompareContext, origin: str) -> Comparison:
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return Comparison(FileResult(path, FileStatus.GENERATED, None, f"source map ({origin}); not valid JSON"))
    if not isinstance(doc, dict):
        return Comparison(FileResult(path, FileStatus.GENERATED, None, f"source map ({origin})"))
    sources = check_source_map(path, doc, context)
    findings = tuple(
        Finding(Severity.HIGH, "OSP122", path, f"source map embeds a version of {p} that differs from the repository")
        for p in sources.differ
    )
    reason = f"source map ({origin}); {sources.matched} source(s) identical to the repository"
    return Comparison(FileResult(path, FileStatus.GENERATED, None, reason), findings)
