"""NuGet: packages from the configured v3 feed, the nuspec's <repository>, and a nupkg whose layout (content/,
build/, tools/) differs from the repository's, so counterparts are found by file name.

Assemblies (lib/, ref/, runtimes/) are build output: they cannot be rebuilt here, so they count as generated,
and the commit their AssemblyInformationalVersion names (`1.2.3+<sha>`) is evidence: a source hint for pinning,
and a high finding (OSP116) when it is not the pinned commit. So is the SourceLink JSON of the package's
portable PDBs (beside or embedded in the assemblies, see `nuget.sourcelink`), which names the repository too.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

from packageurl import PackageURL

from ossprov import http
from ossprov.archive import read_archive
from ossprov.ecosystems.common import commit_mismatch, readme_hints
from ossprov.ecosystems.interface import (
    CompareContext,
    Comparison,
    Ecosystem,
    Manifest,
    PackageHistory,
    ReadSource,
    VersionInfo,
)
from ossprov.ecosystems.nuget import registry, sourcelink
from ossprov.ecosystems.nuget.assembly import ORIGIN, assembly_commits
from ossprov.ecosystems.xmlsafe import parse_xml, text
from ossprov.errors import InputError, NotFoundError, OssprovError, RegistryError
from ossprov.model import (
    ArtifactRef,
    FileResult,
    FileStatus,
    Finding,
    NugetPublication,
    PackageTree,
    Release,
    Severity,
    SourceHint,
)
from ossprov.verify import normalize

BUILD_OUTPUT_DIRS = ("lib/", "ref/", "runtimes/", "analyzers/")
INSTALL_SCRIPTS = ("install.ps1", "init.ps1", "uninstall.ps1")


def _is_packaging_metadata(path: str) -> bool:
    return (path.startswith(("_rels/", "package/services/metadata/")) or path == "[Content_Types].xml"
            or path == ".signature.p7s")


def _layout_path(path: str) -> str:
    """The path a file probably had in the project: content/ and contentFiles/<lang>/<tfm>/ removed."""
    if path.startswith("content/"):
        return path[len("content/"):]
    parts = path.split("/")
    if parts[0] == "contentFiles" and len(parts) > 3:
        return "/".join(parts[3:])
    return path


def nuspec_hints(raw: bytes, what: str, error: type[OssprovError] = InputError) -> list[SourceHint]:
    meta = parse_xml(raw, what, error).find("metadata")
    hints = []
    repo = meta.find("repository") if meta is not None else None
    if repo is not None and repo.get("url"):
        hints.append(SourceHint(repo.get("url") or "", "declared-repository", commit=repo.get("commit") or None))
    if text(meta, "projectUrl"):
        hints.append(SourceHint(text(meta, "projectUrl") or "", "homepage"))
    return hints


def _nuspec_path(tree: PackageTree) -> str | None:
    return next((p for p in sorted(tree.files) if "/" not in p and p.endswith(".nuspec")), None)


class NuGet(Ecosystem):
    purl_type = "nuget"
    manifest_files = ("Directory.Build.props",)

    def _flat(self, package_id: str, version: str) -> tuple[dict[str, str], str]:
        svc = registry.services()
        return svc, f"{svc['PackageBaseAddress']}{package_id.lower()}/{version}/"

    def release(self, purl: PackageURL) -> Release:
        if not purl.version:
            raise InputError(f"a NuGet purl needs a version: {purl.to_string()}")
        version = registry.normalize_version(purl.version)
        svc, base = self._flat(purl.name, version)
        lower = purl.name.lower()
        try:
            nuspec = http.client().get(f"{base}{lower}.nuspec").content
        except NotFoundError:
            raise NotFoundError(f"NuGet package {purl.name} has no version {purl.version}") from None
        entry = (registry.catalog_entry(svc["RegistrationsBaseUrl"], purl.name, version)
                 if "RegistrationsBaseUrl" in svc else None) or {}
        deprecation = entry.get("deprecation") if isinstance(entry.get("deprecation"), dict) else None
        nupkg = f"{lower}.{version}.nupkg"
        missing = [f for f in ("published", "packageHash") if f not in entry]
        return Release(
            purl=purl.to_string(), ecosystem="nuget", name=purl.name, version=version,
            artifacts=(ArtifactRef(nupkg, base + nupkg, "nupkg", registry.hash_hex(entry)),),
            hints=tuple(nuspec_hints(nuspec, f"nuspec of {purl.name} {version}", RegistryError)),
            published_at=entry.get("published") if isinstance(entry.get("published"), str) else None,
            deprecated=str(deprecation.get("message") or "deprecated") if deprecation else None,
            missing_fields=tuple(missing),
            nuget=NugetPublication(entry["listed"] if isinstance(entry.get("listed"), bool) else None),
        )

    def history(self, name: str) -> PackageHistory | None:
        svc = registry.services()
        try:
            doc: Any = http.client().get_json(f"{svc['PackageBaseAddress']}{name.lower()}/index.json")
        except NotFoundError:
            return None
        versions = doc.get("versions") if isinstance(doc, dict) else None
        return PackageHistory("nuget", name, tuple(VersionInfo(str(v)) for v in versions or []),
                              missing_fields=("published",))

    def choose_artifact(self, release: Release) -> ArtifactRef | None:
        return release.artifacts[0] if release.artifacts else None

    def read_artifact(self, path: Path, filename: str) -> PackageTree:
        return read_archive(path, filename)

    def artifact_release(self, purl: PackageURL, tree: PackageTree) -> Release:
        return Release(purl=purl.to_string(), ecosystem="nuget", name=purl.name, version=purl.version or "",
                       missing_fields=("registry",))

    def artifact_hints(self, tree: PackageTree) -> list[SourceHint]:
        path = _nuspec_path(tree)
        hints = nuspec_hints(tree.files[path].data, path) if path else []
        # An assembly names its commit but no repository (an empty URL ranks no candidate); the pipeline pins
        # it in whichever candidate the nuspec names, unless the nuspec names a commit itself.
        assemblies = [SourceHint("", ORIGIN, commit=a.commit) for a in assembly_commits(tree)]
        sourcelinks = [SourceHint(s.repository, sourcelink.ORIGIN, commit=s.commit)
                       for s in sourcelink.sourcelink_commits(tree)]
        return hints + list(dict.fromkeys(assemblies + sourcelinks)) + readme_hints(tree)

    def read_manifest(self, read: ReadSource, subdir: str) -> Manifest | None:
        stem = posixpath.basename(subdir) if subdir else ""
        prefix = f"{subdir}/" if subdir else ""
        for rel in ([f"{stem}.csproj", f"{stem}.nuspec"] if stem else []) + ["Directory.Build.props"]:
            raw = read(prefix + rel)
            if raw is None:
                continue
            try:
                root = parse_xml(raw, prefix + rel, InputError)
            except InputError:
                return None
            name = text(root, ".//PackageId") or text(root, ".//metadata/id") or (stem or None)
            version = text(root, ".//Version") or text(root, ".//metadata/version") or text(root, ".//VersionPrefix")
            return Manifest(prefix + rel, name, version if version and "$" not in version else None)
        return None

    def tag_names(self, name: str, version: str) -> list[str]:
        return list(dict.fromkeys([f"v{version}", version, f"{name}-{version}", f"{name}-v{version}",
                                   f"{name}/v{version}", f"release-{version}", f"release/{version}"]))

    def comparable_files(self, tree: PackageTree) -> dict[str, bytes]:
        return {_layout_path(p): f.data for p, f in tree.files.items()
                if not _is_packaging_metadata(p) and not p.startswith(BUILD_OUTPUT_DIRS) and p != _nuspec_path(tree)}

    def source_path(self, artifact_path: str, content_root: str) -> str:
        return content_root + _layout_path(artifact_path)

    def explain(self, path: str, data: bytes, source: bytes | None, context: CompareContext) -> Comparison | None:
        if _is_packaging_metadata(path):
            return Comparison(FileResult(path, FileStatus.NORMALIZED, None, "OPC packaging metadata written by pack"))
        if path == _nuspec_path(context.tree):
            return Comparison(FileResult(path, FileStatus.GENERATED, None, "nuspec written by pack"))
        if path.startswith(BUILD_OUTPUT_DIRS):
            return Comparison(FileResult(path, FileStatus.GENERATED, None, "build output (assembly, docs, symbols)"))
        if source is not None:
            return None
        counterpart = _counterpart(path, context)
        if counterpart is None:
            if posixpath.basename(path).lower() in INSTALL_SCRIPTS:
                return Comparison(FileResult(path, FileStatus.UNEXPLAINED, None, "install-time script"),
                                  (Finding(Severity.HIGH, "OSP102", path, "PowerShell script NuGet runs at install "
                                           "is not in the repository"),))
            return None
        found = context.read_source(counterpart)
        if found == data:
            return Comparison(FileResult(path, FileStatus.IDENTICAL, counterpart, "same file under another path"))
        name = normalize.equal_after(found or b"", data)
        if name:
            return Comparison(FileResult(path, FileStatus.NORMALIZED, counterpart, name))
        return Comparison(FileResult(path, FileStatus.MODIFIED, counterpart, "content differs from " + counterpart))

    def release_findings(self, release: Release, tree: PackageTree, context: CompareContext) -> list[Finding]:
        findings = [] if _nuspec_path(tree) else [Finding(Severity.HIGH, "OSP110", None, "the nupkg has no nuspec")]
        for found in assembly_commits(tree):
            mismatch = commit_mismatch(found.path, found.commit,
                                                 f"its AssemblyInformationalVersion {found.version!r}", context.commit)
            findings += [mismatch] if mismatch else []
        return findings + _sourcelink_mismatches(tree, context.commit)


def _sourcelink_mismatches(tree: PackageTree, pinned: str | None) -> list[Finding]:
    """OSP116 per PDB none of whose SourceLink commits is the pinned one (a PDB also maps its submodules to
    their own commits, so one agreeing commit suffices); the finding names its main repository's commit."""
    by_path: dict[str, list[sourcelink.SourceLinkCommit]] = {}
    for found in sourcelink.sourcelink_commits(tree):
        by_path.setdefault(found.path, []).append(found)
    findings = []
    for path, commits in by_path.items():
        mismatches = [commit_mismatch(path, c.commit, f"its SourceLink (for {c.repository})", pinned) for c in commits]
        findings += [mismatches[0]] if mismatches[0] and all(mismatches) else []
    return findings


def _counterpart(path: str, context: CompareContext) -> str | None:
    """The repository file with the longest common path suffix (at least the file name), under subdir first."""
    parts = _layout_path(path).split("/")
    best, best_len = None, 0.0
    for candidate in context.source_files:
        cparts = candidate.split("/")
        n = 0
        while n < min(len(parts), len(cparts)) and parts[-1 - n].lower() == cparts[-1 - n].lower():
            n += 1
        bonus = 0.5 if context.subdir and candidate.startswith(context.subdir + "/") else 0
        if n and n + bonus > best_len:
            best, best_len = candidate, n + bonus
    return best


ECOSYSTEM = NuGet()
