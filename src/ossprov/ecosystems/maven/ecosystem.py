"""Maven: POMs and jars from the configured repository (local repository first), <scm> through parent POMs,
commits embedded in jars, and the rule that every compiled class must come from a source file at the commit
that declares what the class declares (`ossprov.ecosystems.maven.classfiles`).

The sources jar is preferred for comparison (its files are the repository's src/main/java tree); the binary jar
is then checked too, in `release_findings`, class by class. What the build writes (classes, filtered resources,
filled-in templates, shaded classes) is explained in `ossprov.ecosystems.maven.generated`.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from packageurl import PackageURL

from ossprov.archive import read_archive
from ossprov.cache import ArtifactCache
from ossprov.ecosystems.common import commit_mismatch
from ossprov.ecosystems.interface import (
    CompareContext,
    Comparison,
    Ecosystem,
    Manifest,
    PackageHistory,
    ReadSource,
    VersionInfo,
)
from ossprov.ecosystems.maven import generated, jars, recipe
from ossprov.ecosystems.maven.pom import Effective, effective, pom_path, read_pom
from ossprov.ecosystems.maven.registry import fetch, iso_time, local_repository, remote_url, repository_url
from ossprov.ecosystems.xmlsafe import parse_xml
from ossprov.errors import InputError, NotFoundError, RegistryError
from ossprov.http import client
from ossprov.model import (
    ArtifactRef,
    FileResult,
    FileStatus,
    Finding,
    MavenPublication,
    PackageFile,
    PackageTree,
    Release,
    Severity,
    SourceHint,
)
from ossprov.purls import package_name
from ossprov.verify.recipe import Recipe

JAR_PACKAGINGS = frozenset({"jar", "bundle", "maven-plugin", "ejb", "eclipse-plugin", "takari-jar"})


def _coords(purl: PackageURL) -> tuple[str, str, str]:
    if not purl.namespace or not purl.version:
        raise InputError(f"a Maven purl needs a group and a version: {purl.to_string()}")
    return purl.namespace, purl.name, purl.version


def _digests(path: str) -> dict[str, str]:
    out = {}
    for algo in ("sha256", "sha1"):
        found = fetch(f"{path}.{algo}")
        if found:
            value = found.data.decode("ascii", "replace").split()
            if value:
                out[algo] = value[0].lower()
    return out


def _is_packaging_metadata(path: str) -> bool:
    name = posixpath.basename(path)
    return (path == "META-INF/MANIFEST.MF" or path.startswith("META-INF/maven/") or name == "git.properties"
            or path == "META-INF/INDEX.LIST" or (path.startswith("META-INF/") and name.endswith((".SF", ".RSA",
                                                                                                  ".DSA", ".EC"))))


def scm_hints(eff: Effective) -> list[SourceHint]:
    hints = []
    tag = eff.scm.get("tag")
    tag = eff.interpolate(tag) if tag and tag != "HEAD" else None
    origin = "declared-repository" if eff.scm_from is None else "declared-repository-parent"
    # The connections name the git repository; <url> is often a web view (gitweb, gitbox) of it.
    for key in ("connection", "developerConnection", "url"):
        if eff.scm.get(key):
            hints.append(SourceHint(jars.scm_url(eff.interpolate(eff.scm[key])), origin, tag=tag))
    if eff.url:
        hints.append(SourceHint(eff.interpolate(eff.url), "homepage"))
    return hints


class Maven(Ecosystem):
    purl_type = "maven"
    manifest_files = ("pom.xml",)

    def configured_local_bases(self) -> list[str]:
        """Maven reads its local repository first and may be configured with a `file://` repository."""
        bases = [local_repository().as_uri() + "/"]
        return bases + ([repository_url()] if repository_url().startswith("file:") else [])

    def release(self, purl: PackageURL) -> Release:
        group, artifact, version = _coords(purl)
        path = pom_path(group, artifact, version)
        found = fetch(path)
        if found is None:
            raise NotFoundError(f"Maven artifact {group}:{artifact}:{version} not found (no POM)")
        pom = read_pom(found.data, f"POM of {group}:{artifact}:{version}", RegistryError)
        eff = effective(pom)
        artifacts = [ArtifactRef(posixpath.basename(path), remote_url(path), "pom", _digests(path))]
        if pom.packaging in JAR_PACKAGINGS:
            jar = pom_path(group, artifact, version, ".jar")
            artifacts.append(ArtifactRef(posixpath.basename(jar), remote_url(jar), "jar", _digests(jar)))
            sources = pom_path(group, artifact, version, "-sources.jar")
            sources_digests = _digests(sources)
            if sources_digests:
                artifacts.append(ArtifactRef(posixpath.basename(sources), remote_url(sources), "sources-jar",
                                             sources_digests))
        missing = [f"parent-pom:{eff.missing_parent}"] if eff.missing_parent else []
        return Release(purl=purl.to_string(), ecosystem="maven", name=package_name(purl), version=version,
                       artifacts=tuple(artifacts), hints=tuple(scm_hints(eff)),
                       published_at=iso_time(found.last_modified), missing_fields=tuple(missing),
                       maven=MavenPublication(pom.packaging, eff.scm, eff.scm_from))

    def history(self, name: str) -> PackageHistory | None:
        group, _, artifact = name.partition(":")
        found = fetch(f"{group.replace('.', '/')}/{artifact}/maven-metadata.xml", local_first=False)
        if found is None:
            return None
        root = parse_xml(found.data, f"maven-metadata.xml of {name}", RegistryError)
        versions = [(v.text or "").strip() for v in root.iterfind("versioning/versions/version")]
        return PackageHistory("maven", name, tuple(VersionInfo(v) for v in versions if v),
                              missing_fields=("published_at",))

    def choose_artifact(self, release: Release) -> ArtifactRef | None:
        order = {"sources-jar": 0, "jar": 1, "pom": 2}
        return min(release.artifacts, key=lambda a: order.get(a.kind, 3), default=None)

    def read_artifact(self, path: Path, filename: str) -> PackageTree:
        if filename.endswith(".pom"):
            return PackageTree({"pom.xml": PackageFile("pom.xml", path.read_bytes())})
        return read_archive(path, filename)

    def artifact_release(self, purl: PackageURL, tree: PackageTree) -> Release:
        return Release(purl=purl.to_string(), ecosystem="maven", name=package_name(purl), version=purl.version or "",
                       missing_fields=("registry",))

    def artifact_hints(self, tree: PackageTree) -> list[SourceHint]:
        hints: list[SourceHint] = []
        embedded = jars.embedded_commit(tree)
        poms = [p for p in sorted(tree.files) if p.startswith("META-INF/maven/") and p.endswith("/pom.xml")]
        if poms:
            inner = read_pom(tree.files[poms[0]].data, f"{poms[0]} in the jar", InputError)
            hints += [h for h in scm_hints(Effective(inner, dict(inner.scm), None, inner.url,
                                                     dict(inner.properties)))]
        hints += jars.manifest_hints(tree)
        props = jars.git_properties(tree)
        if props.get("git.remote.origin.url"):
            hints.append(SourceHint(props["git.remote.origin.url"], "git-properties-remote"))
        if embedded:
            # The commit is the jar's own claim; it names no repository (an empty URL ranks no candidate), and
            # the pipeline pins it in whichever candidate the POM and registry name.
            hints.insert(0, SourceHint("", f"embedded-commit:{embedded[1]}", commit=embedded[0]))
        return hints

    def read_manifest(self, read: ReadSource, subdir: str) -> Manifest | None:
        path = f"{subdir}/pom.xml" if subdir else "pom.xml"
        raw = read(path)
        if raw is None:
            return None
        try:
            pom = read_pom(raw, path, InputError)
        except InputError:
            return None
        version = pom.version if pom.version and "${" not in pom.version else None
        name = f"{pom.group}:{pom.artifact}" if pom.group else pom.artifact
        return Manifest(path, name, version, {"packaging": pom.packaging})

    def tag_names(self, name: str, version: str) -> list[str]:
        artifact = name.rsplit(":", 1)[-1]
        names = [f"v{version}", version, f"{artifact}-{version}", f"{artifact}-v{version}",
                 f"rel/{artifact}-{version}", f"release-{version}", f"release/{version}", f"{artifact}/v{version}",
                 f"{artifact}-parent-{version}", f"r{version}"]
        return list(dict.fromkeys(names))

    def comparable_files(self, tree: PackageTree) -> dict[str, bytes]:
        return {p: f.data for p, f in tree.files.items()
                if not _is_packaging_metadata(p) and not p.endswith(".class")}

    def explain(self, path: str, data: bytes, source: bytes | None, context: CompareContext) -> Comparison | None:
        if _is_packaging_metadata(path):
            return Comparison(FileResult(path, FileStatus.NORMALIZED, None,
                                         "packaging metadata written by the Maven build (MANIFEST.MF, "
                                         "META-INF/maven, git.properties, signatures)"))
        if path.endswith(".class"):
            return generated.explain_class(path, data, context)
        if source is None:
            return generated.sibling_root(path, data, context) or generated.template(path, data, context)
        # a committed file a build step overwrites (JUnit 4 commits Version.java with a -SNAPSHOT id and fills it
        # from Version.java.template): the published file must be that template exactly, filled in
        return (generated.filtered(path, context.content_root + path, source, data, context)
                or generated.template(path, data, context))

    def release_findings(self, release: Release, tree: PackageTree, context: CompareContext) -> list[Finding]:
        findings = _embedded_mismatch(tree, context, "")
        if jars.is_binary_jar(tree):
            return findings
        jar = next((a for a in release.artifacts if a.kind == "jar"), None)
        if jar is None:
            return findings
        path, digests = ArtifactCache().fetch(jar.url, lambda dest: client().download(jar.url, dest))
        if self.digest_matches(jar, digests) is False:
            findings.append(Finding(Severity.HIGH, "OSP100", jar.filename,
                                    "the binary jar does not match the digest the repository publishes"))
        binary = read_archive(path, jar.filename)
        findings += _embedded_mismatch(binary, context, f"{jar.filename}!")
        for class_path in sorted(p for p in binary.files if p.endswith(".class")):
            comparison = generated.explain_class(class_path, binary.files[class_path].data, context)
            findings += [Finding(f.severity, f.rule, f"{jar.filename}!{f.path}", f.message)
                         for f in comparison.findings]
        return findings

    def recipe(self, source: Path, subdir: str, release: Release, published: PackageTree | None,
               filename: str) -> Recipe:
        return recipe.infer(source, subdir, published, filename)


def _embedded_mismatch(tree: PackageTree, context: CompareContext, prefix: str) -> list[Finding]:
    """OSP116 when the jar's git.properties or MANIFEST names another commit than the pinned one."""
    embedded = jars.embedded_commit(tree)
    if embedded is None:
        return []
    commit, where = embedded
    path = "META-INF/MANIFEST.MF" if where.startswith("MANIFEST") else jars.git_properties_path(tree)
    found = commit_mismatch(f"{prefix}{path}", commit, where, context.commit)
    return [found] if found else []


ECOSYSTEM = Maven()
