"""The releases that wrote a Sphinx build found in a Python artifact, fetched from the index to compare the
build's static files with (`ossprov.verify.sphinx_output`): Sphinx at the version the build's pages name, and
each documentation requirement the commit pins exactly (`name==version` lines of the `requirements*.txt` files
in the documentation's source directory, as read at the pinned commit, never from the artifact).

Each is the release's pure wheel as the index serves it, its digest checked. A release that cannot be had
(offline, not on the index, no pure wheel, a digest that does not match) adds nothing: the files it would have
vouched for keep the findings they have without it.
"""

from __future__ import annotations

import posixpath

from packageurl import PackageURL
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ossprov.ecosystems.interface import CompareContext, Ecosystem
from ossprov.errors import OssprovError
from ossprov.verify.sphinx_output import Reference, SphinxBuild

STATIC_SUFFIXES = (".js", ".css", ".png", ".svg", ".gif", ".js_t", ".css_t")
"""What Sphinx and its extensions copy into `_static/` (templates end in `_t`)."""


def pinned_requirements(build: SphinxBuild, context: CompareContext) -> list[tuple[str, str]]:
    """(name, version) of each exactly pinned requirement of the documentation's requirements files."""
    files = sorted(p for p in context.source_files if p.startswith(build.source_dir) and "/" not in
                   p[len(build.source_dir):] and posixpath.basename(p).startswith("requirements")
                   and p.endswith(".txt"))
    pins = []
    for data in context.read_many(files).values():
        for line in data.decode("utf-8", "replace").splitlines():
            try:
                req = Requirement(line.split("#", 1)[0].strip())
            except InvalidRequirement:
                continue
            specs = list(req.specifier)
            if len(specs) == 1 and specs[0].operator == "==" and "*" not in specs[0].version and not req.url:
                pins.append((req.name, specs[0].version))
    return pins


def _static_files(index: Ecosystem, name: str, version: str) -> Reference:
    """The static files of one release's pure wheel from `index` (the PyPI plug-in asking), by file name."""
    from ossprov import artifacts

    try:
        release = index.release(PackageURL("pypi", None, name, version))
        wheel = next((a for a in release.artifacts if a.filename.endswith("-none-any.whl")), None)
        if wheel is None:
            return {}
        read = artifacts.read_published(index, wheel, lambda _message: None)
    except OssprovError:
        return {}
    if read.info.digest_ok is not True:
        return {}
    out: Reference = {}
    for path, f in sorted(read.tree.files.items()):
        if path.endswith(STATIC_SUFFIXES) and ".dist-info/" not in path:
            out.setdefault(posixpath.basename(path), []).append((f"{path} of {name} {version}", f.data))
    return out


def reference(index: Ecosystem, build: SphinxBuild, context: CompareContext) -> Reference:
    """The static files of Sphinx at the pages' version and of the pinned documentation requirements (fetched
    once per comparison). No release of the project under verification counts (its docs pinning itself, or
    Sphinx's own sdist): whoever could tamper with this artifact could tamper with those releases too."""
    key = ("sphinx-reference", build.out_dir)
    if key not in context.notes:
        wanted = ([("sphinx", build.sphinx_version)] if build.sphinx_version else []) + pinned_requirements(build, context)
        own = canonicalize_name(context.release.name) if context.release else None
        merged: Reference = {}
        for name, version in dict.fromkeys(w for w in wanted if canonicalize_name(w[0]) != own):
            for file_name, entries in _static_files(index, name, version).items():
                merged.setdefault(file_name, []).extend(entries)
        context.notes[key] = merged
    return context.notes[key]
