"""What an ecosystem plug-in provides, one small interface per concern; `Ecosystem` combines them.

Everything ecosystem-specific lives behind these; locate, pin, compare, rebuild and report are generic and never
test an ecosystem's name. A new ecosystem is one package `ecosystems/NAME/` whose `__init__` exports
`ECOSYSTEM = NAME()` (a subclass of `Ecosystem`), registered in `ecosystems/__init__.py`. The concerns, and
which stage asks:

- `Registry` (the release stage; threats, practices and fix read `release` and `history` too): one version's
  files with digests, source hints and typed facts on `Release`; the package's history; the file most comparable
  with source. Registry documents are fetched through `once_per_run`.
- `ArtifactReader` (fetch and `--artifact`): the artifact read safely, root prefix removed; the source hints
  inside it; a release from the file alone.
- `SourceLayout` (locate, pin and compare): the package manifest in a source tree, the tag names of a version,
  which artifact files have a source counterpart and where, which source files the package's own file list ships.
- `Comparator` (compare): why a file differs from its source (normalised, generated), findings against the
  source, and findings the artifact shows by itself.
- `Builder` (rebuild): the recipe, where its installs fetch from, the registry the timewarp proxy serves, the
  host's toolchain directories the sandbox must show, the stabilisers of what its build tool writes. Optional: by default the ecosystem is not rebuilt.

Each concern's methods with a default need not be written; `golang/` and `cargo/` are small complete examples
(cargo with a Builder). The registry, the artifact and the comparison also need `model.py` records: a typed
`*Publication` on `Release` for registry facts later stages read, an artifact `kind` (see `INSTALLABLE_KINDS`).
"""

from __future__ import annotations

import fnmatch
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from packageurl import PackageURL

from ossprov.config import explicit_registry
from ossprov.model import ArtifactRef, FileResult, Finding, PackageTree, Release, SourceHint
from ossprov.verify.recipe import Recipe, Unbuildable

if TYPE_CHECKING:  # the timewarp proxy (and its HTTP server) loads only for a rebuild
    from ossprov.verify.stabilize import Image, Named
    from ossprov.verify.timewarp import Route

ReadSource = Callable[[str], bytes | None]
"""Reads a file of the source tree by repository path (None when absent)."""
ReadMany = Callable[[Iterable[str]], dict[str, bytes]]
"""Reads many files of the source tree at once (repository path → content; absent paths left out)."""
T = TypeVar("T")

INSTALLABLE_KINDS = frozenset({"tgz", "sdist", "wheel", "jar", "sources-jar", "nupkg", "module-zip", "crate"})
"""Artifact kinds a client installs (or a build tool consumes): each is verified by default. POMs and
signatures are not."""

_run_memo: ContextVar[dict[Any, Any] | None] = ContextVar("ossprov_run_memo", default=None)


@contextmanager
def one_run() -> Iterator[None]:
    """Within a run of the stages, a registry document asked for twice (the release, then the history for
    the practices' maintenance signals) is fetched once."""
    token = _run_memo.set({})
    try:
        yield
    finally:
        _run_memo.reset(token)


def once_per_run(key: Any, fetch: Callable[[], T]) -> T:
    """`fetch()`, or what it gave earlier in this run for `key` (failures are not remembered)."""
    memo = _run_memo.get()
    if memo is None:
        return fetch()
    if key not in memo:
        memo[key] = fetch()
    return memo[key]


@dataclass(frozen=True)
class VersionInfo:
    """One version in a package's history, as far as the registry tells."""

    version: str
    published_at: str | None = None
    maintainers: tuple[str, ...] = ()
    """Who could publish (npm maintainers, PyPI has none in the simple API)."""
    publisher: str | None = None
    """Who did publish (npm _npmUser), when known."""
    deprecated: str | None = None
    yanked: str | None = None


@dataclass(frozen=True)
class PackageHistory:
    """A package's releases: for maintenance signals, squat forward lookups and removed-version checks."""

    ecosystem: str
    name: str
    versions: tuple[VersionInfo, ...] = ()
    """Oldest first."""
    maintainers: tuple[str, ...] = ()
    """Current maintainers of the package as a whole."""
    repository: str | None = None
    """Repository URL declared by the latest version, not normalised."""
    missing_fields: tuple[str, ...] = ()

    @property
    def first_release(self) -> str | None:
        times = [v.published_at for v in self.versions if v.published_at]
        return min(times) if times else None


@dataclass(frozen=True)
class Manifest:
    """What a manifest file in a source tree says about the package it builds."""

    path: str
    """Repository path of the manifest (package.json, pyproject.toml, setup.cfg, setup.py, pom.xml, *.csproj)."""
    name: str | None
    version: str | None
    """None when the version is dynamic (setuptools_scm, `version = attr:`)."""
    data: dict = field(default_factory=dict)
    """Parsed fields later stages use (npm scripts, build-system, ...)."""


@dataclass(frozen=True)
class Comparison:
    """What an ecosystem says about one artifact file whose bytes differ from (or are absent in) the source."""

    result: FileResult
    findings: tuple[Finding, ...] = ()


class Concern(ABC):
    """What every concern knows: the purl type of its ecosystem."""

    purl_type: ClassVar[str]


class Registry(Concern):
    """The package registry: releases, their files and digests, the package's history."""

    direct_commit_kind: ClassVar[str] = "vcs-commit"
    """How the evidence names a commit the metadata states outright (npm: `gitHead`)."""
    history_with_release: ClassVar[bool] = False
    """True when `history` reads the document `release` already fetched (npm's packument, PyPI's file list):
    the locate stage then weighs every version's upload time at no extra request."""
    declares_directory: ClassVar[bool] = False
    """True when the declared repository can name the package's directory in it (npm `repository.directory`):
    a fix then asks for the directory too."""

    @abstractmethod
    def release(self, purl: PackageURL) -> Release:
        """Registry metadata of one version. Raises NotFoundError for an unknown package or version."""

    @abstractmethod
    def history(self, name: str) -> PackageHistory | None:
        """All versions of a package, or None when the registry does not know the name."""

    @abstractmethod
    def choose_artifact(self, release: Release) -> ArtifactRef | None:
        """The artifact most comparable with source (npm tarball, PyPI sdist before wheel, ...)."""

    def installable(self, release: Release, pattern: str | None = None) -> list[ArtifactRef]:
        """Every file of the release a client can install, each verified (the chosen one first): npm's
        tarball, PyPI's sdist and every wheel, Maven's jar and sources jar, the .nupkg. `pattern` (a glob on
        the filename) narrows them."""
        chosen = self.choose_artifact(release)
        refs = [a for a in release.artifacts if a.kind in INSTALLABLE_KINDS or a == chosen]
        refs.sort(key=lambda a: a != chosen)
        return [a for a in refs if pattern is None or fnmatch.fnmatchcase(a.filename, pattern)]

    def configured_local_bases(self) -> list[str]:
        """`file://` URL prefixes the user configured for this ecosystem's registry: the only places a
        registry answer may point at on this machine (any other `file://` location in metadata is refused)."""
        explicit = explicit_registry(self.purl_type)
        return [explicit] if explicit and explicit.startswith("file://") else []

    def digest_matches(self, artifact: ArtifactRef, digests: dict[str, str]) -> bool | None:
        """Compare computed digests with the published ones: True/False, or None when none was published."""
        checked = None
        for algo, published in artifact.digests.items():
            if algo in digests:
                if digests[algo].lower() != published.lower():
                    return False
                checked = True
        return checked


class ArtifactReader(Concern):
    """The artifact file: read safely, and what it says by itself."""

    @abstractmethod
    def read_artifact(self, path: Path, filename: str) -> PackageTree:
        """Read an artifact file safely into a PackageTree with the package-root prefix removed."""

    @abstractmethod
    def artifact_release(self, purl: PackageURL, tree: PackageTree) -> Release:
        """A Release built from the artifact alone (for --artifact with an unreachable registry)."""

    @abstractmethod
    def artifact_hints(self, tree: PackageTree) -> list[SourceHint]:
        """Source hints found inside the artifact (package.json, METADATA, nuspec, MANIFEST.MF, README links)."""

    def version_document(self, tree: PackageTree) -> dict[str, Any] | None:
        """The artifact's manifest as the registry serves it for the version (npm's package.json, which
        the mirror serves as the packument's version object and checks names this release), or None when the
        registry serves no such document."""
        return None


class SourceLayout(Concern):
    """How a package sits in its source tree."""

    manifest_files: ClassVar[tuple[str, ...]]
    """File names that declare a package in a source tree, in order of authority."""

    @abstractmethod
    def read_manifest(self, read: ReadSource, subdir: str) -> Manifest | None:
        """The package manifest at `subdir` of a source tree, or None."""

    @abstractmethod
    def tag_names(self, name: str, version: str) -> list[str]:
        """Tag names a version is usually released under, most likely first."""

    def comparable_files(self, tree: PackageTree) -> dict[str, bytes]:
        """The artifact files expected to have a source counterpart (default: all)."""
        return {p: f.data for p, f in tree.files.items()}

    def source_path(self, artifact_path: str, content_root: str) -> str:
        """Where an artifact file is expected in the repository."""
        return content_root + artifact_path

    def listed_files(self, context: CompareContext) -> list[str]:
        """Repository paths the package's own file list says ship (npm's `files`); each one the artifact lacks
        is reported missing. Default: the ecosystem has no such list."""
        return []


class Comparator(Concern):
    """What an ecosystem knows about artifact files that are not byte-identical to their source."""

    @abstractmethod
    def explain(
        self, path: str, data: bytes, source: bytes | None, context: CompareContext
    ) -> Comparison | None:
        """Explain a file whose bytes are not identical to its source: normalised, generated, or None to let
        the generic rules decide (modified or unexplained)."""

    def release_findings(self, release: Release, tree: PackageTree, context: CompareContext) -> list[Finding]:
        """Findings about the release as a whole against its source (install hooks the repository's manifest
        does not have, native build files)."""
        return []

    def artifact_findings(self, release: Release, tree: PackageTree) -> list[Finding]:
        """Findings the artifact shows by itself, with or without a source (a .pth file in a wheel, a RECORD
        that does not match, metadata naming another package): a package whose repository cannot be found
        still gets them, and any high one makes it `mismatch`."""
        return []


class Builder(Concern):
    """How the source builds into the artifact, for the rebuild stage. The defaults: not rebuilt."""

    def recipe(self, source: Path, subdir: str, release: Release, published: PackageTree | None,
               filename: str) -> Recipe:
        """The recipe that builds `filename` from the package directory `subdir` of the work tree `source`
        (`published` is the artifact's tree, for the toolchain it records). Raises Unbuildable, saying why."""
        raise Unbuildable(f"rebuilding {self.purl_type} packages is not supported")

    def install_env(self, proxy: str | None) -> dict[str, str]:
        """Environment that points the install steps at the registry: the timewarp proxy at URL `proxy` when
        one runs (`timewarp_route`), else the configured registry with any credential removed (the build's
        own code runs during installation and must not hold the user's tokens)."""
        return {}

    def toolchain_dirs(self) -> list[Path]:
        """Host installation prefixes (each with a `bin/`) of the build tools when they live outside the system
        directories (nvm's node, a rustup toolchain): shown read-only in the sandbox, and first on the build's
        PATH (`ossprov.verify.sandbox.tool_prefixes` finds them for named programs)."""
        return []

    def timewarp_route(self) -> Route | None:
        """How the timewarp proxy (`ossprov.verify.timewarp`) serves this ecosystem's registry as of the release,
        in front of the configured one; None when the ecosystem has no such route. Raises InputError when no
        registry is configured."""
        return None

    def stabilizers(self, published: Image) -> Named:
        """Named stabilisers (`ossprov.verify.stabilize`) for what the ecosystem's build tool writes into the
        artifact, applied after the generic ones, for this published artifact (a tool's version-dependent
        manifest, a lockfile older tools left out). Default: none."""
        return ()


class Ecosystem(Registry, ArtifactReader, SourceLayout, Comparator, Builder):
    """One package ecosystem (a purl type): every concern together."""


@dataclass
class CompareContext:
    """What `explain` may look at besides the file itself: the whole artifact and the source tree."""

    tree: PackageTree
    source_files: dict[str, str]
    """Repository path → blob id at the pinned commit (the whole repository tree)."""
    read_source: ReadSource
    read_many: ReadMany
    content_root: str
    subdir: str
    release: Release | None = None
    manifest: Manifest | None = None
    commit: str | None = None
    """The pinned commit: commits embedded in the artifact (git.properties, assembly versions, SourceLink)
    must agree with it."""
    notes: dict = field(default_factory=dict)
    """Scratch space for an ecosystem to keep what it computed once per comparison."""
