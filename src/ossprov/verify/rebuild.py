"""Rebuild verification: does the source at the pinned commit build into the published artifact?

The steps follow OSS Rebuild: infer a recipe (or take the user's), execute it in the sandbox, stabilise both
artifacts, compare. `rebuild()` is the whole stage as one function from records to a record, so the
`rebuild` command, batch and scan all call the same thing.
"""

from __future__ import annotations

import enum
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from ossprov.archive import strip_root
from ossprov.cache import file_digests
from ossprov.config import explicit_registry
from ossprov.ecosystems.common import is_code
from ossprov.ecosystems.npm import registry_url as npm_registry_url
from ossprov.ecosystems.pypi import index_url as pypi_index_url
from ossprov.errors import ArchiveError, GitError
from ossprov.http import without_credentials
from ossprov.model import (
    FileResult,
    FileStatus,
    Finding,
    LocateResult,
    PackageFile,
    PackageTree,
    Release,
    Severity,
)
from ossprov.source.git import GIT_ENV, Repo, ensure_clone
from ossprov.verify import stabilize
from ossprov.verify.compare import compare_trees
from ossprov.verify.recipe import Recipe, Step, Unbuildable, apply_override, infer, load_override
from ossprov.verify.sandbox import Limits, RunResult, Sandbox, clean_env

"""Manifests that name code to run (install scripts, entry points)."""


class Outcome(enum.StrEnum):
    BIT_FOR_BIT = "bit-for-bit"
    STABILIZED = "stabilized"
    DIFFERS = "differs"
    BUILD_FAILED = "build-failed"
    UNBUILDABLE = "unbuildable"


@dataclass(frozen=True)
class RebuildOptions:
    """How to run a rebuild."""

    sandbox: bool = True
    """False only for --no-sandbox: the build then runs with the user's file system and network."""
    offline: bool = False
    """No network even for dependency installation."""
    keep_workdir: bool = False
    recipe_file: Path | None = None
    limits: Limits = field(default_factory=Limits)
    workdir_parent: Path | None = None


@dataclass(frozen=True)
class RebuildResult:
    """What a rebuild found, for the report, the attestation and the store."""

    outcome: Outcome
    recipe: Recipe | None = None
    stabilizers: tuple[stabilize.StabilizerUse, ...] = ()
    raw_equal: bool | None = None
    stabilized_equal: bool | None = None
    differences: tuple[FileResult, ...] = ()
    """Per-file comparison, rebuilt against published (only for `differs`)."""
    findings: tuple[Finding, ...] = ()
    log_tail: str = ""
    failed_phase: str | None = None
    """install, build or collect, for `build-failed`."""
    reason: str = ""
    published_sha256: str = ""
    rebuilt_sha256: str | None = None
    rebuilt_filename: str | None = None
    seconds: float = 0.0
    workdir: str | None = None
    """Kept build directory (--keep-workdir)."""
    steps: tuple[dict[str, object], ...] = field(default_factory=tuple)
    """argv, phase, exit code and seconds of every step run."""

    @property
    def needed_stabilizers(self) -> list[str]:
        return [s.name for s in self.stabilizers if s.needed]


def export_tree(clone: Path, commit: str, dest: Path) -> None:
    """Make `dest` a git work tree of `commit` alone (a one-commit history copied from the cached clone):
    build scripts that ask git (`npmignore --auto`, `git ls-files`, version plugins) find a repository, and
    the sandbox needs nothing outside the build directory. No hooks, submodules or LFS downloads; the
    clone cache is only read."""
    dest.mkdir(parents=True, exist_ok=True)
    upload_pack = "git -c uploadpack.allowAnySHA1InWant=true upload-pack"
    steps = (["init", "--quiet"],
             ["fetch", "--quiet", "--depth=1", "--no-tags", f"--upload-pack={upload_pack}", "--",
              clone.resolve().as_uri(), commit],
             ["checkout", "--quiet", "--detach", commit])
    env = dict(os.environ, **GIT_ENV)
    for args in steps:
        proc = subprocess.run(["git", "-c", "core.hooksPath=/dev/null", "-c", "core.symlinks=true",
                               "-c", "protocol.file.allow=always", "-c", "init.defaultBranch=main", *args],
                              cwd=dest, env=env, capture_output=True, timeout=600, check=False)
        if proc.returncode != 0:
            lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(f"cannot export {commit[:12]}: {lines[-1] if lines else 'git ' + args[0] + ' failed'}")


def _expand(text: str, places: dict[str, str]) -> str:
    for key, value in places.items():
        text = text.replace("{" + key + "}", value)
    return text


def _install_env(recipe: Recipe) -> dict[str, str]:
    """Where dependency installation fetches from: the configured registry with any credential removed (the
    build's own code runs during installation and must not hold the user's tokens)."""
    if recipe.ecosystem == "npm":
        return {"npm_config_registry": without_credentials(npm_registry_url())}
    if recipe.ecosystem == "pypi":
        return {"PIP_INDEX_URL": without_credentials(pypi_index_url())}
    return {}


def _tree(image: stabilize.Image) -> PackageTree:
    """The regular files of an image, package-root prefix (`package/`, `name-version/`) removed."""
    files = {e.name: PackageFile(e.name, e.data, e.mode) for e in image.entries if e.kind == "file"}
    return strip_root(PackageTree(files))


def _compare_trees(published: PackageTree, rebuilt: PackageTree) -> list[FileResult]:
    return [r for r in compare_trees(published, rebuilt) if r.status != FileStatus.IDENTICAL]


def _is_code(path: str, mode: int) -> bool:
    return is_code(path) or bool(mode & 0o111)


def _findings(differences: list[FileResult], published: PackageTree) -> list[Finding]:
    findings = []
    for d in differences:
        mode = published.files[d.path].mode if d.path in published.files else 0
        if _is_code(d.path, mode):
            findings.append(Finding(Severity.HIGH, "OSP301", d.path,
                                    f"code file {d.path} differs from the rebuild of the source: {d.reason}"))
        else:
            findings.append(Finding(Severity.MEDIUM, "OSP302", d.path,
                                    f"{d.path} differs from the rebuild of the source: {d.reason}"))
    return findings


def local_registries() -> list[Path]:
    """Registries configured as `file://` directories: the sandbox must see them (read-only) for a build to
    resolve its dependencies from them."""
    found = []
    for ecosystem in ("npm", "pypi", "maven", "nuget"):
        url = explicit_registry(ecosystem)
        if url and url.startswith("file://"):
            found.append(Path(url2pathname(urlsplit(url).path)))
    return found


class _Build:
    """One rebuild's work directory: build/ (the only writable place in the sandbox), logs outside it."""

    def __init__(self, options: RebuildOptions) -> None:
        self.options = options
        self.dir = Path(tempfile.mkdtemp(prefix="ossprov-rebuild-", dir=options.workdir_parent)).resolve()
        self.build = self.dir / "build"
        self.src, self.out, self.home = self.build / "src", self.build / "out", self.build / "home"
        for d in (self.out, self.home / "tmp"):
            d.mkdir(parents=True)
        self.sandbox = Sandbox(self.build, self.dir / "build.log", isolate=options.sandbox, limits=options.limits,
                               read_only=local_registries())
        self.runs: list[tuple[Step, RunResult]] = []

    def places(self) -> dict[str, str]:
        return {"python": sys.executable, "out": str(self.out), "src": str(self.src), "home": str(self.home)}

    def run(self, recipe: Recipe, step: Step, base_env: dict[str, str]) -> RunResult:
        places = self.places()
        network = step.network and not self.options.offline and step.phase == "install"
        env = dict(base_env)
        if network:
            env.update(_install_env(recipe))
        result = self.sandbox.run([_expand(a, places) for a in step.argv], cwd=self.src / step.cwd,
                                  env=env, network=network)
        self.runs.append((step, result))
        return result

    def close(self) -> str | None:
        if self.options.keep_workdir:
            return str(self.dir)
        shutil.rmtree(self.dir, ignore_errors=True)
        return None


def _recipe(options: RebuildOptions, ecosystem: str, build: _Build, locate: LocateResult, release: Release,
            published: PackageTree | None, filename: str) -> Recipe:
    """Inferred recipe, overridden by the user's file; Unbuildable when there is neither."""
    subdir = (locate.repository.subdir if locate.repository else "").strip("/")
    try:
        inferred: Recipe | None = infer(ecosystem, build.src, subdir, release, published, filename)
        why = ""
    except Unbuildable as exc:
        inferred, why = None, str(exc)
    if options.recipe_file is None:
        if inferred is None:
            raise Unbuildable(why)
        return inferred
    return apply_override(inferred, load_override(options.recipe_file), str(options.recipe_file))


def rebuild(locate: LocateResult, published_artifact: Path, release: Release,
            options: RebuildOptions = RebuildOptions()) -> RebuildResult:
    """Rebuild the artifact from its located source and compare it with the published one.

    Raises SandboxError when isolation is required and unavailable, GitError when the repository cannot be
    fetched; every other failure is an outcome (unbuildable, build-failed) in the result."""
    start = time.monotonic()
    published_sha = file_digests(published_artifact)["sha256"]
    filename = locate.artifact.filename if locate.artifact else published_artifact.name
    if not locate.located or locate.repository is None or locate.commit is None:
        return RebuildResult(Outcome.UNBUILDABLE, reason="the source repository and commit were not located",
                             published_sha256=published_sha)
    try:
        published_tree = _tree(stabilize.load_image(published_artifact, filename))
    except ArchiveError as exc:
        return RebuildResult(Outcome.UNBUILDABLE, reason=str(exc), published_sha256=published_sha)
    clone = ensure_clone(locate.repository.url)
    commit_time = Repo(clone).commit_info(locate.commit).time
    build = _Build(options)
    try:
        export_tree(clone, locate.commit, build.src)
        result = _run(build, locate, release, published_artifact, published_tree, filename, commit_time)
    finally:
        kept = build.close()
    return _finish(result, published_sha, time.monotonic() - start, kept, build.runs)


def _run(build: _Build, locate: LocateResult, release: Release, published: Path, published_tree: PackageTree,
         filename: str, commit_time: int) -> RebuildResult:
    """Infer, build, collect and compare, in the work directory `build` already holding the source."""
    try:
        recipe = _recipe(build.options, release.ecosystem, build, locate, release, published_tree, filename)
    except Unbuildable as exc:
        return RebuildResult(Outcome.UNBUILDABLE, reason=str(exc))
    places = build.places()
    for name, content in recipe.files.items():
        target = (build.home / name).resolve()
        if build.home.resolve() not in target.parents:
            return RebuildResult(Outcome.UNBUILDABLE, recipe, reason=f"recipe file {name!r} is outside the build home")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_expand(content, places), encoding="utf-8")
    env = clean_env(build.home, {"SOURCE_DATE_EPOCH": str(commit_time),
                                 **{k: _expand(v, places) for k, v in recipe.env.items()}})
    for step in recipe.steps:
        run = build.run(recipe, step, env)
        if run.returncode != 0:
            why = "killed at the time limit" if run.timed_out else f"exit code {run.returncode}"
            return RebuildResult(Outcome.BUILD_FAILED, recipe, log_tail=run.log_tail, failed_phase=step.phase,
                                 reason=f"{' '.join(run.argv)}: {why}")
    produced = sorted(build.out.glob(recipe.output))
    if len(produced) != 1:
        tail = build.runs[-1][1].log_tail if build.runs else ""
        return RebuildResult(Outcome.BUILD_FAILED, recipe, failed_phase="collect", log_tail=tail,
                             reason=f"the build produced {len(produced)} files matching {recipe.output!r}, not one")
    rebuilt = produced[0]
    if not stat.S_ISREG(rebuilt.lstat().st_mode):  # a link to /dev/zero or a FIFO would hang the reading
        return RebuildResult(Outcome.BUILD_FAILED, recipe, failed_phase="collect",
                             reason=f"the build's output {rebuilt.name} is not a regular file")
    try:
        cmp = stabilize.compare(published, rebuilt, filename)
    except ArchiveError as exc:
        return RebuildResult(Outcome.BUILD_FAILED, recipe, failed_phase="collect", reason=str(exc))
    common = {"recipe": recipe, "stabilizers": cmp.stabilizers, "raw_equal": cmp.raw_equal,
              "stabilized_equal": cmp.stabilized_equal, "rebuilt_sha256": file_digests(rebuilt)["sha256"],
              "rebuilt_filename": rebuilt.name}
    if cmp.raw_equal:
        return RebuildResult(Outcome.BIT_FOR_BIT, **common)
    if cmp.stabilized_equal:
        return RebuildResult(Outcome.STABILIZED, **common)
    assert cmp.published is not None and cmp.rebuilt is not None
    pub_tree, reb_tree = _tree(cmp.published), _tree(cmp.rebuilt)
    diffs = _compare_trees(pub_tree, reb_tree)
    if not diffs:
        diffs = [FileResult(name, FileStatus.UNEXPLAINED, None, f"archive entry {what} differs")
                 for name, what in stabilize.differences(cmp.published, cmp.rebuilt)]
    return RebuildResult(Outcome.DIFFERS, differences=tuple(diffs), findings=tuple(_findings(diffs, pub_tree)),
                         reason=f"{len(diffs)} file(s) differ after stabilising", **common)


def _finish(result: RebuildResult, published_sha: str, seconds: float, kept: str | None,
            runs: list[tuple[Step, RunResult]]) -> RebuildResult:
    steps = tuple({"phase": s.phase, "argv": list(r.argv), "exit_code": r.returncode,
                   "seconds": round(r.seconds, 3), "timed_out": r.timed_out} for s, r in runs)
    return replace(result, published_sha256=published_sha, seconds=round(seconds, 3), workdir=kept, steps=steps)

