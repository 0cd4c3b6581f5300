"""Whether a file of a Python artifact ends up on the machine that installs it.

Everything in a wheel does. An sdist is not installed as is: pip builds a wheel from it and installs that, and the
wheel holds what the build backend puts there (the packages, their package data, declared data files). A file
of an sdist is judged never installed only when nothing in the sdist's build configuration can reach it: it is
outside every regular package (no `__init__.py` in its directory or above), the build backend is one whose
wheel holds only packages and what its settings name (setuptools, flit, hatchling, poetry, pdm), and neither
those settings (pyproject.toml's `[tool.<backend>]` tables, setup.cfg's `[options*]` sections) nor setup.py
name the file's top directory or ask for namespace packages (which take in any directory). Other tools'
settings (a test runner's `norecursedirs = "doc"`) are not the build's. Any doubt counts as installed.
"""

from __future__ import annotations

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


def _build_settings(tree: PackageTree) -> list[str] | None:
    """The text of every build setting of the sdist, or None when its backend is not one we know."""
    texts = []
    pyproject = tree.files.get("pyproject.toml")
    backend = "setuptools"
    if pyproject is not None:
        try:
            doc = tomllib.loads(pyproject.data.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            return None
        system = doc.get("build-system")
        backend = str(system.get("build-backend", backend)) if isinstance(system, dict) else backend
        tool = doc["tool"] if isinstance(doc.get("tool"), dict) else {}
        tables = BACKEND_TABLES.get(backend.split(".")[0])
        if tables is None:
            return None
        texts += [json.dumps(tool[t]) for t in tables if t in tool]
    setup_cfg = tree.files.get("setup.cfg")
    if setup_cfg is not None:
        parser = ConfigParser(interpolation=None)
        try:
            parser.read_string(setup_cfg.data.decode("utf-8"))
        except (ConfigError, UnicodeDecodeError):
            return None
        texts += [json.dumps(dict(parser[s])) for s in parser.sections() if s == "options" or s.startswith("options.")]
    if "setup.py" in tree.files:
        texts.append(tree.files["setup.py"].data.decode("utf-8", "replace"))
    return texts


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
    return settings is None or any(_NAMESPACE.search(s) or _names(s, parts[0]) for s in settings)
