"""Static verification: every file of the artifact against the source tree at the pinned commit.

Each artifact file gets exactly one status. Identical files are recognised by git blob id without reading the
source at all; only differing files are read (all in one `git cat-file --batch`), normalised (generic rules
here, ecosystem rules in the plug-in) and, when still different, diffed. Findings follow from the statuses
(see `ossprov.verify.rules`) plus what the ecosystem says about the release as a whole.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, replace

from ossprov.ecosystems.interface import CompareContext, Comparison, Ecosystem, Manifest, ReadMany, ReadSource
from ossprov.model import (
    ArtifactInfo,
    FileResult,
    FileStatus,
    Finding,
    LocateResult,
    PackageTree,
    Release,
    Severity,
)
from ossprov.redaction import redact_url
from ossprov.source.git import Repo, git_blob_id
from ossprov.source.submodules import GITMODULES, Mounted, Submodules
from ossprov.verify import normalize, rules

MAX_DIFF_BYTES = 256 * 1024
"""Files larger than this (or binary) are compared by hash only."""
MAX_DIFF_LINES = 400
MAX_INPUT_LINES = 5000
"""Files with more lines are compared by hash only."""


def unified_diff(source: bytes, published: bytes, path: str) -> str | None:
    """A capped unified diff for text files; None for binary or large files (difflib's matching grows with
    the square of the lines in the worst case, and artifacts are hostile)."""
    if len(source) > MAX_DIFF_BYTES or len(published) > MAX_DIFF_BYTES or b"\0" in source[:8192] + published[:8192]:
        return None
    old = source.decode("utf-8", "replace").splitlines(keepends=True)
    new = published.decode("utf-8", "replace").splitlines(keepends=True)
    if len(old) > MAX_INPUT_LINES or len(new) > MAX_INPUT_LINES:
        return None
    lines = list(itertools.islice(difflib.unified_diff(old, new, fromfile=f"repository/{path}",
                                                       tofile=f"artifact/{path}", n=2), MAX_DIFF_LINES + 1))
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"... diff cut at {MAX_DIFF_LINES} lines\n"]
    return "".join(lines)


def _reader(parts: list[tuple[Repo, dict[str, str]]]) -> tuple[ReadSource, ReadMany]:
    """Readers over the files of one or more repositories (a superproject and the submodules it ships), each
    path read from the repository whose listing has it."""
    def read_many(paths: Iterable[str]) -> dict[str, bytes]:
        asked, found = list(paths), {}
        for repo, files in parts:
            wanted = {p: files[p] for p in asked if p in files}
            if wanted:
                by_blob = dict(repo.read_blobs(wanted.values()))
                found.update({p: by_blob[b] for p, b in wanted.items() if b in by_blob})
        return found

    def read_one(path: str) -> bytes | None:
        return read_many([path]).get(path)

    return read_one, read_many


def _counterpart(path: str, source_path: str, context: CompareContext) -> str:
    """Where the artifact file's source is: its own path, or for a top-level file of a monorepo package
    absent there (LICENSE, NOTICE, ...), the nearest parent directory's file of that name, which publish
    tools copy in."""
    if source_path in context.source_files or "/" in path or not context.subdir:
        return source_path
    parts = context.subdir.split("/")
    for depth in range(len(parts) - 1, -1, -1):
        candidate = "/".join([*parts[:depth], path])
        if candidate in context.source_files:
            return candidate
    return source_path


def classify(eco: Ecosystem, tree: PackageTree, context: CompareContext,
             keys: dict[str, tuple[str, str]]) -> tuple[list[FileResult], list[Finding]]:
    """Per-file statuses and the findings they carry (`keys`: each file's source path and blob id)."""
    results: list[FileResult] = []
    findings: list[Finding] = []
    differing: dict[str, str] = {}
    for path in sorted(tree.files):
        own_path, own_blob = keys[path]
        source_path = _counterpart(path, own_path, context)
        blob = context.source_files.get(source_path)
        if blob is not None and blob == own_blob:
            results.append(FileResult(path, FileStatus.IDENTICAL, source_path))
        else:
            differing[path] = source_path
    sources = context.read_many(differing.values())
    for path, source_path in differing.items():
        data, source = tree.files[path].data, sources.get(source_path)
        comparison = _explain(eco, path, data, source, source_path, context)
        results.append(comparison.result)
        findings += comparison.findings or rules.findings_for(comparison.result)
    results.sort(key=lambda r: r.path)
    return results, findings


def _explain(eco: Ecosystem, path: str, data: bytes, source: bytes | None, source_path: str,
             context: CompareContext) -> Comparison:
    if source is not None:
        name = normalize.equal_after(source, data)
        if name:
            return Comparison(FileResult(path, FileStatus.NORMALIZED, source_path, name))
    explained = eco.explain(path, data, source, context)
    if explained is not None:
        return explained
    if source is not None:
        return Comparison(FileResult(path, FileStatus.MODIFIED, source_path, "content differs from the repository",
                                     unified_diff(source, data, path)))
    return Comparison(FileResult(path, FileStatus.UNEXPLAINED, None,
                                 "in no source file at the commit and explained by no build rule"))


def _refused_findings(tree: PackageTree) -> list[Finding]:
    out = []
    for name, reason in tree.refused:
        hostile = any(w in reason for w in ("traversal", "absolute", "outside", "device"))
        out.append(Finding(Severity.HIGH if hostile else Severity.MEDIUM, "OSP140", name,
                           f"archive entry refused: {reason}"))
    return out


@dataclass(frozen=True)
class PinnedSource:
    """The source at the pinned commit, read once per run and shared by every artifact compared with it."""

    repo: Repo
    commit: str
    subdir: str
    url: str
    """The superproject's URL (relative submodule URLs resolve against it)."""
    files: dict[str, str]
    """Repository path → blob id at the commit (the whole tree)."""
    read_one: ReadSource
    read_many: ReadMany
    manifest: Manifest | None
    """The package's manifest at `subdir`, parsed by the ecosystem."""
    submodules: Submodules | None = None
    """The commit's submodules, each read at its gitlink's commit when an artifact ships files under it."""


def pinned_source(repo: Repo, eco: Ecosystem, commit: str, subdir: str, url: str = "") -> PinnedSource:
    """The commit's file list, readers over it, the parsed manifest, and its submodules (cloned from URLs
    relative to `url`, the superproject's, where `.gitmodules` gives relative ones)."""
    files = repo.ls_tree(commit)
    read_one, read_many = _reader([(repo, files)])
    return PinnedSource(repo, commit, subdir, url, files, read_one, read_many, eco.read_manifest(read_one, subdir),
                        Submodules(repo, commit, url, GITMODULES in files))


def _with_submodules(source: PinnedSource, paths: set[str]) -> tuple[dict[str, str], ReadSource, ReadMany,
                                                                    list[Mounted]]:
    """The source's files, with those of the submodules that `paths` (the artifact's files, as repository
    paths) reach into merged in, readers over all of them, and those submodules."""
    outside = {p for p in paths if p not in source.files}
    mounted = source.submodules.under(outside) if source.submodules and outside else []
    readable = [m for m in mounted if m.repo is not None]
    if not readable:
        return source.files, source.read_one, source.read_many, mounted
    files = {**source.files, **{p: b for m in readable for p, b in m.files.items()}}
    read_one, read_many = _reader([(source.repo, source.files), *((m.repo, m.files) for m in readable if m.repo)])
    return files, read_one, read_many, mounted


def _submodule_notes(results: list[FileResult], findings: list[Finding], mounted: list[Mounted],
                     source_path: dict[str, str], tree: PackageTree) -> tuple[list[FileResult], list[Finding]]:
    """Each result of a file under a submodule says so: read from it ("from submodule PATH at COMMIT"), or in
    one that could not be read (and why: its files stay in no source, so its code stays high). The `.git`
    file a submodule checkout leaves, pointing into the superproject's git directory, is git's, not code."""
    if not mounted:
        return results, findings
    out, settled, unchecked = [], set(), dict[str, str]()
    for r in results:
        where = source_path[r.path]
        m = next((m for m in mounted if where.startswith(m.path + "/")), None)
        if m is None:
            out.append(r)
        elif where == f"{m.path}/.git" and r.status is FileStatus.UNEXPLAINED and \
                tree.files[r.path].data.rstrip(b"\n") == _gitdir_pointer(m.path):
            out.append(replace(r, status=FileStatus.NORMALIZED, source_path=None,
                               reason=f"the pointer to the git directory of {m.describe()} its checkout writes"))
            settled.add(r.path)
        elif m.problem:
            unchecked[r.path] = f"in {m.describe()}, which could not be checked"
            out.append(replace(r, reason=unchecked[r.path]))
        else:
            out.append(replace(r, reason=f"{r.reason} ({m.describe()})" if r.reason else f"from {m.describe()}"))
    return out, [replace(f, message=f"{f.message} ({unchecked[f.path]})") if f.path in unchecked else f
                 for f in findings if f.path not in settled]


def _gitdir_pointer(path: str) -> bytes:
    """What git writes into a checked-out submodule's `.git` (named after its path, as `git submodule add`)."""
    return f"gitdir: {'../' * (path.count('/') + 1)}.git/modules/{path}".encode()


def _unchecked(mounted: list[Mounted]) -> list[Finding]:
    return [Finding(Severity.MEDIUM, "OSP207", m.path, f"{m.describe()} ({redact_url(m.url)[:200] or 'no URL'}) could "
                    f"not be checked: {m.problem}; its files are in no source at the pinned commit") for m in mounted
            if m.problem]


Shared = dict[tuple[str, str], tuple[FileResult, list[Finding]]]
"""(repository path, blob id) → what comparing a file with those bytes against that source file found:
identical files of several artifacts of one release (the sdist and the wheels of each platform) are compared
once."""


def integrity_findings(artifact: ArtifactInfo, tree: PackageTree) -> list[Finding]:
    """What the artifact itself shows before any comparison: a digest the registry does not publish,
    archive entries refused on reading."""
    findings = []
    if artifact.digest_ok is False:
        findings.append(Finding(Severity.HIGH, "OSP100", artifact.filename,
                                "artifact does not match the digest the registry publishes"))
    return findings + _refused_findings(tree)


def claim_findings(result: LocateResult) -> list[Finding]:
    """The declared repository holds another package (starjacking)."""
    if result.repository_claim != "unverified-other-package":
        return []
    ev = next(e for e in result.evidence if e.kind == "repository-claim")
    return [Finding(Severity.HIGH, "OSP150", None,
                    f"claims the repository of {ev.data.get('claim')}; none of its files are in it")]


def compare_artifact(eco: Ecosystem, release: Release, tree: PackageTree, content_root: str, source: PinnedSource,
                     shared: Shared | None = None) -> tuple[list[FileResult], list[Finding], int]:
    """Every file of one artifact against the pinned source: per-file results, the findings they and the
    ecosystem's release rules carry, and how many files were taken from `shared` (which is filled)."""
    keys = {p: (eco.source_path(p, content_root), git_blob_id(f.data)) for p, f in tree.files.items()}
    files, read_one, read_many, mounted = _with_submodules(source, {k[0] for k in keys.values()})
    context = CompareContext(tree, files, read_one, read_many, content_root, source.subdir, release,
                             source.manifest, source.commit)
    shared = {} if shared is None else shared
    known = {p: shared[k] for p, k in keys.items() if k in shared}
    fresh = PackageTree({p: f for p, f in tree.files.items() if p not in known}, tree.root_prefix)
    file_results, findings = _submodule_notes(*classify(eco, fresh, context, keys), mounted,
                                              {p: k[0] for p, k in keys.items()}, tree)
    for r in file_results:
        shared[keys[r.path]] = (r, [f for f in findings if f.path == r.path])
    for path, (result, carried) in known.items():
        file_results.append(replace(result, path=path))
        findings += [replace(f, path=path) for f in carried]
    file_results.sort(key=lambda r: r.path)
    findings = eco.release_findings(release, tree, context) + _unchecked(mounted) + findings
    file_results += _missing(eco, tree, context)
    findings += rules.aggregate_generated(file_results, findings)
    return file_results, findings, len(known)


def _missing(eco: Ecosystem, tree: PackageTree, context: CompareContext) -> list[FileResult]:
    """Source files the package's own file list says should ship but are absent from the artifact."""
    root = context.content_root
    shipped = {eco.source_path(p, root) for p in tree.files}
    return [FileResult(p[len(root):] if p.startswith(root) else p, FileStatus.MISSING, p,
                       "listed by the package's file list but not in the artifact")
            for p in eco.listed_files(context) if p not in shipped]


def compare_trees(published: PackageTree, rebuilt: PackageTree) -> list[FileResult]:
    """Rebuilt-vs-published per-file comparison (for `rebuild`): the rebuilt artifact plays the source."""
    results = []
    for path, f in sorted(published.files.items()):
        other = rebuilt.files.get(path)
        if other is None:
            results.append(FileResult(path, FileStatus.UNEXPLAINED, None, "not produced by the rebuild"))
        elif other.data == f.data:
            results.append(FileResult(path, FileStatus.IDENTICAL, path))
        elif name := normalize.equal_after(other.data, f.data):
            results.append(FileResult(path, FileStatus.NORMALIZED, path, name))
        else:
            results.append(FileResult(path, FileStatus.MODIFIED, path, "differs from the rebuilt file",
                                      unified_diff(other.data, f.data, path)))
    results += [FileResult(p, FileStatus.MISSING, p, "produced by the rebuild but not published")
                for p in sorted(set(rebuilt.files) - set(published.files))]
    return results

