"""npm: packuments from the configured registry, tarballs, package.json, and what `npm publish` rewrites."""

from __future__ import annotations

import json
import posixpath
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from packageurl import PackageURL

from ossprov import http
from ossprov.archive import read_archive, strip_root
from ossprov.config import explicit_registry, npm_configured_registry
from ossprov.ecosystems.common import readme_hints, sri_to_hex
from ossprov.ecosystems.interface import (
    CompareContext,
    Comparison,
    Ecosystem,
    Manifest,
    PackageHistory,
    ReadSource,
    VersionInfo,
    once_per_run,
)
from ossprov.errors import InputError, NotFoundError, RegistryError, VersionRemovedError
from ossprov.model import (
    ArtifactRef,
    FileResult,
    FileStatus,
    Finding,
    NpmPublication,
    PackageTree,
    Release,
    Severity,
    SourceHint,
)
from ossprov.purls import package_name
from ossprov.source import discover
from ossprov.verify import generated, manifest_confusion

INSTALL_HOOKS = ("preinstall", "install", "postinstall", "prepare", "preuninstall", "uninstall", "postuninstall")
BUILD_SCRIPTS = ("build", "prepare", "prepack", "prepublish", "prepublishOnly", "postpack", "compile", "dist")
PUBLISH_FIELDS = frozenset({
    "gitHead", "_id", "_from", "_resolved", "_integrity", "_npmVersion", "_nodeVersion", "_npmUser", "_shasum",
    "_where", "_args", "_spec", "_requested", "_phantomChildren", "_location", "_inBundle", "_development",
    "_optional", "_hasShrinkwrap", "_engineSupported", "_defaultsLoaded", "_npmOperationalInternal",
    "readme", "readmeFilename", "dist", "directories", "_shrinkwrap",
})
"""Fields npm (old and new) adds or rewrites in the published package.json."""


def registry_url() -> str:
    """The npm registry base URL, with a trailing slash."""
    url = explicit_registry("npm") or npm_configured_registry()
    if not url:
        raise InputError("no npm registry configured: set OSSPROV_NPM_REGISTRY or `npm config set registry`")
    return url if url.endswith("/") else url + "/"


def packument_url(name: str) -> str:
    return registry_url() + quote(name, safe="@")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def repository_hints(manifest: dict[str, Any], origin_prefix: str = "") -> list[SourceHint]:
    """Source hints from a package.json-shaped document (a packument version or the tarball's own)."""
    hints: list[SourceHint] = []
    repo = manifest.get("repository")
    git_head = _text(manifest.get("gitHead"))
    if isinstance(repo, dict) and _text(repo.get("url")):
        hints.append(SourceHint(repo["url"], origin_prefix + "declared-repository",
                                subdir=(_text(repo.get("directory")) or "").strip("/"), commit=git_head))
    elif isinstance(repo, str) and _text(repo):
        hints.append(SourceHint(repo, origin_prefix + "declared-repository", commit=git_head))
    if _text(manifest.get("homepage")):
        hints.append(SourceHint(manifest["homepage"], origin_prefix + "homepage"))
    bugs = manifest.get("bugs")
    bugs_url = bugs.get("url") if isinstance(bugs, dict) else bugs
    if isinstance(bugs_url, str) and _text(bugs_url):
        hints.append(SourceHint(bugs_url.removesuffix("/issues"), origin_prefix + "bugs"))
    return hints


def _people(value: Any) -> tuple[str, ...]:
    names = []
    for person in value if isinstance(value, list) else []:
        if isinstance(person, dict) and _text(person.get("name")):
            names.append(person["name"])
        elif _text(person):
            names.append(person.split("<")[0].strip())
    return tuple(names)


class Npm(Ecosystem):
    purl_type = "npm"
    manifest_files = ("package.json",)
    history_with_release = True
    direct_commit_kind = "gitHead"

    def _packument(self, name: str) -> dict[str, Any]:
        url = packument_url(name)
        doc = once_per_run(url, lambda: http.client().get_json(url))
        if not isinstance(doc, dict):
            raise RegistryError(f"the npm registry sent a malformed document for {name}")
        if "error" in doc and "versions" not in doc:
            raise NotFoundError(f"npm package {name} not found ({doc.get('error')})")
        return doc

    def release(self, purl: PackageURL) -> Release:
        name = package_name(purl)
        doc = self._packument(name)
        versions, times = _mapping(doc.get("versions")), _mapping(doc.get("time"))
        version = purl.version or ""
        meta = versions.get(version)
        if not isinstance(meta, dict):
            if purl.version in times or isinstance(times.get("unpublished"), dict):
                when = times.get(version)
                raise VersionRemovedError(
                    f"npm {name}@{purl.version} is no longer served (unpublished"
                    + (f"; it was published {when})" if when else ")")
                )
            raise NotFoundError(f"npm package {name} has no version {purl.version}")
        dist = _mapping(meta.get("dist"))
        digests = sri_to_hex(dist.get("integrity", "")) if _text(dist.get("integrity")) else {}
        if _text(dist.get("shasum")):
            digests["sha1"] = dist["shasum"].lower()
        artifacts: tuple[ArtifactRef, ...] = ()
        if _text(dist.get("tarball")):
            artifacts = (ArtifactRef(posixpath.basename(urlsplit(dist["tarball"]).path), dist["tarball"], "tgz",
                                     digests),)
        missing = [f for f, present in (("gitHead", "gitHead" in meta), ("time", purl.version in times),
                                        ("dist.integrity", "integrity" in dist)) if not present]
        hints = repository_hints(meta)
        if _text(doc.get("readme")):
            from ossprov.source.urls import repo_links_in_text

            hints += [SourceHint(u, "readme-link") for u in repo_links_in_text(doc["readme"], 20)]
            hints += discover.hints_in_text(doc["readme"])
        hints += discover.account_hints(name, _people(meta.get("maintainers")), hints)
        npm_user = meta.get("_npmUser")
        return Release(
            purl=purl.to_string(), ecosystem="npm", name=name, version=version,
            artifacts=artifacts, hints=tuple(hints), published_at=_text(times.get(version)),
            maintainers=_people(meta.get("maintainers")),
            deprecated=_text(meta.get("deprecated")), missing_fields=tuple(missing),
            npm=NpmPublication(
                node_version=_text(meta.get("_nodeVersion")), npm_version=_text(meta.get("_npmVersion")),
                npm_user=_text(npm_user.get("name")) if isinstance(npm_user, dict) else None,
                scripts=_mapping(meta.get("scripts")), engines=_mapping(meta.get("engines")),
                attestations=dist.get("attestations"), git_head=_text(meta.get("gitHead")),
                install={k: meta[k] for k in (*manifest_confusion.INSTALL_FIELDS, "bundledDependencies")
                         if k in meta},
            ),
        )

    def history(self, name: str) -> PackageHistory | None:
        try:
            doc = self._packument(name)
        except NotFoundError:
            return None
        versions, times = _mapping(doc.get("versions")), _mapping(doc.get("time"))
        infos = []
        for version, meta in versions.items():
            meta = meta if isinstance(meta, dict) else {}
            user = meta.get("_npmUser")
            infos.append(VersionInfo(
                version, _text(times.get(version)), _people(meta.get("maintainers")),
                user.get("name") if isinstance(user, dict) else None, _text(meta.get("deprecated")),
            ))
        infos.sort(key=lambda v: v.published_at or "")
        latest = versions.get(_mapping(doc.get("dist-tags")).get("latest", ""), {})
        repo = latest.get("repository") if isinstance(latest, dict) else None
        return PackageHistory(
            "npm", name, tuple(infos), _people(doc.get("maintainers")),
            repository=(repo.get("url") if isinstance(repo, dict) else repo) if repo else None,
            missing_fields=() if times else ("time",),
        )

    def choose_artifact(self, release: Release) -> ArtifactRef | None:
        return release.artifacts[0] if release.artifacts else None

    def read_artifact(self, path: Path, filename: str) -> PackageTree:
        return strip_root(read_archive(path, filename))

    def artifact_release(self, purl: PackageURL, tree: PackageTree) -> Release:
        manifest = _json(tree.files["package.json"].data) if "package.json" in tree.files else {}
        return Release(purl=purl.to_string(), ecosystem="npm", name=package_name(purl), version=purl.version or "",
                       missing_fields=("registry",),
                       npm=NpmPublication(scripts=manifest.get("scripts") or {}, git_head=_text(manifest.get("gitHead"))))

    def artifact_hints(self, tree: PackageTree) -> list[SourceHint]:
        hints: list[SourceHint] = []
        if "package.json" in tree.files:
            hints += repository_hints(_json(tree.files["package.json"].data))
        return hints + readme_hints(tree)

    def read_manifest(self, read: ReadSource, subdir: str) -> Manifest | None:
        path = posixpath.join(subdir, "package.json") if subdir else "package.json"
        raw = read(path)
        if raw is None:
            return None
        doc = _json(raw)
        return Manifest(path, _text(doc.get("name")), _text(doc.get("version")), doc)

    def tag_names(self, name: str, version: str) -> list[str]:
        short = name.rsplit("/", 1)[-1]
        names = [f"v{version}", version, f"{name}@{version}", f"{short}@{version}", f"{short}-v{version}",
                 f"{short}-{version}", f"{name}-v{version}", f"release-{version}", f"release/{version}",
                 f"{short}/v{version}", f"v{version}-{short}"]
        return list(dict.fromkeys(names))

    def explain(self, path: str, data: bytes, source: bytes | None, context: CompareContext) -> Comparison | None:
        if path == "package.json" and source is not None:
            return _compare_package_json(data, source)
        if source is None:
            return generated.explain_js_output(path, data, context, _build_scripts(context))
        return None

    def release_findings(self, release: Release, tree: PackageTree, context: CompareContext) -> list[Finding]:
        if "package.json" not in tree.files:
            return [Finding(Severity.HIGH, "OSP110", None, "the tarball has no package.json")]
        published = _json(tree.files["package.json"].data)
        source = context.manifest.data if context.manifest else {}
        findings = []
        for hook in INSTALL_HOOKS:
            ours, theirs = _script(published, hook), _script(source, hook)
            if ours != theirs:
                what = "added" if theirs is None else ("removed" if ours is None else "changed")
                findings.append(Finding(
                    Severity.HIGH if ours is not None else Severity.LOW, "OSP111", "package.json",
                    f"install-time script `{hook}` {what} compared with the repository: {ours!r}",
                ))
        if "binding.gyp" in tree.files and not any(p.endswith("binding.gyp") for p in context.source_files):
            findings.append(Finding(Severity.HIGH, "OSP112", "binding.gyp",
                                    "binding.gyp (runs a native build at install) is not in the repository"))
        return findings

    def artifact_findings(self, release: Release, tree: PackageTree) -> list[Finding]:
        """Manifest confusion needs no source: npm installs from the registry's version object, which must say
        what the tarball's package.json says about everything an install acts on."""
        if "package.json" not in tree.files or release.npm is None:
            return []
        return manifest_confusion.findings(release.npm.install, _json(tree.files["package.json"].data),
                                           release.name, "binding.gyp" in tree.files, tree.files)


def _mapping(value: Any) -> dict[str, Any]:
    """A JSON object of a registry document, or an empty one when the registry sent something else."""
    return value if isinstance(value, dict) else {}


def _script(doc: dict[str, Any], name: str) -> str | None:
    scripts = doc.get("scripts")
    value = scripts.get(name) if isinstance(scripts, dict) else None
    return value if isinstance(value, str) else None


def _build_scripts(context: CompareContext) -> list[str]:
    doc = context.manifest.data if context.manifest else {}
    return [s for s in BUILD_SCRIPTS if _script(doc, s)]


def _json(raw: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _without_publish_fields(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in PUBLISH_FIELDS}


def _resolve_workspace_protocol(source: dict[str, Any], published: dict[str, Any]) -> dict[str, Any]:
    """Replace `workspace:` dependency ranges (rewritten to real versions at publish) by the published ones."""
    out = dict(source)
    for field in ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies"):
        deps, pub = source.get(field), published.get(field)
        if isinstance(deps, dict) and isinstance(pub, dict):
            out[field] = {k: (pub.get(k, v) if isinstance(v, str) and v.startswith("workspace:") else v)
                          for k, v in deps.items()}
    return out


def _compare_package_json(data: bytes, source: bytes) -> Comparison:
    published, src = _json(data), _json(source)
    if not published:
        return Comparison(FileResult("package.json", FileStatus.MODIFIED, reason="not valid JSON"))
    notes = []
    pub_n, src_n = _without_publish_fields(published), _without_publish_fields(src)
    if pub_n.get("version") != src_n.get("version"):
        notes.append(f"version set at publish ({src_n.get('version')!r} → {pub_n.get('version')!r})")
        src_n["version"] = pub_n.get("version")
    resolved = _resolve_workspace_protocol(src_n, pub_n)
    if resolved != src_n:
        notes.append("workspace: dependency ranges resolved at publish")
        src_n = resolved
    if pub_n == src_n:
        reason = "same document once publish-time fields are set aside" + (f"; {'; '.join(notes)}" if notes else "")
        return Comparison(FileResult("package.json", FileStatus.NORMALIZED, "package.json", reason))
    changed = sorted(k for k in set(pub_n) | set(src_n) if pub_n.get(k) != src_n.get(k))
    findings = []
    for field in ("dependencies", "optionalDependencies", "bundleDependencies", "bundledDependencies"):
        pub_deps, src_deps = pub_n.get(field) or {}, src_n.get(field) or {}
        if isinstance(pub_deps, dict) and isinstance(src_deps, dict):
            added = sorted(set(pub_deps) - set(src_deps))
            if added:
                findings.append(Finding(Severity.HIGH, "OSP113", "package.json",
                                        f"{field} not in the repository's package.json: {', '.join(added)}"))
    for field in ("main", "module", "bin", "exports", "browser"):
        if field not in changed:
            continue
        if field in pub_n:
            findings.append(Finding(Severity.HIGH, "OSP114", "package.json",
                                    f"entry point `{field}` differs from the repository"))
        else:  # dropped at publish (build tools strip `exports` for older resolvers): nothing new can run
            findings.append(Finding(Severity.MEDIUM, "OSP115", "package.json",
                                    f"entry point `{field}` was removed at publish"))
    if not findings:
        findings.append(Finding(Severity.MEDIUM, "OSP115", "package.json",
                                f"fields differ from the repository: {', '.join(changed)}"))
    return Comparison(
        FileResult("package.json", FileStatus.MODIFIED, "package.json",
                   f"fields differ from the repository: {', '.join(changed)}"),
        tuple(findings),
    )


ECOSYSTEM = Npm()
