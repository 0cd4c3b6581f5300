"""Sphinx HTML output shipped inside an artifact (Python sdists that build their documentation into the archive,
as SQLAlchemy's does; packages of any ecosystem with a built docs site), vouched for file by file.

Nothing here vouches for a directory because it is called `doc/`. A directory is Sphinx output of this commit
only when its `searchindex.js` is what Sphinx writes (one `Search.setIndex(...)` call whose argument is JSON data)
and every document it indexes has its source file at the commit, in a directory holding the project's `conf.py`.
Within such a build:

- `searchindex.js` and `_static/documentation_options.js` are vouched for by their content: data only (JSON, an
  object of literals), no code; `.buildinfo` by its format (Sphinx's config and tags hashes, nothing else);
- a `_static/` file identical to a static file of the releases that write such output (Sphinx at the version the
  pages name, the extensions the commit pins; the ecosystem fetches them from its registry), or a stylesheet that
  is one of their `.css_t` templates with its placeholders filled, is vouched for by that file (OSP203, info);
  a script named as one of theirs that differs from all of them is not theirs (OSP102, high);
- a loaded file whose CRC-32 is not the checksum the pages give it (Sphinx 7.1+ appends `?v=<crc32>`) was
  changed after the build (OSP102, high, for a script);
- any other `_static/` script or stylesheet the build's pages load (`<script src>`, `<link href>`) is vouched
  for only where the ecosystem says that part of the artifact is never installed (an sdist's `doc/` outside what
  its build puts in the wheel): a medium OSP206 finding, never silence. Anywhere else it keeps its high finding.

A script under the output directory that no page loads and no release at hand holds, or one the pages load in an
installed part, stays an unexplained code file (OSP102, high); so does a `searchindex.js` or
`documentation_options.js` holding code.
"""

from __future__ import annotations

import json
import posixpath
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from ossprov.ecosystems.common import is_code
from ossprov.ecosystems.interface import CompareContext, Comparison
from ossprov.model import FileResult, FileStatus, Finding, Severity

SEARCH_INDEX = "searchindex.js"
OPTIONS = "_static/documentation_options.js"
_SET_INDEX = re.compile(r"\A\s*Search\.setIndex\((.*)\)\s*;?\s*\Z", re.S)
_OPTIONS = re.compile(r"\A\s*(?:var|const|let)\s+DOCUMENTATION_OPTIONS\s*=\s*\{(.*)\}\s*;?\s*\Z", re.S)
_LITERAL = r"""(?:'[^'\\\n]*'|"[^"\\\n]*"|true|false|null|-?\d+(?:\.\d+)?)"""
_OPTION = re.compile(rf"\s*[A-Za-z_][A-Za-z0-9_]*\s*:\s*{_LITERAL}\s*")
_BUILDINFO = re.compile(r"\A# Sphinx build info version \d+\n(?:#[^\n]*\n)*(?:\n)*config: [0-9a-f]{32}\ntags: "
                        r"[0-9a-f]{32}\n?\Z")
_TAG = re.compile(rb"<(?:script|link)\b([^>]{0,4096}+)", re.I)
"""A `<script>` or `<link>` tag's attributes, bounded: an unbounded span from every `<script` of a page that
never closes it would make reading a hostile page quadratic."""
_LOADED = re.compile(rb"""\b(?:src|href)\s*=\s*["']([^"'?#]+)(?:\?v=([0-9a-f]{8}))?""", re.I)
"""A script or stylesheet a tag loads, with the checksum Sphinx 7.1+ appends (`?v=`, the file's CRC-32)."""
SOURCE_SUFFIXES = (".rst", ".txt", ".md")
MAX_INDEX_BYTES = 64 * 1024 * 1024
MAX_TEMPLATE_BYTES = 1024 * 1024
_VERSION = re.compile(rb"Sphinx</a>\s*v?(\d+\.\d+(?:\.\d+)?)|Sphinx\s+v?(\d+\.\d+(?:\.\d+)?)\s*</a>")
_META = re.compile(rb"<meta\b([^>]{0,4096}+)", re.I)
_META_VERSION = re.compile(rb"""content=["']Sphinx\s+(\d+\.\d+(?:\.\d+)?)""")
"""The version a page's `<meta name="generator">` names (its attributes read apart, bounded as `_TAG`)."""
Reference = dict[str, list[tuple[str, bytes]]]
"""File name → (where it comes from, its bytes) for each static file of the releases that write Sphinx output."""


@dataclass(frozen=True)
class SphinxBuild:
    """One Sphinx HTML output directory of the artifact and what ties it to the commit."""

    out_dir: str
    """The artifact directory holding `searchindex.js` ("" or ending in "/")."""
    source_dir: str
    """The repository directory with `conf.py` and a source file for every indexed document."""
    documents: int
    loaded: dict[str, frozenset[str]]
    """Artifact paths the build's pages load as scripts or stylesheets → the checksums the pages give them."""
    sphinx_version: str | None
    """The Sphinx version the pages say made them (what to compare Sphinx's own static files with)."""


def _docnames(data: bytes) -> list[str] | None:
    """The documents a Sphinx search index lists, or None when the file is not data only."""
    if len(data) > MAX_INDEX_BYTES:
        return None
    match = _SET_INDEX.match(data.decode("utf-8", "replace"))
    if not match:
        return None
    try:
        index = json.loads(match.group(1))
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes (hostile input)
        return None
    names = index.get("docnames") if isinstance(index, dict) else None
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        return None
    return names


def _source_dir(docnames: list[str], source_files: dict[str, str]) -> str | None:
    """The repository directory with `conf.py` holding a source file for every document, if there is one."""
    for conf in sorted(p for p in source_files if posixpath.basename(p) == "conf.py"):
        root = conf[: -len("conf.py")]
        if all(any(root + name + s in source_files for s in SOURCE_SUFFIXES) for name in docnames):
            return root
    return None


def _pages(out_dir: str, context: CompareContext) -> tuple[dict[str, frozenset[str]], str | None]:
    """What the build's pages load as scripts or stylesheets (with the checksums they give), and the Sphinx
    version they name."""
    found: dict[str, set[str]] = {}
    versions: set[str] = set()
    for path, f in context.tree.files.items():
        if path.startswith(out_dir) and path.endswith((".html", ".htm")):
            page_dir = posixpath.dirname(path)
            for ref, checksum in (m.groups() for tag in _TAG.finditer(f.data)
                                  if (m := _LOADED.search(tag.group(1)))):
                target = ref.decode("utf-8", "replace")
                if "://" not in target and not target.startswith("/"):
                    sums = found.setdefault(posixpath.normpath(posixpath.join(page_dir, target)), set())
                    sums.update([checksum.decode()] if checksum else [])
            versions.update(next(v for v in m if v).decode() for m in _VERSION.findall(f.data))
            versions.update(m.group(1).decode() for tag in _META.finditer(f.data)
                            if (m := _META_VERSION.search(tag.group(1))))
    return {p: frozenset(c) for p, c in found.items()}, versions.pop() if len(versions) == 1 else None


def builds(context: CompareContext) -> dict[str, SphinxBuild]:
    """The artifact's Sphinx output directories tied to the commit (computed once per comparison)."""
    if "sphinx" in context.notes:
        return context.notes["sphinx"]
    found = {}
    for path, f in context.tree.files.items():
        if posixpath.basename(path) != SEARCH_INDEX:
            continue
        out_dir = path[: -len(SEARCH_INDEX)]
        names = _docnames(f.data)
        source_dir = _source_dir(names, context.source_files) if names else None
        if names and source_dir is not None:
            found[out_dir] = SphinxBuild(out_dir, source_dir, len(names), *_pages(out_dir, context))
    context.notes["sphinx"] = found
    return found


def _build_of(path: str, context: CompareContext) -> SphinxBuild | None:
    return next((b for d, b in builds(context).items() if path.startswith(d)), None)


def _literal_options(data: bytes) -> bool:
    match = _OPTIONS.match(data.decode("utf-8", "replace"))
    if not match:
        return False
    items = [i for i in match.group(1).split(",") if i.strip()]
    return bool(items) and all(_OPTION.fullmatch(i) for i in items)


def _template_matches(template: bytes, data: bytes) -> bool:
    """Whether a stylesheet is its Sphinx `.css_t` template rendered: the template's text with each `{{ ... }}`
    placeholder filled by one CSS value (templates with `{% ... %}` logic are not matched)."""
    text = template.decode("utf-8", "replace")
    if "{%" in text or len(data) > MAX_TEMPLATE_BYTES:
        return False
    parts = re.split(r"\{\{.*?\}\}", text)
    pattern = "[^;{}<>\n]{0,200}".join(re.escape(p) for p in parts)
    rendered = data.decode("utf-8", "replace")
    return any(re.fullmatch(pattern, r) for r in (rendered, rendered + "\n"))  # Jinja drops the final newline


def _vouched(path: str, why: str) -> Comparison:
    return Comparison(FileResult(path, FileStatus.GENERATED, None, why), (Finding(Severity.INFO, "OSP203", path, why),))


def _against_reference(path: str, rel: str, data: bytes, reference: Reference) -> Comparison | None:
    """The file judged by the releases that wrote such files: identical to one (or its `.css_t` template
    rendered) is vouched for; a script named as one of theirs but differing from all is not theirs."""
    name = posixpath.basename(rel)
    for origin, content in reference.get(name, []):
        if content == data:
            why = f"identical to {origin}, as the registry serves it"
            return _vouched(path, why)
    for origin, content in reference.get(name + "_t", []) if name.endswith(".css") else []:
        if _template_matches(content, data):
            why = f"{origin} rendered (its placeholders filled with CSS values), as the registry serves it"
            return _vouched(path, why)
    if name in reference and is_code(path):
        origins = ", ".join(o for o, _ in reference[name])
        why = f"differs from {origins}, whose file of that name the build copies"
        return Comparison(FileResult(path, FileStatus.UNEXPLAINED, None, why),
                          (Finding(Severity.HIGH, "OSP102", path, f"Sphinx static script {why}"),))
    return None


def explain(path: str, data: bytes, context: CompareContext, installed: Callable[[str], bool],
            reference: Callable[[SphinxBuild], Reference]) -> Comparison | None:
    """Why `path`, absent from the commit, is Sphinx output of the commit's documentation (None: it is not
    shown to be). The ecosystem knows the rest: `installed(path)`, whether an install of the artifact may put
    the file on the machine; `reference(build)`, the static files of the releases that wrote the build (Sphinx,
    its extensions and theme as the registry serves them), by file name."""
    build = _build_of(path, context)
    if build is None:
        return None
    rel = path[len(build.out_dir):]
    origin = (f"Sphinx HTML output of the {build.documents} documents of {build.source_dir or './'} "
              "(each a source file at the commit, beside its conf.py)")
    why = None
    if rel == SEARCH_INDEX:
        why = f"search index of the {origin}; data only: one Search.setIndex call with a JSON argument"
    elif rel == OPTIONS and _literal_options(data):
        why = f"documentation options of the {origin}; data only: an object of literal settings"
    elif rel == ".buildinfo" and _BUILDINFO.match(data.decode("utf-8", "replace")):
        why = f"build info of the {origin}: Sphinx's config and tags hashes"
    if why:
        return _vouched(path, why)
    if not rel.startswith("_static/") or rel == OPTIONS:
        return None
    judged = _against_reference(path, rel, data, reference(build))
    if judged is not None:
        return judged
    checksums = build.loaded.get(path)
    if checksums and f"{zlib.crc32(data):08x}" not in checksums:
        why = f"its CRC-32 is not the {', '.join(sorted(checksums))} the pages of the {origin} give it: changed after the build"
        return Comparison(FileResult(path, FileStatus.UNEXPLAINED, None, why),
                          (Finding(Severity.HIGH if is_code(path) else Severity.MEDIUM,
                                   "OSP102" if is_code(path) else "OSP103", path, why),))
    if checksums is not None and not installed(path):
        why = (f"static file loaded by the pages of the {origin}"
               + (" (its CRC-32 the one they give it, a consistency check, not a cryptographic one)" if checksums else "")
               + "; in a part of the artifact no install puts on the machine; its content matches no file of the "
               "Sphinx, extension or theme releases at hand")
        return Comparison(FileResult(path, FileStatus.UNEXPLAINED, None, why),
                          (Finding(Severity.MEDIUM, "OSP206", path, why),))
    return None
