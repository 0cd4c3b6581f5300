"""Signed-Releases: the files of the last five releases are signed, scored as Scorecard v5 does: a release
with a provenance file (`.intoto.jsonl`) earns 10, one with a signature file (`.asc`, `.minisig`, `.sig`,
`.sign`, `.sigstore`, `.sigstore.json`) 8, others 0; the score is the mean over releases that have files
(rounded down), and inconclusive without any.

Release files are on the forge, not in git, so they are read with the GitHub API; without a token the
check is inconclusive and says so. Signed release tags are shown (verified when git has the key) but not
scored, since Scorecard does not score them and a signed tag says nothing about the files users download.
"""

from __future__ import annotations

import re
from typing import ClassVar

from ossprov.errors import GitError
from ossprov.practices.context import Context
from ossprov.practices.interface import Check, Inconclusive, Scored
from ossprov.practices.records import Probe, Risk
from ossprov.source.git import Repo

RELEASES = 5
_RELEASE_TAG = re.compile(r"(^|[/-])v?\d+(\.\d+)+")
_SIGNATURE = re.compile(rb"-----BEGIN (PGP|SSH) SIGNATURE-----|-----BEGIN SIGNED MESSAGE-----")
SIGNATURE_EXTENSIONS = (".asc", ".minisig", ".sig", ".sign", ".sigstore", ".sigstore.json")
PROVENANCE_EXTENSIONS = (".intoto.jsonl",)


def release_tags(repo: Repo) -> list[tuple[str, str, str]]:
    """(name, object type, commit) of the newest release-looking tags, newest first."""
    out = repo.git("for-each-ref", "--sort=-creatordate", "--format=%(refname:strip=2)%00%(objecttype)%00"
                   "%(objectname)%00%(*objectname)", "refs/tags").decode("utf-8", "replace")
    tags = []
    for line in out.splitlines():
        name, kind, obj, peeled = line.split("\x00")
        if _RELEASE_TAG.search(name):
            tags.append((name, kind, peeled or obj))
        if len(tags) == RELEASES:
            break
    return tags


def _status(repo: Repo, what: str, obj: str) -> str | None:
    """verified / unverified when `obj` (a tag or commit) carries a signature, else None."""
    body = repo.git("cat-file", what, obj)
    header = body.split(b"\n\n", 1)[0] if what == "commit" else body
    if not _SIGNATURE.search(header):
        return None
    try:
        repo.git(f"verify-{what}", obj, timeout=60)
    except GitError:
        return "unverified"  # no key for it here, or a bad signature: either way not shown to be good
    return "verified"


def _asset_probes(release: dict) -> list[Probe]:
    """releasesHaveProvenance and releasesAreSigned for one release, from the names of its files."""
    tag = str(release.get("tag_name") or release.get("name") or "?")
    names = [str(a.get("name", "")) for a in release.get("assets") or [] if isinstance(a, dict)]
    provenance = next((n for n in names if n.endswith(PROVENANCE_EXTENSIONS)), None)
    signature = next((n for n in names if n.endswith(SIGNATURE_EXTENSIONS)), None)
    return [Probe("releasesHaveProvenance", provenance is not None, None, None,
                  f"release {tag}: provenance {provenance}" if provenance else "", {"release": tag}),
            Probe("releasesAreSigned", signature is not None, None, None,
                  f"release {tag}: signed ({signature})" if signature else
                  f"release {tag}: no signature among its {len(names)} file(s)", {"release": tag})]


def _tag_probes(ctx: Context) -> list[Probe]:
    """Whether the newest release tags are signed: shown, not scored (Scorecard scores release files)."""
    probes = []
    for name, kind, commit in release_tags(ctx.repo):
        status = _status(ctx.repo, "tag", f"refs/tags/{name}") if kind == "tag" else None
        signed_by = "tag"
        if status is None:
            status, signed_by = _status(ctx.repo, "commit", commit), "release commit"
        message = {"verified": f"tag {name}: {signed_by} signed, signature verified",
                   "unverified": f"tag {name}: {signed_by} signed, unverified (key not available)",
                   None: f"tag {name}: neither the tag nor its commit is signed"}[status]
        probes.append(Probe("releaseTagSigned", status is not None, None, None, message,
                            {"tag": name, "status": status or "unsigned"}))
    return probes


class SignedReleases(Check):
    name: ClassVar[str] = "Signed-Releases"
    risk: ClassVar[Risk] = Risk.HIGH

    def probe(self, ctx: Context) -> list[Probe]:
        probes = _tag_probes(ctx)
        if ctx.github is None:
            return probes
        releases = ctx.github.get("/releases", per_page=30) or []
        for release in [r for r in releases if isinstance(r, dict)][:RELEASES]:
            if release.get("assets"):
                probes += _asset_probes(release)
        if not any(p.name == "releasesAreSigned" for p in probes):
            probes.append(Probe("releasesAreSigned", None, None, None, "no GitHub releases with files"))
        return probes

    def score(self, probes: list[Probe]) -> Scored:
        signed = {p.data["release"]: p.outcome for p in probes if p.name == "releasesAreSigned" and "release" in p.data}
        provenance = {p.data["release"]: p.outcome for p in probes if p.name == "releasesHaveProvenance"}
        if not any(p.name == "releasesAreSigned" for p in probes):
            tags = [p for p in probes if p.name == "releaseTagSigned"]
            seen = f"; {sum(1 for p in tags if p.outcome)} of the {len(tags)} newest release tags are signed" if tags else ""
            raise Inconclusive("release files (.sig, .asc, .intoto.jsonl, ...) are on the forge, not in git: run with "
                               f"a GitHub token to check them{seen}")
        if not signed:
            raise Inconclusive("no releases with files found")
        points = {tag: 10 if provenance.get(tag) else 8 if signed[tag] else 0 for tag in signed}
        if not any(points.values()):
            return 0, "project has not signed or included provenance with any releases: sign the release files"
        value = sum(points.values()) // len(points)
        return value, f"{sum(1 for v in points.values() if v)} out of the last {len(points)} releases signed " \
                      f"({sum(1 for tag in points if provenance.get(tag))} with provenance)"
