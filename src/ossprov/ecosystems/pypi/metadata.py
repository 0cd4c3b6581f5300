"""Core metadata and wheel `.dist-info` checked against what the source declares.

pip installs what `METADATA` (`Requires-Dist`) and `entry_points.txt` say, and a `.dist-info` directory is
on `sys.path`'s neighbour list; none of them is in the repository, so a comparison file by file cannot see a
dependency added to `METADATA` or a console script moved to a new module. This module reads what the source
declares, statically (pyproject `[project]`, setuptools' `dynamic` requirement files, setup.cfg, `setup.py`
read with `ast` and never run, Poetry and old flit tables), and compares:

- every `Requires-Dist` (name and extra, through `packaging`) must be declared: an added one is high
  (OSP113), a changed version range medium (OSP115);
- every entry point must be declared with the same target: another target or a new one is high (OSP114);
- `.dist-info` may hold only the files build backends write (OSP135 otherwise).

When the source's declaration cannot be read statically (a computed `install_requires`, a dynamic field
filled by a plug-in), the check says so in a medium finding instead of passing silently.
"""

from __future__ import annotations

import ast
import configparser
import posixpath
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ossprov.ecosystems.interface import ReadSource
from ossprov.model import Finding, Severity

DIST_INFO_FILES = frozenset({"METADATA", "RECORD", "WHEEL", "entry_points.txt", "top_level.txt", "INSTALLER",
                             "REQUESTED", "direct_url.json", "RECORD.jws", "RECORD.p7s", "zip-safe",
                             "namespace_packages.txt", "metadata.json", "pydist.json", "pbr.json", "DESCRIPTION.rst",
                             "dependency_links.txt", "not-zip-safe", "api_tests.txt", "DELVEWHEEL"})
"""Files of `.dist-info` the standard and the common build backends write (PEP 427, 376, 610, 639, 770)."""
DIST_INFO_DIRS = ("licenses/", "license_files/", "sboms/")
LICENSE_NAME = re.compile(r"^(LICEN[CS]E|COPYING|NOTICE|AUTHORS|COPYRIGHT|PATENTS)([-._][\w.-]*)?$", re.I)
_INTERPOLATION = re.compile(r"%\((\w+)\)s")
_EXTRA = re.compile(r"""\bextra\s*==\s*['"]([^'"]+)['"]""")

Key = tuple[str, str]
"""(canonical project name, canonical extra or "")."""


@dataclass
class Declared:
    """What the source declares, each part None when it cannot be read statically."""

    where: str
    requirements: dict[Key, set[str]] | None = None
    """(name, extra) → the specifiers declared for it."""
    entry_points: dict[tuple[str, str], str] | None = None
    """(group, name) → `module:attr`."""
    notes: list[str] = field(default_factory=list)


def _key(req: Requirement, extra: str = "") -> Key:
    if not extra and req.marker is not None:
        found = _EXTRA.search(str(req.marker))
        extra = found.group(1) if found else ""
    return canonicalize_name(req.name), canonicalize_name(extra) if extra else ""


def parse_requirements(lines: Iterable[str], extra: str = "") -> dict[Key, set[str]] | None:
    """PEP 508 lines (comments and blank lines skipped) by key; None when a line is not a requirement."""
    out: dict[Key, set[str]] = {}
    for line in lines:
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-"):  # pip options in requirement files (-r, -e, --hash): not static
            return None
        try:
            req = Requirement(line)
        except InvalidRequirement:
            return None
        out.setdefault(_key(req, extra), set()).add(str(req.specifier))
    return out


def _merge(parts: list[dict[Key, set[str]] | None]) -> dict[Key, set[str]] | None:
    out: dict[Key, set[str]] = {}
    for part in parts:
        if part is None:
            return None
        for key, specs in part.items():
            out.setdefault(key, set()).update(specs)
    return out


def _lines(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return value.splitlines()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _entry_point_lines(group: str, lines: Iterable[str]) -> dict[tuple[str, str], str]:
    out = {}
    for line in lines:
        name, sep, target = line.partition("=")
        if sep and name.strip():
            out[(group, name.strip())] = re.sub(r"\s+", "", target.split("[", 1)[0])
    return out


def _from_pyproject(doc: dict[str, Any], read: ReadSource, base: str, where: str) -> Declared | None:
    project = doc.get("project") if isinstance(doc.get("project"), dict) else None
    tool: dict[str, Any] = doc["tool"] if isinstance(doc.get("tool"), dict) else {}
    if project is None:
        return _from_poetry_or_flit(tool, where)
    dynamic = set(project.get("dynamic") or [])
    declared = Declared(where)
    if "dependencies" not in dynamic:
        parts = [parse_requirements(_lines(project.get("dependencies", [])) or [])]
        optional = project.get("optional-dependencies") or {}
        parts += [parse_requirements(_lines(v) or [], extra) for extra, v in optional.items()]
        declared.requirements = _merge(parts)
    else:
        setuptools_dynamic = (tool.get("setuptools") or {}).get("dynamic") or {}
        declared.requirements = _dynamic_files(setuptools_dynamic, read, base)
    if "scripts" not in dynamic and "entry-points" not in dynamic:
        eps: dict[tuple[str, str], str] = {}
        for group, key in (("console_scripts", "scripts"), ("gui_scripts", "gui-scripts")):
            eps.update(_entry_point_lines(group, (f"{k}={v}" for k, v in (project.get(key) or {}).items())))
        for group, table in (project.get("entry-points") or {}).items():
            eps.update(_entry_point_lines(group, (f"{k}={v}" for k, v in table.items())))
        declared.entry_points = eps
    return declared


def _dynamic_files(dynamic: dict[str, Any], read: ReadSource, base: str) -> dict[Key, set[str]] | None:
    """setuptools' `dynamic = {dependencies = {file = [...]}, optional-dependencies = {x = {file = ...}}}`."""
    def from_files(spec: Any, extra: str = "") -> dict[Key, set[str]] | None:
        files = spec.get("file") if isinstance(spec, dict) else None
        files = [files] if isinstance(files, str) else files
        if not isinstance(files, list):
            return None
        parts = []
        for name in files:
            raw = read(base + name)
            parts.append(None if raw is None else parse_requirements(raw.decode("utf-8", "replace").splitlines(),
                                                                     extra))
        return _merge(parts)

    parts = [from_files(dynamic.get("dependencies"))]
    parts += [from_files(spec, extra) for extra, spec in (dynamic.get("optional-dependencies") or {}).items()]
    return _merge(parts)


def _from_poetry_or_flit(tool: dict[str, Any], where: str) -> Declared | None:
    """Poetry's and old flit's tables: names only (their version syntax is not PEP 440's)."""
    poetry, flit = tool.get("poetry"), (tool.get("flit") or {}).get("metadata")
    if isinstance(poetry, dict):
        deps: dict[Key, set[str]] = {(canonicalize_name(n), ""): set() for n in poetry.get("dependencies") or {}
                                     if n != "python"}
        for extra, names in (poetry.get("extras") or {}).items():
            deps.update({(canonicalize_name(n), canonicalize_name(extra)): set() for n in names})
        scripts = {("console_scripts", k): v for k, v in (poetry.get("scripts") or {}).items() if isinstance(v, str)}
        return Declared(where, deps, scripts, ["Poetry dependencies compared by name"])
    if isinstance(flit, dict):
        parts = [parse_requirements(flit.get("requires") or [])]
        parts += [parse_requirements(v, extra) for extra, v in (flit.get("requires-extra") or {}).items()]
        scripts = {("console_scripts", k): v for k, v in ((tool.get("flit") or {}).get("scripts") or {}).items()}
        return Declared(where, _merge(parts), scripts)
    return None


def _from_setup_cfg(raw: bytes, where: str) -> Declared | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(raw.decode("utf-8", "replace"))
    except configparser.Error:
        return None
    if not parser.has_section("options") and not parser.has_section("options.entry_points"):
        return None
    options = parser["options"] if parser.has_section("options") else {}
    parts = [parse_requirements(options.get("install_requires", "").splitlines())]
    if parser.has_section("options.extras_require"):
        extras = dict(parser["options.extras_require"].items())
        for name, value in extras.items():  # `%(other)s` names another extra's list (configparser interpolation)
            lines = _INTERPOLATION.sub(lambda m: extras.get(m.group(1), m.group(0)), value).splitlines()
            parts.append(parse_requirements(lines, name))
    eps: dict[tuple[str, str], str] = {}
    if parser.has_section("options.entry_points"):
        for group, value in parser["options.entry_points"].items():
            eps.update(_entry_point_lines(group, value.splitlines()))
    return Declared(where, _merge(parts), eps)


def _literal(node: ast.expr | None) -> Any:
    try:
        return ast.literal_eval(node) if node is not None else None
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NOT_STATIC


_NOT_STATIC = object()


def _from_setup_py(raw: bytes, where: str) -> Declared | None:
    """The keywords of the `setup(...)` call, when they are literals (the file is parsed, never run)."""
    try:
        tree = ast.parse(raw)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    call = next((n for n in ast.walk(tree) if isinstance(n, ast.Call)
                 and getattr(n.func, "id", getattr(n.func, "attr", None)) == "setup"), None)
    if call is None:
        return None
    assigned = {t.id: n.value for n in tree.body if isinstance(n, ast.Assign) for t in n.targets
                if isinstance(t, ast.Name)}  # `install_requires=REQUIRES` with `REQUIRES = [...]` above
    kw = {k.arg: assigned.get(k.value.id, k.value) if isinstance(k.value, ast.Name) else k.value
          for k in call.keywords if k.arg}
    if any(k.arg is None for k in call.keywords):  # setup(**config): not static
        return Declared(where, notes=["setup() takes its arguments from a computed dict"])
    install, extras = _literal(kw.get("install_requires")), _literal(kw.get("extras_require"))
    requirements = None
    if install is not _NOT_STATIC and extras is not _NOT_STATIC:
        parts = [parse_requirements(_lines(install) or [] if install is not None else [])]
        parts += [parse_requirements(_lines(v) or [], k) for k, v in (extras or {}).items()]
        requirements = _merge(parts)
    entry = _literal(kw.get("entry_points"))
    eps: dict[tuple[str, str], str] = {}
    if isinstance(entry, dict):
        for group, lines in entry.items():
            eps.update(_entry_point_lines(group, _lines(lines) or []))
    elif isinstance(entry, str):
        parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read_string(entry)
        for group in parser.sections():
            eps.update(_entry_point_lines(group, (f"{k}={v}" for k, v in parser[group].items())))
    return Declared(where, requirements, None if entry is _NOT_STATIC else eps)


def declared(read: ReadSource, subdir: str) -> Declared | None:
    """What the source at `subdir` declares. pyproject's `[project]` is authoritative for what it does not
    mark dynamic; the rest comes from setup.cfg and setup.py together (setuptools merges both: projects keep
    `install_requires` in setup.py and the rest in setup.cfg)."""
    base = f"{subdir}/" if subdir else ""
    project: Declared | None = None
    raw = read(base + "pyproject.toml")
    if raw is not None:
        try:
            project = _from_pyproject(tomllib.loads(raw.decode("utf-8")), read, base, base + "pyproject.toml")
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, AttributeError):
            project = None
    if project is not None and project.requirements is not None and project.entry_points is not None:
        return project
    setuptools = [d for name, reader in (("setup.cfg", _from_setup_cfg), ("setup.py", _from_setup_py))
                  if (raw := read(base + name)) is not None and (d := reader(raw, base + name)) is not None]
    if not setuptools:
        return project
    found = project or Declared(" and ".join(d.where for d in setuptools))
    if project is not None:
        found.where += "".join(f" and {d.where}" for d in setuptools)
    if found.requirements is None:
        found.requirements = _merge([d.requirements for d in setuptools])
    if found.entry_points is None:
        parts = [d.entry_points for d in setuptools]
        found.entry_points = None if any(p is None for p in parts) else {k: v for p in parts for k, v in (p or {}).items()}
    return found


def requirement_findings(meta: dict[str, list[str]], path: str, source: Declared | None) -> list[Finding]:
    """`Requires-Dist` of the core metadata at `path` against the source's declaration."""
    published = parse_requirements(meta.get("requires-dist", []))
    if not published:
        return [] if published is not None else [Finding(Severity.HIGH, "OSP113", path,
                                                         "Requires-Dist holds an entry that is not a requirement")]
    if source is None or source.requirements is None:
        return [Finding(Severity.MEDIUM, "OSP113", path, "Requires-Dist could not be checked: the source's "
                        "dependencies are not declared statically" + (f" ({source.where})" if source else ""))]
    findings = []
    for key, specs in sorted(published.items()):
        what = key[0] + (f" (extra {key[1]})" if key[1] else "")
        if key not in source.requirements:
            findings.append(Finding(Severity.HIGH, "OSP113", path, f"Requires-Dist names {what}, which "
                                    f"{source.where} does not declare"))
        elif source.requirements[key] and specs != source.requirements[key]:
            findings.append(Finding(Severity.MEDIUM, "OSP115", path, f"Requires-Dist range for {what} is "
                                    f"{', '.join(sorted(specs))}; {source.where} declares "
                                    f"{', '.join(sorted(source.requirements[key]))}"))
    return findings


def entry_point_findings(raw: bytes, path: str, source: Declared | None) -> list[Finding]:
    """`entry_points.txt` of a wheel against the source's declared scripts and entry points."""
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(raw.decode("utf-8", "replace"))
    except configparser.Error:
        return [Finding(Severity.HIGH, "OSP114", path, "entry_points.txt cannot be read")]
    published: dict[tuple[str, str], str] = {}
    for group in parser.sections():
        published.update(_entry_point_lines(group, (f"{k}={v}" for k, v in parser[group].items())))
    if not published:
        return []
    if source is None or source.entry_points is None:
        return [Finding(Severity.MEDIUM, "OSP114", path, "entry points could not be checked: the source does not "
                        "declare them statically" + (f" ({source.where})" if source else ""))]
    findings = []
    for (group, name), target in sorted(published.items()):
        ours = source.entry_points.get((group, name))
        if ours != target:
            said = f"{source.where} declares {ours}" if ours else f"{source.where} does not declare it"
            findings.append(Finding(Severity.HIGH, "OSP114", path, f"entry point {group}:{name} runs {target}; "
                                    f"{said}"))
    return findings


def is_standard_dist_info_file(path: str) -> bool:
    """Whether `NAME.dist-info/REST` is a file build backends write there."""
    rest = path.split(".dist-info/", 1)[1]
    return (rest in DIST_INFO_FILES or rest.startswith(DIST_INFO_DIRS)
            or ("/" not in rest and LICENSE_NAME.match(posixpath.basename(rest)) is not None))

