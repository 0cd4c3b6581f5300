"""Rust crates: the `.crate` from the configured sparse index (its checksum from the index entry), the
repository from Cargo.toml's `repository`, the commit and directory from `.cargo_vcs_info.json`, and the
crate compared with that commit's subtree by cargo's packaging rules: `Cargo.toml.orig` is the author's
manifest (compared with the repository's Cargo.toml), `Cargo.toml` is cargo's normalisation of it (checked
to add no dependency, build script or native link), `Cargo.lock` is written for binaries. A build script in
the crate that is not in the repository is a high finding: cargo runs it on every machine that builds.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from packageurl import PackageURL

from ossprov import http
from ossprov.archive import read_archive, strip_root
from ossprov.cache import ArtifactCache
from ossprov.ecosystems.cargo import filelist, manifest, registry
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
from ossprov.errors import InputError, NotFoundError
from ossprov.model import (
    ArtifactRef,
    CargoPublication,
    FileResult,
    FileStatus,
    Finding,
    PackageTree,
    Release,
    Severity,
    SourceHint,
)
from ossprov.verify.compare import unified_diff

if TYPE_CHECKING:  # the build concern's types: its modules load when a rebuild asks (verify starts without them)
    from ossprov.verify.recipe import Recipe
    from ossprov.verify.stabilize import Image, Named
    from ossprov.verify.timewarp import Route

ORIG = "Cargo.toml.orig"
VCS_INFO = ".cargo_vcs_info.json"
WRITTEN_BY_PACKAGE = (VCS_INFO, "Cargo.toml", "Cargo.lock")


def _record(name: str, version: str) -> dict[str, Any]:
    records = registry.entries(name)
    if records is None:
        raise NotFoundError(f"crate {name} is not in the cargo index")
    found = next((r for r in records if r.get("vers") == version), None)
    if found is None:
        raise NotFoundError(f"crate {name} has no version {version}")
    return found


def _index_dependencies(record: dict[str, Any]) -> set[str]:
    deps = record.get("deps")
    return {(manifest.text(d, "package") or str(d["name"])).replace("_", "-") for d in deps
            if manifest.text(d, "name")} if isinstance(deps, list) else set()


class Crates(Ecosystem):
    purl_type = "cargo"
    manifest_files = ("Cargo.toml",)

    def release(self, purl: PackageURL) -> Release:
        if not purl.version:
            raise InputError(f"a cargo purl needs a version: {purl.to_string()}")
        record = _record(purl.name, purl.version)
        checksum = manifest.text(record, "cksum") or ""
        name = str(record.get("name") or purl.name)
        url = registry.download_url(registry.download_template(), name, purl.version, checksum)
        published = manifest.text(record, "pubtime")
        return Release(
            purl=purl.to_string(), ecosystem="cargo", name=name, version=purl.version,
            artifacts=(ArtifactRef(f"{name}-{purl.version}.crate", url, "crate",
                                   {"sha256": checksum.lower()} if checksum else {},
                                   yanked="" if record.get("yanked") is True else None),),
            hints=tuple(self._declared(url)), published_at=published,
            missing_fields=tuple(f for f, v in (("cksum", checksum), ("pubtime", published)) if not v),
            cargo=CargoPublication(tuple(sorted(_index_dependencies(record))),
                                   links if isinstance(links := record.get("links"), str) else None),
        )

    def _declared(self, url: str) -> list[SourceHint]:
        """The index carries no repository: the crate's Cargo.toml declares it (downloaded once, into the
        cache the pipeline reads the crate from)."""
        path, _ = ArtifactCache().fetch(url, lambda dest: http.client().download(url, dest))
        tree = self.read_artifact(path, "crate.crate")
        return [h for h in self.artifact_hints(tree) if h.origin in ("declared-repository", "homepage")]

    def history(self, name: str) -> PackageHistory | None:
        records = registry.entries(name)
        if records is None:
            return None
        versions = tuple(VersionInfo(r["vers"], manifest.text(r, "pubtime"),
                                     yanked="" if r.get("yanked") is True else None) for r in records)
        return PackageHistory("cargo", name, versions, missing_fields=() if all(v.published_at for v in versions)
                              else ("pubtime",))

    def choose_artifact(self, release: Release) -> ArtifactRef | None:
        return release.artifacts[0] if release.artifacts else None

    def read_artifact(self, path: Path, filename: str) -> PackageTree:
        return strip_root(read_archive(path, filename if filename.endswith(".crate") else "crate.crate"))

    def artifact_release(self, purl: PackageURL, tree: PackageTree) -> Release:
        return Release(purl=purl.to_string(), ecosystem="cargo", name=purl.name, version=purl.version or "",
                       missing_fields=("registry",))

    def artifact_hints(self, tree: PackageTree) -> list[SourceHint]:
        pkg = manifest.package(manifest.load(_data(tree, "Cargo.toml")))
        vcs = manifest.vcs_info(_data(tree, VCS_INFO))
        hints = []
        if isinstance(pkg.get("repository"), str):
            hints.append(SourceHint(pkg["repository"], "declared-repository", subdir=vcs.path_in_vcs if vcs else "",
                                    commit=vcs.sha1 if vcs else None))
        if isinstance(pkg.get("homepage"), str):
            hints.append(SourceHint(pkg["homepage"], "homepage"))
        return hints + readme_hints(tree)

    def read_manifest(self, read: ReadSource, subdir: str) -> Manifest | None:
        path = f"{subdir}/Cargo.toml" if subdir else "Cargo.toml"
        doc = manifest.load(read(path))
        pkg = manifest.package(doc)
        if not pkg:
            return None
        version = pkg.get("version") if isinstance(pkg.get("version"), str) else None
        return Manifest(path, pkg.get("name") if isinstance(pkg.get("name"), str) else None, version)

    def tag_names(self, name: str, version: str) -> list[str]:
        return [f"v{version}", version, f"{name}-v{version}", f"{name}-{version}", f"{name}/v{version}",
                f"{name}@{version}", f"{name}@v{version}"]

    def comparable_files(self, tree: PackageTree) -> dict[str, bytes]:
        files = {p: f.data for p, f in tree.files.items() if p not in WRITTEN_BY_PACKAGE and p != ORIG}
        if ORIG in tree.files:
            files["Cargo.toml"] = tree.files[ORIG].data
        return files

    def source_path(self, artifact_path: str, content_root: str) -> str:
        return content_root + ("Cargo.toml" if artifact_path == ORIG else artifact_path)

    def explain(self, path: str, data: bytes, source: bytes | None, context: CompareContext) -> Comparison | None:
        if path == VCS_INFO:
            return Comparison(FileResult(path, FileStatus.NORMALIZED, None, "written by cargo package: the commit "
                                         "and directory it packaged (checked against the pinned commit)"))
        if path == "Cargo.lock":
            return _lockfile(data, context)
        if path == "Cargo.toml":
            return _normalised_manifest(data, context)
        if path == ORIG and source is not None:
            return _author_manifest(data, source, context)
        normalised = manifest.load(_data(context.tree, "Cargo.toml"))
        if source is None and path == manifest.build_script(normalised):
            return Comparison(FileResult(path, FileStatus.UNEXPLAINED, None, "build script not in the repository"),
                              (Finding(Severity.HIGH, "OSP112", path, "a build script cargo runs on every machine "
                                       "that builds the crate is not in the repository"),))
        return None

    def release_findings(self, release: Release, tree: PackageTree, context: CompareContext) -> list[Finding]:
        if "Cargo.toml" not in tree.files:
            return [Finding(Severity.HIGH, "OSP110", None, "the crate has no Cargo.toml")]
        findings = []
        vcs = manifest.vcs_info(_data(tree, VCS_INFO))
        if vcs and vcs.sha1:
            mismatch = commit_mismatch(VCS_INFO, vcs.sha1, ".cargo_vcs_info.json", context.commit)
            findings += [mismatch] if mismatch else []
        if vcs and vcs.path_in_vcs != context.subdir.strip("/"):
            findings.append(Finding(Severity.MEDIUM, "OSP116", VCS_INFO, f"packaged from directory "
                                    f"{vcs.path_in_vcs or '(root)'!r}, but the crate's files are in "
                                    f"{context.subdir or '(root)'!r}"))
        findings += _missing_files(tree, context)
        normalised = manifest.load(_data(tree, "Cargo.toml"))
        links = manifest.package(normalised).get("links")
        indexed = release.cargo or CargoPublication()
        if release.cargo is not None and indexed.links != links:
            findings.append(Finding(Severity.HIGH, "OSP115", None, f"the index says the crate links native library "
                                    f"{indexed.links!r}, its Cargo.toml says {links!r}"))
        declared = manifest.dependency_names(normalised)
        extra = sorted(set(indexed.index_dependencies) - declared)
        if extra:
            findings.append(Finding(Severity.HIGH, "OSP113", None, "the index lists dependencies the crate's "
                                    f"Cargo.toml does not declare (cargo resolves with the index): {', '.join(extra)}"))
        return findings

    def recipe(self, source: Path, subdir: str, release: Release, published: PackageTree | None,
               filename: str) -> Recipe:
        from ossprov.ecosystems.cargo import recipe

        return recipe.infer(source, subdir, release, published)

    def toolchain_dirs(self) -> list[Path]:
        from ossprov.ecosystems.cargo import recipe

        return recipe.toolchain_dirs()

    def install_env(self, proxy: str | None) -> dict[str, str]:
        from ossprov.ecosystems.cargo import recipe

        return recipe.install_env(proxy)

    def timewarp_route(self) -> Route | None:
        from ossprov.ecosystems.cargo.timewarp import CargoRoute

        return CargoRoute(registry.index_url())

    def stabilizers(self, published: Image) -> Named:
        from ossprov.ecosystems.cargo import stabilizers

        return stabilizers.stabilizers(published)


def _missing_files(tree: PackageTree, context: CompareContext) -> list[Finding]:
    """Files of the tagged package directory that cargo's include/exclude rules ship but the crate lacks."""
    root = context.content_root
    subtree = [p[len(root):] for p in context.source_files if p.startswith(root)]
    expected = filelist.expected_files(subtree, manifest.load(_data(tree, ORIG)))
    return [Finding(Severity.LOW, "OSP106", path, "cargo's include/exclude rules package this file of the "
                    "source, but the crate lacks it") for path in sorted(expected - set(tree.files))]


def _data(tree: PackageTree, path: str) -> bytes | None:
    found = tree.files.get(path)
    return found.data if found else None


def _normalised_manifest(data: bytes, context: CompareContext) -> Comparison:
    problems = manifest.normalisation_problems(manifest.load(data), manifest.load(_data(context.tree, ORIG)))
    if not problems:
        return Comparison(FileResult("Cargo.toml", FileStatus.NORMALIZED, context.content_root + "Cargo.toml",
                                     "normalised by cargo package from Cargo.toml.orig: no dependency, build "
                                     "script or native link added"))
    rule = "OSP113" if problems[0].startswith("declares dependencies") else "OSP115"
    return Comparison(FileResult("Cargo.toml", FileStatus.MODIFIED, None, "; ".join(problems)),
                      tuple(Finding(Severity.HIGH, rule if i == 0 else "OSP115", "Cargo.toml",
                                    f"the normalised Cargo.toml {p}") for i, p in enumerate(problems)))


def _author_manifest(data: bytes, source: bytes, context: CompareContext) -> Comparison:
    """Cargo.toml.orig is the manifest cargo normalised: any difference from the repository's Cargo.toml can
    change what is built (the normalised one is checked against it, so both could be rewritten together)."""
    added = sorted(manifest.dependency_names(manifest.load(data)) - manifest.dependency_names(manifest.load(source)))
    where = context.content_root + "Cargo.toml"
    if added:
        finding = Finding(Severity.HIGH, "OSP113", ORIG, f"the crate's manifest declares dependencies the "
                          f"repository's does not: {', '.join(added)}")
    else:
        finding = Finding(Severity.HIGH, "OSP115", ORIG, "the crate's manifest differs from the repository's")
    return Comparison(FileResult(ORIG, FileStatus.MODIFIED, where, "differs from the repository's Cargo.toml",
                                 unified_diff(source, data, ORIG)), (finding,))


def _locked(data: bytes | None) -> set[tuple[str, str, str]] | None:
    """(name, version, checksum) of the registry and git packages a Cargo.lock pins."""
    packages = manifest.lock_packages(data)
    if packages is None:
        return None
    return {(str(p.get("name")), str(p.get("version")), str(p.get("checksum", ""))) for p in packages}


def _lockfile(data: bytes, context: CompareContext) -> Comparison:
    """cargo package writes a Cargo.lock resolved for the crate alone: it pins nothing the repository's own
    Cargo.lock (in the crate's directory or a workspace root above it) does not."""
    locked = _locked(data)
    parts = context.subdir.split("/") if context.subdir else []
    repo_lock: set[tuple[str, str, str]] = set()
    for depth in range(len(parts), -1, -1):
        found = _locked(context.read_source("/".join([*parts[:depth], "Cargo.lock"])))
        repo_lock |= found or set()
    if locked is not None and locked <= repo_lock:
        return Comparison(FileResult("Cargo.lock", FileStatus.NORMALIZED, None, "lockfile cargo package writes: "
                                     "every package it pins is pinned so in the repository"))
    return Comparison(FileResult("Cargo.lock", FileStatus.GENERATED, None, "lockfile cargo package resolved "
                                 "(pins packages the repository's Cargo.lock does not)"))


ECOSYSTEM = Crates()
