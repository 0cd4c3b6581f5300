"""Go modules: the module zip from the configured proxy, its repository from the module path, its commit from
the tag (`DIR/vX.Y.Z` for a module in a subdirectory) or the pseudo-version, and the zip checked against the
commit's subtree by the go command's own zip rules (`ziprules`): every file the go command would put in the
zip must be there unchanged, and nothing else.

The `h1:` hash the go.sum of a project records is computed from the zip the proxy serves and kept as the
release's `h1` digest, so a scan of go.sum catches a module modified at rest. Retracted versions (`retract`
in the go.mod of the module's latest version) and deprecated modules are reported as deprecated.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from packageurl import PackageURL

from ossprov import http
from ossprov.archive import read_archive
from ossprov.cache import ArtifactCache
from ossprov.ecosystems.common import commit_mismatch, is_code
from ossprov.ecosystems.golang import gomod, modpath, proxy, sumdb, ziprules
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
from ossprov.errors import InputError, NotFoundError, RegistryError
from ossprov.model import (
    ArtifactRef,
    FileResult,
    FileStatus,
    Finding,
    GoPublication,
    PackageFile,
    PackageTree,
    Release,
    Severity,
    SourceHint,
)
from ossprov.source import urls

LINKED_SUFFIXES = (".s", ".S", ".sx", ".syso", ".m", ".cxx", ".hh", ".f", ".F", ".for", ".f90")
"""Files the go command assembles, compiles or links into a binary besides .go/.c/.h: code too."""
HISTORY_TIMES = 20
"""Versions whose `.info` time a history fetches (newest first): enough for release cadence, one request each."""


def module_path(purl: PackageURL) -> str:
    return f"{purl.namespace}/{purl.name}" if purl.namespace else purl.name


def _time(module: str, version: str) -> str | None:
    try:
        _, info = proxy.info(module, version)
    except (NotFoundError, RegistryError):
        return None
    return info.get("Time") if isinstance(info.get("Time"), str) else None


def _is_code(path: str) -> bool:
    return is_code(path) or path.endswith(LINKED_SUFFIXES)


def _latest_go_mod(module: str) -> tuple[str, gomod.GoMod] | None:
    """The go.mod of the module's latest version (where retractions and deprecation are declared)."""
    listed = proxy.versions(module)
    releases = [v for v in listed if modpath.SEMVER.match(v) and "-" not in v]
    chosen = max(releases or listed, key=modpath.semver_key, default=None)
    if chosen is None:
        return None
    try:
        text = proxy.fetch(module, f"{modpath.escape(chosen)}.mod").body.decode("utf-8", "replace")
    except NotFoundError:
        return None
    return chosen, gomod.parse(text)


def _standing(module: str, version: str) -> str | None:
    latest = _latest_go_mod(module)
    if latest is None:
        return None
    name, parsed = latest
    retraction = parsed.retraction(version)
    if retraction is not None:
        return f"retracted in the go.mod of {name}" + (f": {retraction.rationale}" if retraction.rationale else "")
    return f"the module is deprecated: {parsed.deprecated}" if parsed.deprecated else None


def _zip_h1(url: str) -> str | None:
    """The go.sum hash of the zip at `url` (downloaded once, into the cache the pipeline reads it from)."""
    path, _ = ArtifactCache().fetch(url, lambda dest: http.client().download(url, dest))
    tree = read_archive(path, "module.zip")
    return None if tree.refused else ziprules.hash1((p, f.data) for p, f in tree.files.items())


def _hints(module: str, version: modpath.Version, origin: object) -> tuple[SourceHint, ...]:
    """The repository the module path names, with the tag and the commit (the pseudo-version's, completed by
    the proxy's Origin record when it names the same repository and a commit with that prefix)."""
    where = modpath.locate(module, proxy.insecure(module))
    if where is None:
        return ()
    record = origin if isinstance(origin, dict) else {}
    commit, named = record.get("Hash"), record.get("URL")
    if not (isinstance(commit, str) and isinstance(named, str) and urls.same_repository(named, where.repository)
            and commit.startswith(version.commit_prefix or "")):
        commit = None
    return (SourceHint(where.repository, "declared-repository", subdir=where.code_dir, commit=commit,
                       tag=where.tag(version)),)


def _strip_module_prefix(tree: PackageTree) -> PackageTree:
    """Paths below `<module>@<version>/` (the directory most entries are in; `release_findings` checks it is
    this module's); entries outside it (which the go command rejects) are refused."""
    tops = Counter(path[: path.find("/", path.find("@")) + 1] for path in tree.files if "@" in path)
    prefix = tops.most_common(1)[0][0] if tops else ""
    files, refused = {}, list(tree.refused)
    for path, f in tree.files.items():
        if prefix and path.startswith(prefix):
            files[path[len(prefix):]] = PackageFile(path[len(prefix):], f.data, f.mode)
        else:
            refused.append((path, "outside the zip's <module>@<version>/ directory (the go command rejects it)"))
    return PackageTree(files, root_prefix=prefix, refused=tuple(refused), mtimes=tree.mtimes)


class GoModules(Ecosystem):
    purl_type = "golang"
    manifest_files = ("go.mod",)

    def release(self, purl: PackageURL) -> Release:
        if not purl.version:
            raise InputError(f"a Go module purl needs a version: {purl.to_string()}")
        module = module_path(purl)
        version = modpath.parse_version(purl.version)
        try:
            base, info = proxy.info(module, version.text)
        except NotFoundError:
            raise NotFoundError(f"Go module {module} has no version {version.text} on the configured proxy") from None
        go_mod = proxy.fetch(module, f"{modpath.escape(version.text)}.mod").body
        url = proxy.zip_url(base, module, version.text)
        h1 = _zip_h1(url)
        h1_hex = ziprules.h1_hex(h1) if h1 else None
        published = info.get("Time") if isinstance(info.get("Time"), str) else None
        return Release(
            purl=purl.to_string(), ecosystem="golang", name=module, version=version.text,
            artifacts=(ArtifactRef(f"{purl.name}@{version.text}.zip", url, "module-zip",
                                   {"h1": h1_hex} if h1_hex else {}),),
            hints=_hints(module, version, info.get("Origin")), published_at=published,
            deprecated=_standing(module, version.text),
            missing_fields=() if published else ("Time",),
            golang=GoPublication(go_mod.decode("utf-8", "replace"),
                                 origin if isinstance(origin := info.get("Origin"), dict) else None, h1),
        )

    def history(self, name: str) -> PackageHistory | None:
        try:
            listed = proxy.versions(name)
        except RegistryError:
            return None
        if not listed:
            return None
        ordered = sorted(listed, key=modpath.semver_key)
        recent = set(ordered[-HISTORY_TIMES:])
        versions = tuple(VersionInfo(v, _time(name, v) if v in recent else None) for v in ordered)
        return PackageHistory("golang", name, versions,
                              repository=(w.repository if (w := modpath.locate(name, proxy.insecure(name))) else None),
                              missing_fields=() if len(ordered) <= HISTORY_TIMES else ("published",))

    def choose_artifact(self, release: Release) -> ArtifactRef | None:
        return release.artifacts[0] if release.artifacts else None

    def read_artifact(self, path: Path, filename: str) -> PackageTree:
        return _strip_module_prefix(read_archive(path, filename if filename.endswith(".zip") else "module.zip"))

    def artifact_release(self, purl: PackageURL, tree: PackageTree) -> Release:
        version = modpath.parse_version(purl.version or "")
        return Release(purl=purl.to_string(), ecosystem="golang", name=module_path(purl), version=version.text,
                       hints=_hints(module_path(purl), version, None), missing_fields=("registry",))

    def artifact_hints(self, tree: PackageTree) -> list[SourceHint]:
        return []

    def read_manifest(self, read: ReadSource, subdir: str) -> Manifest | None:
        path = f"{subdir}/go.mod" if subdir else "go.mod"
        raw = read(path)
        if raw is None:
            return None
        parsed = gomod.parse(raw.decode("utf-8", "replace"))
        return Manifest(path, parsed.module, None, {"go_version": ziprules.go_version(raw)})

    def tag_names(self, name: str, version: str) -> list[str]:
        parsed = modpath.parse_version(version)
        where = modpath.forge_location(name) or modpath.Location("", "")
        tag = where.tag(parsed)
        return [tag] if tag else []

    def explain(self, path: str, data: bytes, source: bytes | None, context: CompareContext) -> Comparison | None:
        if path == "go.mod":
            status = FileStatus.MODIFIED if source is not None else FileStatus.UNEXPLAINED
            return Comparison(FileResult(path, status, context.content_root + path if source else None,
                                         "go.mod differs from the repository's"),
                              (Finding(Severity.HIGH, "OSP113", path, "the zip's go.mod is not the repository's: it "
                                       "decides which modules the build loads"),))
        if path.endswith(LINKED_SUFFIXES):
            status = FileStatus.MODIFIED if source is not None else FileStatus.UNEXPLAINED
            rule = "OSP101" if source is not None else "OSP102"
            return Comparison(FileResult(path, status, None, "assembled or linked into the binary"),
                              (Finding(Severity.HIGH, rule, path, "a file the go command assembles or links "
                                       "differs from the repository" if source is not None else
                                       "a file the go command assembles or links is not in the repository"),))
        return None

    def artifact_findings(self, release: Release, tree: PackageTree) -> list[Finding]:
        return _checksum_database_findings(release, tree)

    def release_findings(self, release: Release, tree: PackageTree, context: CompareContext) -> list[Finding]:
        findings = _commit_findings(release, context.commit) + _mod_file_findings(release, tree)
        if tree.root_prefix != f"{release.name}@{release.version}/":
            findings.append(Finding(Severity.HIGH, "OSP110", None, f"the zip holds {tree.root_prefix or 'no'} module "
                                    f"directory, not {release.name}@{release.version}/"))
        return findings + _zip_rule_findings(tree, context) + _size_findings(tree)


def _checksum_database_findings(release: Release, tree: PackageTree) -> list[Finding]:
    """The zip's `h1:` (and the proxy's `.mod`'s) against what the configured checksum database proves it
    recorded: a difference is a module modified after the database saw it (at rest, or by a hijacked proxy)."""
    module, version = release.name, release.version
    try:
        record = once_per_run(("gosumdb", module, version), lambda: sumdb.check(module, version))
    except sumdb.Unconfirmed as exc:
        return [Finding(Severity.INFO, "OSP118", None, f"{exc}: the zip's hash was not checked against it")]
    except sumdb.Untrustworthy as exc:
        return [Finding(Severity.MEDIUM, "OSP118", None, f"SECURITY: {exc}; the go command refuses this answer, "
                        "and the zip's hash could not be checked against the database")]
    if record is None:
        return []
    findings = []
    served = {"": ziprules.hash1((tree.root_prefix + p, f.data) for p, f in tree.files.items())}
    if release.golang and isinstance(release.golang.go_mod, str):
        served["/go.mod"] = ziprules.hash1([("go.mod", release.golang.go_mod.encode())])
    for suffix, h1 in served.items():
        recorded = record.hash_of(module, version + suffix)
        what = "the proxy's .mod" if suffix else "the module zip"
        if recorded is None:
            findings.append(Finding(Severity.INFO, "OSP118", None, f"the checksum database {record.database} "
                                    f"records no hash of {what} of {module}@{version}"))
        elif recorded != h1:
            findings.append(Finding(Severity.HIGH, "OSP100", "go.mod" if suffix else None,
                                    f"{what} hashes to {h1}, the checksum database {record.database} records "
                                    f"{recorded} (record {record.index}, proven in its signed tree of "
                                    f"{record.tree_size}): modified after publication, or a hijacked proxy"))
    return findings


def _commit_findings(release: Release, pinned: str | None) -> list[Finding]:
    """A pseudo-version names its commit: the content must have been pinned there. (The proxy's Origin commit
    is registry metadata like npm's gitHead: pinning weighs it, and evidence shows where it disagrees.)"""
    prefix = modpath.parse_version(release.version).commit_prefix
    found = commit_mismatch(None, prefix, f"the pseudo-version {release.version}", pinned) if prefix else None
    return [found] if found else []


def _mod_file_findings(release: Release, tree: PackageTree) -> list[Finding]:
    """The go command resolves dependencies from the proxy's `.mod`, not from the zip: it must be the zip's
    go.mod (or, for a module without one, the go command's synthesised `module PATH` line alone)."""
    served = release.golang.go_mod if release.golang else None
    if not isinstance(served, str):
        return []
    if "go.mod" in tree.files:
        if served == tree.files["go.mod"].data.decode("utf-8", "replace"):
            return []
        what = "differs from the go.mod in the zip"
    else:
        parsed = gomod.parse(served)
        if parsed.module == release.name and not parsed.requires:
            return []
        what = "is not the `module` line the go command writes for a module without go.mod"
    return [Finding(Severity.HIGH, "OSP113", "go.mod", f"the proxy's .mod for this version {what}: the go command "
                    "resolves the module's dependencies from the .mod")]


def _zip_rule_findings(tree: PackageTree, context: CompareContext) -> list[Finding]:
    """Files the go command would have put in the zip that it lacks, and files it would have left out."""
    root = context.content_root
    subtree = [p[len(root):] for p in context.source_files if p.startswith(root)]
    go_mod = tree.files["go.mod"].data if "go.mod" in tree.files else None
    expected = ziprules.expected_files(subtree, go_mod)
    if root and "LICENSE" not in expected and "LICENSE" in context.source_files:
        expected.add("LICENSE")
    findings = []
    for path in sorted(expected - set(tree.files)):
        severity = Severity.MEDIUM if _is_code(path) else Severity.LOW
        findings.append(Finding(severity, "OSP106", path, "the go command puts this file of the tagged source in "
                                "the module zip, but the zip lacks it"))
    for path in sorted(set(tree.files) - expected):
        reason = ziprules.omission_reason(path, tree.files, go_mod)
        if reason is None:
            continue
        code = _is_code(path)
        findings.append(Finding(Severity.HIGH if code else Severity.MEDIUM, "OSP102" if code else "OSP103", path,
                                f"{reason}: the go command leaves it out of module zips, this zip carries it"))
    return findings


def _size_findings(tree: PackageTree) -> list[Finding]:
    findings = []
    total = sum(len(f.data) for f in tree.files.values())
    if total > ziprules.MAX_ZIP_BYTES:
        findings.append(Finding(Severity.MEDIUM, "OSP140", None, f"the module expands to {total} bytes, over the go "
                                "command's 500 MiB limit (it refuses the zip)"))
    for name, limit in (("go.mod", ziprules.MAX_GO_MOD_BYTES), ("LICENSE", ziprules.MAX_LICENSE_BYTES)):
        if name in tree.files and len(tree.files[name].data) > limit:
            findings.append(Finding(Severity.MEDIUM, "OSP140", name, f"{name} is over the go command's 16 MiB limit"))
    return findings

ECOSYSTEM = GoModules()
