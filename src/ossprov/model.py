"""The records that flow through the pipeline, defined once and serialised one way (`to_json`).

Stages are functions from records to records; a stage reads only the records it is given, which keeps each
stage testable alone and lets the batch runner ship records between processes and machines.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from ossprov.redaction import redact_text


class Severity(enum.StrEnum):
    """How bad a finding is; ordered so that `rank` compares."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"high": 3, "medium": 2, "low": 1, "info": 0}[self.value]


class FileStatus(enum.StrEnum):
    """Exactly one of these for each file of an artifact (and `missing` for source files not shipped)."""

    IDENTICAL = "identical"
    NORMALIZED = "normalized"
    GENERATED = "generated"
    MODIFIED = "modified"
    UNEXPLAINED = "unexplained"
    MISSING = "missing"


class Verdict(enum.StrEnum):
    """What a run concludes about a package version (computed once, in `ossprov.verdict`)."""

    FAITHFUL = "faithful"
    FAITHFUL_WITH_BUILD_OUTPUT = "faithful-with-build-output"
    MISMATCH = "mismatch"
    UNVERIFIABLE = "unverifiable"
    REMOVED = "removed"
    """The registry no longer serves the version (taken down, unpublished): a result, not an error."""

    @property
    def rank(self) -> int:
        """How worrying, for the overall verdict of several artifacts (the worst wins)."""
        order = ("faithful", "faithful-with-build-output", "unverifiable", "removed", "mismatch")
        return order.index(self.value)


@dataclass(frozen=True)
class Evidence:
    """One fact that supports (or undermines) a conclusion, as a person would want to read it."""

    kind: str
    """What sort of fact: declared-repository, homepage, readme-link, gitHead, tag, manifest-version,
    content-match, artifact-digest, registry-missing-field, ..."""
    detail: str
    """One sentence a person can read."""
    data: dict[str, Any] = field(default_factory=dict)
    """Machine-readable particulars (urls, shas, counts)."""
    supports: bool = True
    """False when the fact contradicts the conclusion (a tag pointing at the wrong commit)."""


@dataclass(frozen=True)
class SourceHint:
    """A place where the package's source may live, as named by one piece of metadata."""

    url: str
    """The URL as found (not yet normalised)."""
    origin: str
    """Which metadata named it: declared-repository, homepage, bugs, readme-link, project-url:Source, ..."""
    subdir: str = ""
    """Subdirectory declared with it (npm repository.directory, /tree/<ref>/<dir> links)."""
    commit: str | None = None
    """A commit the metadata names directly (npm gitHead, nuspec repository commit, Maven SCM revision)."""
    tag: str | None = None
    """A tag the metadata names directly (Maven scm/tag)."""


@dataclass(frozen=True)
class ArtifactRef:
    """A published file of a release, as the registry describes it."""

    filename: str
    url: str
    kind: str
    """tgz (npm), sdist, wheel, nupkg, jar, sources-jar, pom."""
    digests: dict[str, str] = field(default_factory=dict)
    """Published digests by algorithm (sha512, sha256, sha1), hex encoded."""
    yanked: str | None = None
    """PEP 592 yank reason ("" when yanked without reason), None when not yanked."""


@dataclass(frozen=True)
class NpmPublication:
    """What npm's version document says about how the version was published (all optional: mirrors drop
    them)."""

    node_version: str | None = None
    """`_nodeVersion`: the Node.js the publisher ran, which the rebuild recipe uses."""
    npm_version: str | None = None
    """`_npmVersion`: the npm that packed the tarball."""
    npm_user: str | None = None
    """`_npmUser.name`: who published."""
    scripts: dict[str, Any] = field(default_factory=dict)
    """The `scripts` the registry will run at install (which may differ from the tarball's package.json)."""
    engines: dict[str, Any] = field(default_factory=dict)
    attestations: Any = None
    """`dist.attestations` as sent (provenance and publish attestations)."""
    git_head: str | None = None
    """`gitHead`: the commit npm recorded at publish."""
    install: dict[str, Any] = field(default_factory=dict)
    """The install fields of the version object (dependencies, scripts, bin, os/cpu...), which npm installs
    from and which can differ from the tarball's package.json (manifest confusion)."""


@dataclass(frozen=True)
class PypiPublication:
    """PyPI facts about a release beyond its files."""

    yanked: str | None = None
    """The yank reason when every file of the release is yanked (PEP 592), else None."""


@dataclass(frozen=True)
class MavenPublication:
    """What the POM says beyond the hints: packaging and where the SCM block came from."""

    packaging: str | None = None
    scm: Any = None
    scm_from: str | None = None
    """Which POM of the parent chain declared the SCM block."""


@dataclass(frozen=True)
class NugetPublication:
    """NuGet registration facts."""

    listed: bool | None = None
    """False when the version is unlisted (hidden from search, still installable by exact version)."""


@dataclass(frozen=True)
class GoPublication:
    """What the Go module proxy serves beside the zip."""

    go_mod: str | None = None
    """The proxy's `.mod` file: what the go command resolves dependencies from (must equal the zip's go.mod)."""
    origin: dict[str, Any] | None = None
    """The `.info` Origin record (VCS, URL, hash) when the proxy sends one."""
    h1: str | None = None
    """The go.sum `h1:` hash of the zip, as a go.sum line would record it."""


@dataclass(frozen=True)
class CargoPublication:
    """What the crate index records beside the checksum."""

    index_dependencies: tuple[str, ...] = ()
    """Names of the dependencies the index lists (what cargo resolves from)."""
    links: str | None = None
    """The `links` key the index records (a native library the build script links)."""


@dataclass(frozen=True)
class Release:
    """What the registry says about one version of a package."""

    purl: str
    ecosystem: str
    name: str
    version: str
    artifacts: tuple[ArtifactRef, ...] = ()
    hints: tuple[SourceHint, ...] = ()
    """Source hints found in the registry metadata (not yet those inside the artifact)."""
    published_at: str | None = None
    """ISO 8601 time of publication, when the registry says."""
    maintainers: tuple[str, ...] = ()
    deprecated: str | None = None
    """The deprecation message, when the version is deprecated."""
    missing_fields: tuple[str, ...] = ()
    """Registry fields a full registry has but this one did not send (mirrors drop gitHead, time, ...)."""
    npm: NpmPublication | None = None
    """npm's publication facts (None for other ecosystems)."""
    pypi: PypiPublication | None = None
    maven: MavenPublication | None = None
    nuget: NugetPublication | None = None
    golang: GoPublication | None = None
    cargo: CargoPublication | None = None


@dataclass(frozen=True)
class PackageFile:
    """One regular file of an artifact, read into memory."""

    path: str
    """Path relative to the package root (npm's `package/` and the sdist's `name-version/` removed)."""
    data: bytes
    mode: int = 0o644


@dataclass(frozen=True)
class PackageTree:
    """The files of an artifact, safely read, plus what was refused on the way."""

    files: dict[str, PackageFile]
    root_prefix: str = ""
    """The common prefix removed from every path (e.g. `package/`)."""
    refused: tuple[tuple[str, str], ...] = ()
    """(entry name, reason) for each entry not taken: traversal, link out, device file, ..."""
    mtimes: tuple[int, ...] = ()
    """Modification times of the entries, as stored: evidence of when the artifact was made."""


@dataclass(frozen=True)
class RepoCandidate:
    """A repository that may hold the package's source, with the evidence that named it and the validation."""

    url: str
    """Normalised clone URL (https://host/owner/name for known forges)."""
    subdir: str = ""
    score: float = 0.0
    evidence: tuple[Evidence, ...] = ()
    validated: bool | None = None
    """True: the package's manifest (or its files) is in the repository; False: not; None: not checked."""
    claim: str | None = None
    """What the repository's own manifest at that subdir names, when it names a different package."""


@dataclass(frozen=True)
class Repository:
    url: str
    subdir: str = ""


@dataclass(frozen=True)
class ArtifactInfo:
    """The artifact actually examined."""

    filename: str
    sha256: str
    source: str
    """Where it came from: the registry URL, or `local:` + path for --artifact."""
    digest_ok: bool | None = None
    """True when it matched the registry's published digest, False on mismatch, None if none published."""
    digests: dict[str, str] = field(default_factory=dict)
    """sha1, sha256 and sha512 of the artifact examined (lockfiles record any of them)."""


@dataclass(frozen=True)
class LocateResult:
    """Where a package version's source is: repository, subdirectory, commit, and why we think so."""

    purl: str
    repository: Repository | None = None
    commit: str | None = None
    confidence: float = 0.0
    evidence: tuple[Evidence, ...] = ()
    candidates: tuple[RepoCandidate, ...] = ()
    artifact: ArtifactInfo | None = None
    repository_claim: str | None = None
    """`verified` (files found in the repository), `unverified-other-package` (the declared repository
    holds another package and none of this one's files), `unverified` or None when nothing is declared."""
    content_root: str = ""
    """Path prefix in the repository under which the artifact's files sit (subdir, or subdir/src/ for
    wheels of src layouts)."""
    release_time: str | None = None
    published_digests: tuple[tuple[str, str], ...] = ()
    """(algorithm, hex) of every file the registry lists for this version: what a lockfile digest may name."""

    @property
    def located(self) -> bool:
        return self.repository is not None and self.commit is not None

    @property
    def clone_failed(self) -> bool:
        """Not located because no candidate repository could be cloned (a network or git failure, not a
        finding about the package)."""
        tried = [c for c in self.candidates if c.validated is not None]
        return (not self.located and bool(tried)
                and all(any(e.kind == "clone" and not e.supports for e in c.evidence) for c in tried))


@dataclass(frozen=True)
class FileResult:
    path: str
    status: FileStatus
    source_path: str | None = None
    reason: str = ""
    diff: str | None = None
    """Unified diff (capped) for modified text files."""


@dataclass(frozen=True)
class Finding:
    severity: Severity
    rule: str
    """Stable identifier, e.g. OSP101; described once in the rule catalogue (`ossprov.verify.rules`)."""
    path: str | None
    message: str
    artifact: str | None = None
    """The file of the release the finding is about, when the release has several (a wheel beside the
    sdist); None for findings about the version as a whole."""


@dataclass(frozen=True)
class ArtifactResult:
    """The verification of one installable file of a release against the pinned source."""

    artifact: ArtifactInfo
    kind: str
    """tgz, sdist, wheel, jar, sources-jar, nupkg (as the registry lists it)."""
    verdict: Verdict
    reason: str = ""
    content_root: str = ""
    """Where this file's paths sit in the repository (a wheel of a src layout differs from its sdist)."""
    file_results: tuple[FileResult, ...] = ()
    findings: tuple[Finding, ...] = ()
    shared: int = 0
    """Files whose comparison was taken from an earlier artifact of the release holding the same bytes."""
    commit: str | None = None
    """The commit this file was compared with when it is not the release's (it was built from another commit of
    the release's history, finding OSP205); None: the release's pinned commit."""


@dataclass(frozen=True)
class VerifyResult:
    """What a run concluded: the located source, the verdict over every stage that ran and every file
    the release installs, the primary artifact's files, and every finding."""

    locate: LocateResult
    verdict: Verdict
    file_results: tuple[FileResult, ...] = ()
    """The primary artifact's files (the one the ecosystem compares best with source)."""
    findings: tuple[Finding, ...] = ()
    """Every finding of every stage and artifact, each once."""
    reason: str = ""
    """Why the verdict is what it is, for `unverifiable` in particular."""
    artifacts: tuple[ArtifactResult, ...] = ()
    """One result per installable file verified (the primary first); empty when none could be compared."""

    @property
    def counts(self) -> dict[str, int]:
        counts = {s.value: 0 for s in FileStatus}
        for r in self.file_results:
            counts[r.status.value] += 1
        return counts

    @property
    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), key=lambda s: s.rank, default=None)


def from_json(cls: Any, data: Any) -> Any:
    """The inverse of `to_json` for the records of this module: rebuild a record (and the records, enums,
    tuples and dicts inside it) from JSON data, e.g. a result reused from the database. Keys the record
    does not have are ignored, so records stored by older versions still load."""
    if data is None:
        return None
    origin = typing.get_origin(cls)
    if origin in (types.UnionType, typing.Union):
        options = [a for a in typing.get_args(cls) if a is not type(None)]
        return from_json(options[0], data) if len(options) == 1 else data
    if origin is tuple:
        item = typing.get_args(cls)[0]
        return tuple(from_json(item, v) for v in data)
    if origin is dict:
        _, value = typing.get_args(cls)
        return {k: from_json(value, v) for k, v in data.items()}
    if isinstance(cls, type) and issubclass(cls, enum.Enum):
        return cls(data)
    if isinstance(cls, type) and dataclasses.is_dataclass(cls):
        hints = typing.get_type_hints(cls)
        names = {f.name for f in dataclasses.fields(cls) if f.init}
        return cls(**{k: from_json(hints[k], v) for k, v in data.items() if k in names})
    return data


@functools.cache
def _field_names(cls: type) -> tuple[str, ...] | None:
    """The fields of a record class (None for any other class), looked up once per class."""
    return tuple(f.name for f in dataclasses.fields(cls)) if dataclasses.is_dataclass(cls) else None


def to_json(obj: Any) -> Any:
    """Turn records into JSON-ready values: dataclasses to dicts, enums to values, tuples to lists; every
    string has credentials redacted (`ossprov.redaction`), since every printed or stored record passes here."""
    if type(obj) is str:  # the most common value first (a str enum is an enum, below)
        return redact_text(obj)
    names = _field_names(type(obj))  # type: ignore[arg-type]  # every class is hashable
    if names is not None:
        return {name: to_json(getattr(obj, name)) for name in names}
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, str):
        return redact_text(obj)
    if isinstance(obj, dict):
        return {redact_text(str(k)): to_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [to_json(v) for v in obj]
    if isinstance(obj, bytes):
        return redact_text(obj.decode("utf-8", "replace"))
    return obj
