"""npm: packuments from the configured registry, tarballs, package.json, and what `npm publish` rewrites."""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from packageurl import PackageURL

from ossprov import http
from ossprov.archive import read_archive, strip_root
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
from ossprov.ecosystems.npm import cleaned, dualpublish, filelist, manifest_confusion, normalize
from ossprov.ecosystems.npm.hints import repository_hints, text
from ossprov.ecosystems.npm.registry import packument_url, registry_url
from ossprov.errors import NotFoundError, RegistryError, VersionRemovedError
from ossprov.http import without_credentials
from ossprov.model import (
    ArtifactRef,
    Finding,
    NpmPublication,
    PackageTree,
    Release,
    Severity,
    SourceHint,
)
from ossprov.purls import package_name
from ossprov.source import discover
from ossprov.source.urls import repo_links_in_text

if TYPE_CHECKING:  # the build concern's types: its modules load when a rebuild asks (verify starts without them)
    from ossprov.verify.recipe import Recipe
    from ossprov.verify.timewarp import Route

INSTALL_HOOKS = ("preinstall", "install", "postinstall", "prepare", "preuninstall", "uninstall", "postuninstall")
BUILD_SCRIPTS = ("build", "prepare", "prepack", "prepublish", "prepublishOnly", "postpack", "compile", "dist")


def _people(value: Any) -> tuple[str, ...]:
    names = []
    for person in value if isinstance(value, list) else []:
        if isinstance(person, dict) and text(person.get("name")):
            names.append(person["name"])
        elif text(person):
            names.append(person.split("<")[0].strip())
    return tuple(names)


class Npm(Ecosystem):
    purl_type = "npm"
    manifest_files = ("package.json",)
    history_with_release = True
    direct_commit_kind = "gitHead"
    declares_directory = True

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
        digests = sri_to_hex(dist.get("integrity", "")) if text(dist.get("integrity")) else {}
        if text(dist.get("shasum")):
            digests["sha1"] = dist["shasum"].lower()
        artifacts: tuple[ArtifactRef, ...] = ()
        if text(dist.get("tarball")):
            artifacts = (ArtifactRef(posixpath.basename(urlsplit(dist["tarball"]).path), dist["tarball"], "tgz",
                                     digests),)
        missing = [f for f, present in (("gitHead", "gitHead" in meta), ("time", purl.version in times),
                                        ("dist.integrity", "integrity" in dist)) if not present]
        hints = repository_hints(meta)
        if text(doc.get("readme")):
            hints += [SourceHint(u, "readme-link") for u in repo_links_in_text(doc["readme"], 20)]
            hints += discover.hints_in_text(doc["readme"])
        hints += discover.account_hints(name, _people(meta.get("maintainers")), hints)
        npm_user = meta.get("_npmUser")
        return Release(
            purl=purl.to_string(), ecosystem="npm", name=name, version=version,
            artifacts=artifacts, hints=tuple(hints), published_at=text(times.get(version)),
            maintainers=_people(meta.get("maintainers")),
            deprecated=text(meta.get("deprecated")), missing_fields=tuple(missing),
            npm=NpmPublication(
                node_version=text(meta.get("_nodeVersion")), npm_version=text(meta.get("_npmVersion")),
                npm_user=text(npm_user.get("name")) if isinstance(npm_user, dict) else None,
                scripts=_mapping(meta.get("scripts")), engines=_mapping(meta.get("engines")),
                attestations=dist.get("attestations"), git_head=text(meta.get("gitHead")),
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
                version, text(times.get(version)), _people(meta.get("maintainers")),
                user.get("name") if isinstance(user, dict) else None, text(meta.get("deprecated")),
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
        manifest = normalize.package_json(tree.files["package.json"].data) if "package.json" in tree.files else {}
        return Release(purl=purl.to_string(), ecosystem="npm", name=package_name(purl), version=purl.version or "",
                       missing_fields=("registry",),
                       npm=NpmPublication(scripts=manifest.get("scripts") or {}, git_head=text(manifest.get("gitHead"))))

    def artifact_hints(self, tree: PackageTree) -> list[SourceHint]:
        hints: list[SourceHint] = []
        if "package.json" in tree.files:
            hints += repository_hints(normalize.package_json(tree.files["package.json"].data))
        return hints + readme_hints(tree)

    def read_manifest(self, read: ReadSource, subdir: str) -> Manifest | None:
        path = posixpath.join(subdir, "package.json") if subdir else "package.json"
        raw = read(path)
        if raw is None:
            return None
        doc = normalize.package_json(raw)
        return Manifest(path, text(doc.get("name")), text(doc.get("version")), doc)

    def tag_names(self, name: str, version: str) -> list[str]:
        short = name.rsplit("/", 1)[-1]
        names = [f"v{version}", version, f"{name}@{version}", f"{short}@{version}", f"{short}-v{version}",
                 f"{short}-{version}", f"{name}-v{version}", f"release-{version}", f"release/{version}",
                 f"{short}/v{version}", f"v{version}-{short}"]
        return list(dict.fromkeys(names))

    def explain(self, path: str, data: bytes, source: bytes | None, context: CompareContext) -> Comparison | None:
        dual = dualpublish.explain(path, data, source, context)
        if dual is not None:
            return dual
        if path == "package.json" and source is not None:
            compare = cleaned.compare_package_json if _publish_cleaner(context) else normalize.compare_package_json
            return compare(data, source)
        cleaner = _publish_cleaner(context) if source is not None and path.endswith(cleaned.SCRIPT_EXTS) else None
        if source is not None and cleaner:
            return cleaned.explain(path, data, source, context.content_root, cleaner)
        if source is None:
            from ossprov.ecosystems.npm import generated  # only a file absent from the source needs it

            return generated.explain_js_output(path, data, context, _build_scripts(context))
        return None

    def release_findings(self, release: Release, tree: PackageTree, context: CompareContext) -> list[Finding]:
        if "package.json" not in tree.files:
            return [Finding(Severity.HIGH, "OSP110", None, "the tarball has no package.json")]
        published = normalize.package_json(tree.files["package.json"].data)
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
        return manifest_confusion.findings(release.npm.install, normalize.package_json(tree.files["package.json"].data),
                                           release.name, "binding.gyp" in tree.files, tree.files)

    def version_document(self, tree: PackageTree) -> dict[str, Any] | None:
        return normalize.package_json(tree.files["package.json"].data) if "package.json" in tree.files else {}

    def comparable_files(self, tree: PackageTree) -> dict[str, bytes]:
        return dualpublish.comparable_files(tree)

    def listed_files(self, context: CompareContext) -> list[str]:
        return filelist.expected_files(context)

    def recipe(self, source: Path, subdir: str, release: Release, published: PackageTree | None,
               filename: str) -> Recipe:
        from ossprov.ecosystems.npm import recipe

        return recipe.infer(source, subdir, release, published)

    def toolchain_dirs(self) -> list[Path]:
        from ossprov.verify.sandbox import tool_prefixes

        return tool_prefixes("node", "npm")

    def install_env(self, proxy: str | None) -> dict[str, str]:
        npm = f"{proxy}/npm/" if proxy else without_credentials(registry_url())
        # yarn 2+ reads neither npm's variable nor .npmrc, and asks plain-HTTP registries only of hosts it is told of
        return {"npm_config_registry": npm, "COREPACK_NPM_REGISTRY": npm.rstrip("/"),
                "YARN_NPM_REGISTRY_SERVER": npm.rstrip("/"), "YARN_UNSAFE_HTTP_WHITELIST": "127.0.0.1"}

    def timewarp_route(self) -> Route | None:
        from ossprov.ecosystems.npm.timewarp import NpmRoute

        return NpmRoute(registry_url())


def _mapping(value: Any) -> dict[str, Any]:
    """A JSON object of a registry document, or an empty one when the registry sent something else."""
    return value if isinstance(value, dict) else {}


def _script(doc: dict[str, Any], name: str) -> str | None:
    scripts = doc.get("scripts")
    value = scripts.get(name) if isinstance(scripts, dict) else None
    return value if isinstance(value, str) else None


def _publish_cleaner(context: CompareContext) -> str | None:
    """The publish step that strips comments the repository uses, when the package's (or the monorepo root's)
    devDependencies name one (looked up once per comparison: every differing script asks)."""
    if "publish-cleaner" not in context.notes:
        manifests = [context.manifest.data if context.manifest else {}]
        if context.subdir:
            manifests.append(normalize.package_json(context.read_source("package.json") or b"{}"))
        named = {name for m in manifests if isinstance(m.get("devDependencies"), dict) for name in m["devDependencies"]}
        context.notes["publish-cleaner"] = next((c for c in cleaned.PUBLISH_CLEANERS if c in named), None)
    return context.notes["publish-cleaner"]


def _build_scripts(context: CompareContext) -> list[str]:
    doc = context.manifest.data if context.manifest else {}
    return [s for s in BUILD_SCRIPTS if _script(doc, s)]


ECOSYSTEM = Npm()
