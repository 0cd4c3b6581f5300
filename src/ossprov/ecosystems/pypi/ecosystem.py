"""PyPI: the simple API of the index pip is configured with (PEP 691 JSON, PEP 503 HTML), sdists and wheels,
and the core metadata inside them, whose dependencies and entry points are checked against what the source
declares (`ossprov.ecosystems.pypi.metadata`)."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import posixpath
import re
import tomllib
from configparser import ConfigParser
from configparser import Error as ConfigError
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packageurl import PackageURL
from packaging.utils import (
    canonicalize_name,
)
from packaging.version import InvalidVersion, Version

from ossprov.archive import read_archive, strip_root
from ossprov.ecosystems.common import readme_hints
from ossprov.ecosystems.interface import (
    CompareContext,
    Comparison,
    Ecosystem,
    Manifest,
    PackageHistory,
    ReadSource,
    VersionInfo,
)
from ossprov.ecosystems.pypi import generated, metadata, normalize, sphinx_tools, vendored_crates
from ossprov.ecosystems.pypi.hints import metadata_hints, parse_core_metadata
from ossprov.ecosystems.pypi.installed import installed, is_wheel
from ossprov.ecosystems.pypi.registry import file_entries, index_url, same_version, version_of, yank
from ossprov.errors import NotFoundError
from ossprov.http import without_credentials
from ossprov.model import (
    ArtifactRef,
    FileResult,
    FileStatus,
    Finding,
    PackageTree,
    PypiPublication,
    Release,
    Severity,
    SourceHint,
)
from ossprov.verify import sphinx_output

if TYPE_CHECKING:  # the build concern's types: its modules load when a rebuild asks (verify starts without them)
    from ossprov.verify.recipe import Recipe
    from ossprov.verify.timewarp import Route


def _metadata_file(tree: PackageTree) -> bytes | None:
    if "PKG-INFO" in tree.files:
        return tree.files["PKG-INFO"].data
    for path, f in tree.files.items():
        if path.count("/") == 1 and path.endswith(".dist-info/METADATA"):
            return f.data
    return None


class PyPI(Ecosystem):
    purl_type = "pypi"
    manifest_files = ("pyproject.toml", "setup.cfg", "setup.py")
    history_with_release = True

    def release(self, purl: PackageURL) -> Release:
        entries = file_entries(purl.name)
        mine = []
        for entry in entries:
            parsed = version_of(str(entry.get("filename", "")))
            if parsed and same_version(parsed[1], purl.version or ""):
                mine.append((parsed[0], entry))
        if not mine:
            raise NotFoundError(f"PyPI project {purl.name} has no files for version {purl.version}")
        artifacts = tuple(
            ArtifactRef(e["filename"], e["url"], kind,
                        {k.lower(): v.lower() for k, v in (e.get("hashes") or {}).items() if isinstance(v, str)},
                        yanked=yank(e))
            for kind, e in mine
        )
        times = sorted(t for _, e in mine if isinstance(t := e.get("upload-time"), str))
        missing = ["upload-time"] if not times else []
        yanked = [a for a in artifacts if a.yanked is not None]
        return Release(
            purl=purl.to_string(), ecosystem="pypi", name=canonicalize_name(purl.name), version=purl.version or "",
            artifacts=artifacts, published_at=times[0] if times else None, missing_fields=tuple(missing),
            deprecated=None,
            pypi=PypiPublication(yanked[0].yanked if yanked and len(yanked) == len(artifacts) else None),
        )

    def history(self, name: str) -> PackageHistory | None:
        try:
            entries = file_entries(name)
        except NotFoundError:
            return None
        by_version: dict[str, VersionInfo] = {}
        for entry in entries:
            parsed = version_of(str(entry.get("filename", "")))
            if not parsed:
                continue
            version, when = parsed[1], entry.get("upload-time")
            old = by_version.get(version)
            first = min(filter(None, [old.published_at if old else None, when if isinstance(when, str) else None]),
                        default=None)
            by_version[version] = VersionInfo(version, first, yanked=yank(entry))
        infos = sorted(by_version.values(), key=lambda v: (v.published_at or "", _sort_key(v.version)))
        return PackageHistory("pypi", canonicalize_name(name), tuple(infos),
                              missing_fields=() if any(v.published_at for v in infos) else ("upload-time",))

    def choose_artifact(self, release: Release) -> ArtifactRef | None:
        def rank(a: ArtifactRef) -> tuple[int, str]:
            if a.kind == "sdist":
                return (0, a.filename)
            if a.filename.endswith("-none-any.whl"):
                return (1, a.filename)
            return (2, a.filename)

        return min(release.artifacts, key=rank, default=None)

    def read_artifact(self, path: Path, filename: str) -> PackageTree:
        tree = read_archive(path, filename)
        return tree if filename.endswith(".whl") else strip_root(tree)

    def artifact_release(self, purl: PackageURL, tree: PackageTree) -> Release:
        return Release(purl=purl.to_string(), ecosystem="pypi", name=canonicalize_name(purl.name),
                       version=purl.version or "", missing_fields=("registry",))

    def artifact_hints(self, tree: PackageTree) -> list[SourceHint]:
        raw = _metadata_file(tree)
        hints = metadata_hints(parse_core_metadata(raw)) if raw else []
        return hints + readme_hints(tree)

    def read_manifest(self, read: ReadSource, subdir: str) -> Manifest | None:
        join = (lambda name: f"{subdir}/{name}") if subdir else (lambda name: name)
        raw = read(join("pyproject.toml"))
        if raw is not None:
            try:
                doc = tomllib.loads(raw.decode("utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError):
                doc = {}
            project: dict[str, Any] = doc["project"] if isinstance(doc.get("project"), dict) else {}
            poetry = doc["tool"].get("poetry", {}) if isinstance(doc.get("tool"), dict) else {}
            name = project.get("name") or (poetry.get("name") if isinstance(poetry, dict) else None)
            version = project.get("version") or (poetry.get("version") if isinstance(poetry, dict) else None)
            if name:
                return Manifest(join("pyproject.toml"), str(name), str(version) if version else None, doc)
        raw = read(join("setup.cfg"))
        if raw is not None:
            parser = ConfigParser(interpolation=None)
            try:
                parser.read_string(raw.decode("utf-8", "replace"))
                name = parser.get("metadata", "name", fallback=None)
                version = parser.get("metadata", "version", fallback=None)
            except ConfigError:
                name = version = None
            if name:
                return Manifest(join("setup.cfg"), name, version if version and ":" not in version else None)
        raw = read(join("setup.py"))
        if raw is not None:
            text = raw.decode("utf-8", "replace")
            name_m = re.search(r"""\bname\s*=\s*['"]([^'"]+)['"]""", text)
            ver_m = re.search(r"""\bversion\s*=\s*['"]([^'"]+)['"]""", text)
            if name_m:
                return Manifest(join("setup.py"), name_m.group(1), ver_m.group(1) if ver_m else None)
        return None

    def tag_names(self, name: str, version: str) -> list[str]:
        forms = [version]
        try:
            normal = str(Version(version))
            forms.append(normal)
            if normal.count(".") == 1:
                forms.append(normal + ".0")
        except InvalidVersion:
            pass
        names = []
        for v in dict.fromkeys(forms):
            names += [f"v{v}", v, f"{name}-{v}", f"{name}-v{v}", f"{name}@{v}", f"release-{v}", f"release/{v}",
                      f"{name.replace('-', '_')}-{v}", f"{name}/v{v}"]
        return list(dict.fromkeys(names))

    def comparable_files(self, tree: PackageTree) -> dict[str, bytes]:
        return {p: f.data for p, f in tree.files.items() if not normalize.is_build_metadata(p)}

    def source_path(self, artifact_path: str, content_root: str) -> str:
        if generated.data_scheme(artifact_path) in ("purelib", "platlib"):
            artifact_path = artifact_path.split("/", 2)[2]
        return content_root + artifact_path

    def explain(self, path: str, data: bytes, source: bytes | None, context: CompareContext) -> Comparison | None:
        if ".dist-info/" in path and not metadata.is_standard_dist_info_file(path):
            return Comparison(FileResult(path, FileStatus.UNEXPLAINED, None, "not a file build backends write "
                                         "into .dist-info"),
                              (Finding(Severity.HIGH, "OSP135", path, "file in .dist-info that no build backend "
                                       "writes (the directory is installed as is)"),))
        if normalize.is_build_metadata(path):
            return Comparison(FileResult(path, FileStatus.NORMALIZED, None,
                                         "core metadata written by the build backend (PKG-INFO, *.egg-info, "
                                         "*.dist-info); dependencies and entry points checked against the source"))
        if generated.data_scheme(path) == "scripts":
            return generated.explain_script(path, data, context)
        name = posixpath.basename(path)
        if name == "setup.cfg" and (published := normalize.setup_cfg_settings(data)) is not None and published == (
                normalize.setup_cfg_settings(source) if source is not None else {}):
            return Comparison(FileResult(path, FileStatus.NORMALIZED, path if source is not None else None,
                                         "setup.cfg as setuptools rewrites it into sdists (same settings once its "
                                         "[egg_info] section, comments and layout are set aside)"))
        version = context.release.version if context.release else ""
        if normalize.looks_like_version_file(data, version) and (source is None or normalize.looks_like_version_file(source, None)):
            return Comparison(FileResult(path, FileStatus.NORMALIZED, None,
                                         f"version file written at build time (setuptools_scm and alike) for {version}"))
        if source is None:
            return vendored_crates.explain(path, data, context) or generated.explain_generated(
                path, data, context) or sphinx_output.explain(
                path, data, context, lambda p: installed(p, context),
                lambda build: sphinx_tools.reference(self, build, context))
        return None

    def artifact_findings(self, release: Release, tree: PackageTree) -> list[Finding]:
        findings = []
        raw = _metadata_file(tree)
        if raw is None:
            findings.append(Finding(Severity.MEDIUM, "OSP130", None, "no PKG-INFO or METADATA in the artifact"))
        else:
            meta = parse_core_metadata(raw)
            name = (meta.get("name") or [""])[0]
            version = (meta.get("version") or [""])[0]
            if canonicalize_name(name) != canonicalize_name(release.name) or not same_version(version, release.version):
                findings.append(Finding(Severity.HIGH, "OSP133", None,
                                        f"core metadata names {name} {version}, not {release.name} {release.version}"))
        for path in tree.files:
            if path.endswith(".pth") and is_wheel(tree):
                findings.append(Finding(Severity.HIGH, "OSP131", path,
                                        ".pth file in a wheel: its import lines run at every interpreter start"))
        if is_wheel(tree):
            findings += _record_findings(tree)
        return findings

    def release_findings(self, release: Release, tree: PackageTree, context: CompareContext) -> list[Finding]:
        """Requires-Dist and entry points against what the source declares."""
        return _declared_findings(tree, context)

    def recipe(self, source: Path, subdir: str, release: Release, published: PackageTree | None,
               filename: str) -> Recipe:
        from ossprov.ecosystems.pypi import recipe

        return recipe.infer(source, subdir, release, published, filename)

    def install_env(self, proxy: str | None) -> dict[str, str]:
        return {"PIP_INDEX_URL": f"{proxy}/pypi/simple/" if proxy else without_credentials(index_url())}

    def timewarp_route(self) -> Route | None:
        from ossprov.ecosystems.pypi.timewarp import PypiRoute

        return PypiRoute(index_url())


def _sort_key(version: str) -> Any:
    try:
        return Version(version)
    except InvalidVersion:
        return Version("0")


def _declared_findings(tree: PackageTree, context: CompareContext) -> list[Finding]:
    """Requires-Dist and entry points of the artifact's metadata against what the source declares."""
    meta_path = "PKG-INFO" if "PKG-INFO" in tree.files else next(
        (p for p in tree.files if p.count("/") == 1 and p.endswith(".dist-info/METADATA")), None)
    if meta_path is None:
        return []
    source = metadata.declared(context.read_source, context.subdir)
    findings = metadata.requirement_findings(parse_core_metadata(tree.files[meta_path].data), meta_path,
                                                    source)
    entry_points = next((p for p in tree.files if p.count("/") == 1 and p.endswith(".dist-info/entry_points.txt")),
                        None)
    if entry_points:
        findings += metadata.entry_point_findings(tree.files[entry_points].data, entry_points, source)
    return findings


def _record_findings(tree: PackageTree) -> list[Finding]:
    """A wheel's RECORD must list every file with its hash: a file outside RECORD was added afterwards."""
    record_path = next((p for p in tree.files if p.count("/") == 1 and p.endswith(".dist-info/RECORD")), None)
    if record_path is None:
        return [Finding(Severity.HIGH, "OSP132", None, "the wheel has no RECORD")]
    listed: dict[str, str] = {}
    for row in csv.reader(io.StringIO(tree.files[record_path].data.decode("utf-8", "replace"))):
        if row:
            listed[row[0]] = row[1] if len(row) > 1 else ""
    findings = []
    for path, f in tree.files.items():
        if path == record_path or path.endswith((".jws", ".p7s")):
            continue
        if path not in listed:
            findings.append(Finding(Severity.HIGH, "OSP132", path, "file not listed in the wheel's RECORD"))
            continue
        algo, _, b64 = listed[path].partition("=")
        if algo and b64:
            digest = base64.urlsafe_b64encode(hashlib.new(algo, f.data).digest()).rstrip(b"=").decode()
            if digest != b64:
                findings.append(Finding(Severity.HIGH, "OSP132", path, "content does not match its RECORD hash"))
    return findings


ECOSYSTEM = PyPI()
