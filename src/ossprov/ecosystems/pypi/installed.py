"""Whether a file of a Python artifact ends up on the machine that installs it.

Everything in a wheel does. An sdist is not installed as is: pip builds a wheel from it and installs that, and the
wheel holds what the build backend puts there (the packages, their package data, declared data files). A file
of an sdist is judged never installed only when nothing in the sdist's build configuration can reach it: it is
outside every regular package (no `__init__.py` in its directory or above), the build backend is one whose
wheel holds only packages and what its settings name (setuptools, flit, hatchling, poetry, pdm), and neither
those settings (pyproject.toml's `[tool.<backend>]` tables, setup.cfg's `[options*]` sections) nor setup.py
name the file's top directory or ask for namespace packages that can take it in. Other tools'
settings (a test runner's `norecursedirs = "doc"`) are not the build's. Namespace packages reach a directory
unless setuptools' finder is told to look elsewhere (`where`) or only for names (`include`) it does not match.
Any doubt counts as installed.
"""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from configparser import ConfigParser
from configparser import Error as ConfigError

from ossprov.ecosystems.interface import CompareContext
from ossprov.model import PackageTree

BACKEND_TABLES = {"setuptools": ("setuptools",), "flit_core": ("flit",), "hatchling": ("hatch",),
                  "poetry": ("poetry",), "pdm": ("pdm",)}
"""Build backend (its module's first part) → the `[tool.*]` tables of pyproject.toml that say what its wheel holds."""
_NAMESPACE = re.compile(r"find_namespace|namespace_packages|namespaces\W+true", re.I)


def is_wheel(tree: PackageTree) -> bool:
    return any(p.count("/") == 1 and p.endswith(".dist-info/WHEEL") for p in tree.files)


def _words(value: object) -> list[str]:
    """A setting's list of names, written as a TOML list or as setup.cfg's comma or line separated value."""
    items = value if isinstance(value, list) else re.split(r"[\s,]+", str(value))
    return [str(i).strip() for i in items if str(i).strip()]


def _build_settings(tree: PackageTree) -> tuple[list[str], dict[str, list[str]], bool] | None:
    """The text of every build setting of the sdist, setuptools' package finder settings (`where`,
    `include`) and whether that finder takes in namespace packages, or None when its backend is not one we
    know. pyproject.toml's `[tool.setuptools.packages.find]` does unless it says `namespaces = false` (its
    default, unlike setup.cfg's `find:`)."""
    texts = []
    finder: dict[str, list[str]] = {}
    namespaces = False
    pyproject = tree.files.get("pyproject.toml")
    backend = "setuptools"
    if pyproject is not None:
        try:
            doc = tomllib.loads(pyproject.data.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError):
            return None
        system = doc.get("build-system")
        backend = str(system.get("build-backend", backend)) if isinstance(system, dict) else backend
        tool = doc["tool"] if isinstance(doc.get("tool"), dict) else {}
        tables = BACKEND_TABLES.get(backend.split(".")[0])
        if tables is None:
            return None
        texts += [json.dumps(tool[t]) for t in tables if t in tool]
        packages = tool.get("setuptools", {}).get("packages") if isinstance(tool.get("setuptools"), dict) else None
        find = packages.get("find") if isinstance(packages, dict) else None
        finder.update({k: _words(v) for k, v in (find or {}).items() if k in ("where", "include")})
        namespaces = isinstance(find, dict) and find.get("namespaces", True) is not False
    setup_cfg = tree.files.get("setup.cfg")
    if setup_cfg is not None:
        parser = ConfigParser(interpolation=None)
        try:
            parser.read_string(setup_cfg.data.decode("utf-8"))
        except (ConfigError, UnicodeDecodeError):
            return None
        texts += [json.dumps(dict(parser[s])) for s in parser.sections() if s == "options" or s.startswith("options.")]
        if parser.has_section("options.packages.find"):
            finder.update({k: _words(v) for k, v in parser["options.packages.find"].items() if k in ("where", "include")})
    if "setup.py" in tree.files:
        texts.append(tree.files["setup.py"].data.decode("utf-8", "replace"))
    return texts, finder, namespaces or any(_NAMESPACE.search(t) for t in texts)


def _namespace_finds(top: str, finder: dict[str, list[str]]) -> bool:
    """Whether setuptools' namespace package finder can take in directory `top`: not when it looks in other
    directories (`where`) or only for packages matching `include` patterns that `top` does not match."""
    where = [w.strip("./") for w in finder.get("where", [])]
    if where and all(w and w.split("/")[0] != top for w in where):
        return False
    include = finder.get("include", [])
    return not include or any(fnmatch.fnmatchcase(top, pattern) for pattern in include)


def _names(setting: str, top: str) -> bool:
    """Whether a build setting names directory `top` (a word of its own, not part of a longer name)."""
    return re.search(r"(?<![\w.-])" + re.escape(top) + r"(?![\w-])", setting) is not None


def installed(path: str, context: CompareContext) -> bool:
    """Whether an install of this artifact may put `path` on the machine (see the module's docstring)."""
    if is_wheel(context.tree) or "/" not in path:
        return True
    files = context.tree.files
    parts = path.split("/")[:-1]
    if any("/".join([*parts[:depth], "__init__.py"]) in files for depth in range(1, len(parts) + 1)):
        return True
    settings = _build_settings(context.tree)
    if settings is None:
        return True
    texts, finder, namespaces = settings
    top = parts[0]
    return any(_names(t, top) for t in texts) or (namespaces and _namespace_finds(top, finder))
