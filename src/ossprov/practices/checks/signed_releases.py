"""Signed-Releases: the last five release tags are signed, or point at signed commits. A signature git can
verify (the key is in the keyring or allowed-signers file) earns 10, a signature it cannot verify earns
Scorecard's 8 for a signed release ("signed, unverified"), an unsigned release 0; the score is the mean."""

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
POINTS = {"verified": 10, "unverified": 8, "unsigned": 0}


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


class SignedReleases(Check):
    name: ClassVar[str] = "Signed-Releases"
    risk: ClassVar[Risk] = Risk.HIGH

    def probe(self, ctx: Context) -> list[Probe]:
        probes = []
        for name, kind, commit in release_tags(ctx.repo):
            status = (_status(ctx.repo, "tag", f"refs/tags/{name}") if kind == "tag" else None)
            signed_by = "tag"
            if status is None:
                status, signed_by = _status(ctx.repo, "commit", commit), "release commit"
            status = status or "unsigned"
            message = {"verified": f"release {name}: {signed_by} signed, signature verified",
                       "unverified": f"release {name}: {signed_by} signed, unverified (key not available)",
                       "unsigned": f"release {name}: neither the tag nor its commit is signed"}[status]
            probes.append(Probe("release", None, None, message, {"tag": name, "status": status}))
        return probes

    def score(self, probes: list[Probe]) -> Scored:
        if not probes:
            raise Inconclusive("no release tags found")
        value = sum(POINTS[p.data["status"]] for p in probes) // len(probes)
        signed = sum(1 for p in probes if p.data["status"] != "unsigned")
        verified = sum(1 for p in probes if p.data["status"] == "verified")
        return value, (f"{signed} out of {len(probes)} recent releases signed ({verified} verified)"
                       + ("" if signed == len(probes) else ": sign release tags (git tag -s)"))
