"""Rebuild verification: does the source at the pinned commit build into the published artifact?

The steps follow OSS Rebuild: infer a recipe (or take the user's), execute it in the sandbox, stabilise both
artifacts, compare. `rebuild()` is the whole stage as one function from records to a record, so the
`rebuild` command, batch and scan all call the same thing. Installs reach the registry through the timewarp
proxy (`ossprov.verify.timewarp`), which hides versions published after the release. Each phase (PHASES) is
reported to an optional progress callback as it starts and ends.
"""

from __future__ import annotations

import contextlib
import enum
import itertools
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from ossprov import ecosystems
from ossprov.archive import strip_root
from ossprov.cache import file_digests
from ossprov.config import explicit_registry
from ossprov.ecosystems.common import is_code
from ossprov.ecosystems.interface import Builder, Ecosystem
from ossprov.errors import ArchiveError, GitError, InputError, SandboxError
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
from ossprov.source.git import Repo, ensure_clone, git_env
from ossprov.source.submodules import GITMODULES, Submodules
from ossprov.source.urls import safe_subdir
from ossprov.verify import sandbox, stabilize
from ossprov.verify.compare import compare_trees
from ossprov.verify.recipe import (
    Recipe,
    Step,
    Unbuildable,
    apply_override,
    load_override,
)
from ossprov.verify.sandbox import Limits, RunResult, Sandbox, clean_env
from ossprov.verify.timewarp import Timewarp, parse_time

PHASES = ("fetch source", "install dependencies", "build", "stabilise", "compare")
"""What progress is reported on, in order (a phase with nothing to do is not reported)."""
Progress = Callable[[str, str, float], None]
"""progress(phase, "started" or "finished", seconds the phase took (0.0 when it starts))."""


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
    phases: tuple[tuple[str, float], ...] = ()
    """(phase, seconds) of every phase run, in order (PHASES)."""
    timewarp: dict[str, object] | None = None
    """The dependency view served to the build: cutoff, versions hidden, whether the registry's times are
    copies (its notes are added to the recipe's)."""

    @property
    def needed_stabilizers(self) -> list[str]:
        return [s.name for s in self.stabilizers if s.needed]


def export_tree(clone: Path, commit: str, dest: Path) -> None:
    """Make `dest` a git work tree of `commit` alone (a one-commit history copied from the cached clone):
    build scripts that ask git (`npmignore --auto`, `git ls-files`, version plugins) find a repository, and
    the sandbox needs nothing outside the build directory. No hooks, submodules (`export_submodules` exports
    those the artifact ships) or LFS downloads; the clone cache is only read."""
    dest.mkdir(parents=True, exist_ok=True)
    Repo(clone).fetch_tree(commit)  # a partial clone serves the tree only once it holds every file of it
    upload_pack = "git -c uploadpack.allowAnySHA1InWant=true upload-pack"
    steps = (["init", "--quiet"],
             ["fetch", "--quiet", "--depth=1", "--no-tags", f"--upload-pack={upload_pack}", "--",
              clone.resolve().as_uri(), commit],
             ["checkout", "--quiet", "--detach", commit])
    env = git_env(user=False)  # a local export: none of the user's git settings apply
    for args in steps:
        proc = subprocess.run(["git", "-c", "core.hooksPath=/dev/null", "-c", "core.symlinks=true",
                               "-c", "protocol.file.allow=always", "-c", "init.defaultBranch=main", *args],
                              cwd=dest, env=env, capture_output=True, timeout=600, check=False)
        if proc.returncode != 0:
            lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(f"cannot export {commit[:12]}: {lines[-1] if lines else 'git ' + args[0] + ' failed'}")


def export_submodules(clone: Path, locate: LocateResult, eco: Ecosystem, published: PackageTree,
                      src: Path) -> list[str]:
    """Export into the source `src` (the commit's work tree) each submodule the published artifact has files
    under, at the commit its gitlink pins, read as the comparison reads it (`Submodules`: the same URL checks
    and clone cache); the paths exported. One that cannot be read is left empty, as git leaves it."""
    assert locate.repository is not None and locate.commit is not None
    submodules = Submodules(Repo(clone), locate.commit, locate.repository.url, (src / GITMODULES).is_file())
    exported = []
    for m in submodules.under({eco.source_path(p, locate.content_root) for p in published.files}):
        target = src / m.path
        if m.repo is None or safe_subdir(m.path) != m.path or src.resolve() not in target.resolve().parents:
            continue
        with contextlib.suppress(GitError):  # said as not fetched, like one that could not be read
            export_tree(m.repo.path, m.commit, target)
            exported.append(m.path)
    return exported


def _expand(text: str, places: dict[str, str]) -> str:
    for key, value in places.items():
        text = text.replace("{" + key + "}", value)
    return text


def _timewarp(builder: Builder, release: Release, options: RebuildOptions) -> Timewarp | None:
    """The proxy for this rebuild's installs, when the plug-in gives it a route to its registry, the registry
    is reached over http(s), and the network is allowed."""
    if options.offline:
        return None
    try:
        route = builder.timewarp_route()
    except InputError:
        return None  # no registry configured: said when an install step asks for it
    if route is None or not route.upstream.startswith(("http://", "https://")):
        return None  # a registry on disk is shown to the sandbox as it is
    return Timewarp(parse_time(release.published_at), [route])


def _tree(image: stabilize.Image) -> PackageTree:
    """The regular files of an image, package-root prefix (`package/`, `name-version/`) removed."""
    files = {e.name: PackageFile(e.name, e.data, e.mode) for e in image.entries if e.kind == "file"}
    return strip_root(PackageTree(files))


def _compare_trees(published: PackageTree, rebuilt: PackageTree) -> list[FileResult]:
    return [r for r in compare_trees(published, rebuilt) if r.status != FileStatus.IDENTICAL]


def _is_code(path: str, mode: int, manifests: tuple[str, ...]) -> bool:
    """Code, an executable, or the package's manifest: after stabilising, a manifest that still differs
    declares other dependencies, build scripts or targets, which decide what runs."""
    return is_code(path) or bool(mode & 0o111) or path in manifests


def submodule_paths(src: Path) -> list[str]:
    """Paths of the git submodules the commit declares (.gitmodules); those `export_submodules` did not export
    are missing from the rebuild's source."""
    if not (src / ".gitmodules").is_file():
        return []
    proc = subprocess.run(["git", "config", "--file", ".gitmodules", "--get-regexp", r"^submodule\..*\.path$"],
                          cwd=src, capture_output=True, text=True, timeout=60, check=False)
    return [line.split(" ", 1)[1].strip("/") for line in proc.stdout.splitlines() if " " in line]


def _findings(differences: list[FileResult], published: PackageTree, submodules: list[str],
              manifests: tuple[str, ...]) -> list[Finding]:
    findings = []
    for d in differences:
        mode = published.files[d.path].mode if d.path in published.files else 0
        why = next((f" (it is in submodule {m}, which the rebuild could not fetch)" for m in submodules
                    if d.path.startswith(m + "/")), "")
        if _is_code(d.path, mode, manifests):
            findings.append(Finding(Severity.HIGH, "OSP301", d.path,
                                    f"code file {d.path} differs from the rebuild of the source: {d.reason}{why}"))
        else:
            findings.append(Finding(Severity.MEDIUM, "OSP302", d.path,
                                    f"{d.path} differs from the rebuild of the source: {d.reason}{why}"))
    return findings


def local_registries() -> list[Path]:
    """Registries configured as `file://` directories: the sandbox must see them (read-only) for a build to
    resolve its dependencies from them."""
    found = []
    for ecosystem in ecosystems.supported():
        url = explicit_registry(ecosystem)
        if url and url.startswith("file://"):
            found.append(Path(url2pathname(urlsplit(url).path)))
    return found


class _Build:
    """One rebuild's work directory: build/ (the only writable place in the sandbox), logs outside it."""

    def __init__(self, options: RebuildOptions, builder: Ecosystem, registry: Timewarp | None,
                 progress: Progress | None) -> None:
        self.options = options
        self.builder = builder
        self.registry = registry
        self.progress = progress
        self.phases: list[tuple[str, float]] = []
        self.dir = Path(tempfile.mkdtemp(prefix="ossprov-rebuild-", dir=options.workdir_parent)).resolve()
        self.build = self.dir / "build"
        self.src, self.out, self.home = self.build / "src", self.build / "out", self.build / "home"
        for d in (self.out, self.home / "tmp", self.home / "bin"):
            d.mkdir(parents=True)
        self.toolchain = builder.toolchain_dirs()
        shown = [*local_registries(), *self.toolchain, *([registry.directory] if registry else [])]
        self.sandbox = Sandbox(self.build, self.dir / "build.log", isolate=options.sandbox, limits=options.limits,
                               read_only=shown)
        self.runs: list[tuple[Step, RunResult]] = []

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time a phase and tell the progress callback when it starts and ends."""
        start = time.monotonic()
        if self.progress:
            self.progress(name, "started", 0.0)
        try:
            yield
        finally:
            seconds = round(time.monotonic() - start, 3)
            self.phases.append((name, seconds))
            if self.progress:
                self.progress(name, "finished", seconds)

    def places(self) -> dict[str, str]:
        return {"python": sys.executable, "out": str(self.out), "src": str(self.src), "home": str(self.home)}

    def run(self, step: Step, base_env: dict[str, str]) -> RunResult:
        places = self.places()
        network = step.network and not self.options.offline and step.phase == "install"
        env = dict(base_env)
        argv = [_expand(a, places) for a in step.argv]
        if network and self.registry is not None:
            # The relay offers the proxy's socket on the sandbox's own loopback and points the installer at it.
            options = [x for k, v in self.builder.install_env("{url}").items() for x in ("--env", f"{k}={v}")]
            argv = [sys.executable, str(self.registry.relay), str(self.registry.socket_path),
                    *options, "--", *argv]
        elif step.network:  # offline too: a registry on disk (file://) needs no network
            env.update(self.builder.install_env(None))
        result = self.sandbox.run(argv, cwd=self.src / step.cwd, env=env, network=network)
        self.runs.append((step, result))
        return result

    def close(self) -> str | None:
        if self.options.keep_workdir:
            return str(self.dir)
        shutil.rmtree(self.dir, ignore_errors=True)
        return None


def _recipe(build: _Build, locate: LocateResult, release: Release, published: PackageTree | None,
            filename: str) -> Recipe:
    """The plug-in's recipe, overridden by the user's file; Unbuildable when there is neither."""
    options = build.options
    subdir = (locate.repository.subdir if locate.repository else "").strip("/")
    try:
        inferred: Recipe | None = build.builder.recipe(build.src, subdir, release, published, filename)
        why = ""
    except Unbuildable as exc:
        inferred, why = None, str(exc)
    if options.recipe_file is None:
        if inferred is None:
            raise Unbuildable(why)
        return inferred
    return apply_override(inferred, load_override(options.recipe_file), str(options.recipe_file))


def rebuild(locate: LocateResult, published_artifact: Path, release: Release,
            options: RebuildOptions = RebuildOptions(), *, progress: Progress | None = None) -> RebuildResult:
    """Rebuild the artifact from its located source and compare it with the published one.

    Raises GitError when the repository cannot be fetched; every other failure is an outcome (unbuildable,
    build-failed) in the result, a missing sandbox included. `progress` hears of each phase (PHASES)."""
    start = time.monotonic()
    published_sha = file_digests(published_artifact)["sha256"]
    filename = locate.artifact.filename if locate.artifact else published_artifact.name
    if not locate.located or locate.repository is None or locate.commit is None:
        return RebuildResult(Outcome.UNBUILDABLE, reason="the source repository and commit were not located",
                             published_sha256=published_sha)
    if options.sandbox and (why := sandbox.probe()):
        return RebuildResult(Outcome.UNBUILDABLE, published_sha256=published_sha,
                             reason=f"{why}; refusing to build without a sandbox (pass --no-sandbox to accept that)")
    try:
        published_tree = _tree(stabilize.load_image(published_artifact, filename))
    except ArchiveError as exc:
        return RebuildResult(Outcome.UNBUILDABLE, reason=str(exc), published_sha256=published_sha)
    builder = ecosystems.get(release.ecosystem)
    registry = _timewarp(builder, release, options)
    with registry or contextlib.nullcontext():
        try:
            build = _Build(options, builder, registry, progress)
        except SandboxError as exc:
            return RebuildResult(Outcome.UNBUILDABLE, reason=str(exc), published_sha256=published_sha)
        try:
            with build.phase("fetch source"):
                clone = ensure_clone(locate.repository.url)
                commit_time = Repo(clone).commit_info(locate.commit).time
                export_tree(clone, locate.commit, build.src)
                exported = export_submodules(clone, locate, builder, published_tree, build.src)
            if registry is not None:
                registry.judge_times(release.name)
            result = _run(build, locate, release, published_artifact, published_tree, filename, commit_time,
                          exported)
        finally:
            kept = build.close()
    if registry is not None and result.recipe is not None and any(s.network for s in result.recipe.steps):
        result = replace(result, recipe=replace(result.recipe, notes=(*result.recipe.notes, *registry.notes())),
                         timewarp=registry.summary())
    return _finish(result, published_sha, time.monotonic() - start, kept, build)


def _run(build: _Build, locate: LocateResult, release: Release, published: Path, published_tree: PackageTree,
         filename: str, commit_time: int, exported: list[str]) -> RebuildResult:
    """Infer, build, collect and compare, in the work directory `build` already holding the source."""
    try:
        recipe = _recipe(build, locate, release, published_tree, filename)
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
    # tools a recipe installs for the build's scripts, then the ecosystem's toolchain
    env["PATH"] = ":".join([str(build.home / "bin"), *(str(d / "bin") for d in build.toolchain),
                            env["PATH"]])
    for phase, steps in itertools.groupby(recipe.steps, key=lambda s: s.phase):
        with build.phase("install dependencies" if phase == "install" else "build"):
            for step in steps:
                run = build.run(step, env)
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
        with build.phase("stabilise"):
            cmp = stabilize.compare(published, rebuilt, filename, build.builder.stabilizers)
    except ArchiveError as exc:
        return RebuildResult(Outcome.BUILD_FAILED, recipe, failed_phase="collect", reason=str(exc))
    with build.phase("compare"):
        unfetched = [p for p in submodule_paths(build.src) if p not in exported]
        return _outcome(recipe, cmp, rebuilt, unfetched, build.builder.manifest_files)


def _outcome(recipe: Recipe, cmp: stabilize.Comparison, rebuilt: Path, submodules: list[str],
             manifests: tuple[str, ...]) -> RebuildResult:
    """The result of a finished build: equal raw, equal stabilised, or the files that differ."""
    base = RebuildResult(Outcome.DIFFERS, recipe, cmp.stabilizers, cmp.raw_equal, cmp.stabilized_equal,
                         rebuilt_sha256=file_digests(rebuilt)["sha256"], rebuilt_filename=rebuilt.name)
    if cmp.raw_equal:
        return replace(base, outcome=Outcome.BIT_FOR_BIT)
    if cmp.stabilized_equal:
        return replace(base, outcome=Outcome.STABILIZED)
    assert cmp.published is not None and cmp.rebuilt is not None
    pub_tree, reb_tree = _tree(cmp.published), _tree(cmp.rebuilt)
    diffs = _compare_trees(pub_tree, reb_tree)
    if not diffs:
        diffs = [FileResult(name, FileStatus.UNEXPLAINED, None, f"archive entry {what} differs")
                 for name, what in stabilize.differences(cmp.published, cmp.rebuilt)]
    return replace(base, differences=tuple(diffs), findings=tuple(_findings(diffs, pub_tree, submodules, manifests)),
                   reason=f"{len(diffs)} file(s) differ after stabilising")


def _finish(result: RebuildResult, published_sha: str, seconds: float, kept: str | None,
            build: _Build) -> RebuildResult:
    steps = tuple({"phase": s.phase, "argv": list(r.argv), "exit_code": r.returncode,
                   "seconds": round(r.seconds, 3), "timed_out": r.timed_out} for s, r in build.runs)
    return replace(result, published_sha256=published_sha, seconds=round(seconds, 3), workdir=kept, steps=steps,
                   phases=tuple(build.phases))

