"""Withdrawn and removed versions: deprecated npm versions, yanked PyPI releases (PEP 592), versions the
registry no longer serves, and lockfile digests that no longer match what the registry serves."""

from __future__ import annotations

from ossprov.model import Finding, Release, Severity


def release_status_findings(release: Release, filename: str | None = None) -> list[Finding]:
    """Findings about the version's standing in the registry."""
    findings = []
    if release.deprecated:
        findings.append(
            Finding(Severity.MEDIUM, "OSP511", None, f"this version is deprecated: {release.deprecated}")
        )
    yanked = [
        a for a in release.artifacts if a.yanked is not None and (filename is None or a.filename == filename)
    ]
    if yanked:
        reason = yanked[0].yanked or "no reason given"
        findings.append(
            Finding(
                Severity.MEDIUM,
                "OSP512",
                yanked[0].filename,
                f"this release was yanked from the index ({reason})",
            )
        )
    return findings


def removed_finding(purl: str, detail: str) -> Finding:
    """A version a lockfile names that the registry no longer serves (left-pad): builds break or resolve
    to something else."""
    return Finding(Severity.HIGH, "OSP513", None, f"{purl} is no longer served by the registry: {detail}")


def lockfile_digest_findings(recorded: set[tuple[str, str]], served: set[tuple[str, str]],
                             where: str) -> list[Finding]:
    """The digests a lockfile accepts against those of the files the registry serves now (published digests
    and those computed from the artifact): when they share an algorithm but no value, the content was
    republished or modified at rest. A lockfile lists one digest per released file (wheels and the sdist),
    so any match clears it."""
    recorded = {(a, v.lower()) for a, v in recorded}
    served = {(a, v.lower()) for a, v in served}
    common = {a for a, _ in recorded} & {a for a, _ in served}
    if not common or recorded & served:
        return []
    algo = sorted(common)[0]
    return [Finding(Severity.HIGH, "OSP514", where,
                    f"no {algo} the lockfile records matches a file the registry serves now "
                    "(republished or modified at rest)")]
