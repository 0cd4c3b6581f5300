"""The PyPI rebuild recipe: `python -m build` with the project's PEP 517 backend, sdist or wheel, reproducibly dated.

Builds run in a fresh virtual environment holding the build frontend (`build`) and the project's build
requirements, with the backend pinned to the version the artifact records (the wheel's `Generator`); the rest is
resolved as of the release date through the timewarp proxy. Only the PEP 517 hooks run.
"""

from __future__ import annotations

import re
import sys
import tomllib
from email.parser import HeaderParser
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ossprov.model import PackageTree, Release
from ossprov.verify.recipe import Recipe, Step, Unbuildable

SCM_BACKENDS = ("setuptools_scm", "setuptools-scm", "hatch-vcs", "hatch_vcs", "flit_scm", "pdm-backend")
GENERATOR_DIST = {"bdist_wheel": "wheel", "setuptools": "setuptools", "hatchling": "hatchling",
                  "flit": "flit_core", "poetry": "poetry-core", "pdm-backend": "pdm-backend",
                  "maturin": "maturin"}
"""WHEEL Generator names → the distribution whose version it states."""
VENV = "{home}/venv/bin/python"
"""The build environment's interpreter."""


def _requirements(requires: list[str]) -> list[Requirement]:
    """The build requirements that apply on this interpreter (markers evaluated); unparsable ones dropped."""
    parsed = []
    for text in requires:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        if req.marker is None or req.marker.evaluate():
            parsed.append(req)
    return parsed


def _generator(published: PackageTree | None) -> tuple[str | None, str | None]:
    """(Generator line, version of the backend it names) from a wheel's WHEEL file."""
    if published is None:
        return None, None
    wheel = next((f.data for p, f in published.files.items() if p.endswith(".dist-info/WHEEL")), None)
    if wheel is None:
        return None, None
    line = HeaderParser().parsestr(wheel.decode("utf-8", "replace")).get("Generator")
    m = re.match(r"\s*([\w.-]+)\s*\(?([\w.+-]*)\)?", line or "")
    return line, (m.group(2) or None) if m else None


def infer(source: Path, subdir: str, release: Release, published: PackageTree | None, filename: str) -> Recipe:
    """`python -m build` of the wheel (for a `.whl`) or the sdist, or Unbuildable without a build definition."""
    artifact_kind = "wheel" if filename.endswith(".whl") else "sdist"
    sub = source / subdir
    notes: list[str] = []
    if (sub / "pyproject.toml").is_file():
        try:
            pyproject = tomllib.loads((sub / "pyproject.toml").read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise Unbuildable(f"pyproject.toml is not valid TOML: {exc}") from None
        system = pyproject.get("build-system", {})
        backend = str(system.get("build-backend") or "setuptools.build_meta:__legacy__")
        requires = [str(r) for r in system.get("requires", ["setuptools>=40.8.0"])]
    elif (sub / "setup.py").is_file():
        backend, requires = "setuptools.build_meta:__legacy__", ["setuptools>=40.8.0", "wheel"]
    else:
        raise Unbuildable(f"no pyproject.toml or setup.py at {subdir or 'the repository root'}")
    toolchain = {"backend": backend, "requires": ", ".join(requires)}
    generator, generator_version = _generator(published)
    host = {"python": ".".join(map(str, sys.version_info[:3]))}
    req_names = [canonicalize_name(r.name) for r in _requirements(requires)]
    tool = generator.split()[0].split("(")[0].strip() if generator else ""
    # A known generator name, or a build requirement's (a backend naming itself).
    dist = GENERATOR_DIST.get(tool) or (tool if tool and canonicalize_name(tool) in req_names else None)
    pins: list[str] = []
    if generator:
        toolchain["generator"] = generator
        if dist and generator_version:
            toolchain[dist] = generator_version
            pins.append(f"{dist}=={generator_version}")
            notes.append(f"{dist} pinned to {generator_version}, the version the published wheel records")
    if (when := release.published_at) and not pins:
        notes.append(f"build requirements resolved as of the release ({when})")
    env: dict[str, str] = {"PIP_NO_INPUT": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    if any(n in {canonicalize_name(b) for b in SCM_BACKENDS} for n in req_names):
        env["SETUPTOOLS_SCM_PRETEND_VERSION"] = release.version
        notes.append(f"version from SCM: pinned to {release.version} (SETUPTOOLS_SCM_PRETEND_VERSION)")
    output = "*.whl" if artifact_kind == "wheel" else "*.tar.gz"
    distribution = "wheel" if artifact_kind == "wheel" else "sdist"
    # The hook's answer (setuptools asks for `wheel` before 70.1) resolved in the same view, still online.
    extra_requires = (f"import build, subprocess, sys; r = sorted(build.ProjectBuilder('.').get_requires_for_build("
                      f"{distribution!r})); r and subprocess.check_call([sys.executable, '-m', 'pip', 'install', "
                      f"'--no-warn-script-location', *r])")
    steps = (Step("install", ("{python}", "-m", "venv", "{home}/venv"), subdir),
             # Python 3.11's venv brings a setuptools of its own (65.5), which would satisfy `setuptools>=61`.
             Step("install", (VENV, "-m", "pip", "uninstall", "--yes", "--quiet", "setuptools"), subdir),
             Step("install", (VENV, "-m", "pip", "install", "--no-warn-script-location", "build", *requires, *pins),
                  subdir, network=True),
             Step("install", (VENV, "-c", extra_requires), subdir, network=True),
             Step("build", (VENV, "-m", "build", "--no-isolation", f"--{distribution}", "--outdir", "{out}", "."),
                  subdir))
    return Recipe("pypi", artifact_kind, subdir, steps, output, env, toolchain, host, tuple(notes))


