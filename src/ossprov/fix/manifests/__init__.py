"""Manifest editors by ecosystem, and the choice of which file in a source tree carries the metadata."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ossprov.errors import InputError
from ossprov.fix.manifests.base import ManifestEditor
from ossprov.fix.manifests.cargo import CargoToml
from ossprov.fix.manifests.maven import PomXml
from ossprov.fix.manifests.npm import PackageJson
from ossprov.fix.manifests.nuget import Nuspec, ProjectFile
from ossprov.fix.manifests.pyproject import PyprojectToml
from ossprov.fix.manifests.setupcfg import SetupCfg

EDITORS: dict[str, tuple[tuple[str, ManifestEditor], ...]] = {
    "npm": (("package.json", PackageJson()),),
    "pypi": (("pyproject.toml", PyprojectToml()), ("setup.cfg", SetupCfg())),
    "maven": (("pom.xml", PomXml()),),
    "nuget": ((".nuspec", Nuspec()), (".csproj", ProjectFile()), (".fsproj", ProjectFile()),
              (".vbproj", ProjectFile())),
    "cargo": (("Cargo.toml", CargoToml()),),
}
"""Per ecosystem, in order of preference: a file name (or, starting with a dot, a suffix) and its editor."""
MANUAL_ONLY = {"pypi": "setup.py"}
"""Files that may carry the metadata but are code, so they are never edited automatically."""


@dataclass(frozen=True)
class Choice:
    path: str
    """Repository path of the manifest."""
    text: str
    editor: ManifestEditor | None
    """None when the file must be edited by hand (setup.py)."""


def _matches(pattern: str, path: str, package: str) -> bool:
    base = posixpath.basename(path)
    if not pattern.startswith("."):
        return base == pattern
    return base.lower() == package.lower() + pattern


def choose(ecosystem: str, package: str, paths: Iterable[str], subdir: str,
           read: Callable[[str], bytes]) -> Choice | None:
    """The manifest at `subdir` that carries the package's metadata, or None when there is none.

    NuGet project files are matched by the package id (the file stem), or taken when alone of their kind.
    """
    prefix = subdir.strip("/") + "/" if subdir.strip("/") else ""
    here = sorted(p for p in paths if p.startswith(prefix) and "/" not in p[len(prefix):])

    def text_of(path: str) -> str:
        try:
            return read(path).decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{path} is not UTF-8 text") from None

    for pattern, editor in EDITORS.get(ecosystem, ()):
        found = [p for p in here if _matches(pattern, p, package)]
        if not found and pattern.startswith("."):
            alone = [p for p in here if p.endswith(pattern)]
            found = alone if len(alone) == 1 else []
        if found and editor.carries(text := text_of(found[0])):
            return Choice(found[0], text, editor)
    manual = MANUAL_ONLY.get(ecosystem)
    if manual and prefix + manual in here:
        return Choice(prefix + manual, text_of(prefix + manual), None)
    return None
