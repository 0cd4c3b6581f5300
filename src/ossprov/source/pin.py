"""Pin a package version to one commit of a repository, and say how sure we are and why.

Every kind of evidence proposes commits: the registry's gitHead (or nuspec commit, Maven SCM revision), tags
named like the version, commits where the manifest's version became this version, and content search over
the blob index. Each proposed commit is then checked the same way, exactly: how many of the artifact's files
sit unchanged in its tree. The commit that holds the most wins; evidence that points elsewhere is kept, marked
as contradicting, so a moved tag or an unpushed gitHead is visible in the report.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from ossprov.ecosystems.interface import Ecosystem
from ossprov.model import Evidence
from ossprov.source import index
from ossprov.source.git import Repo

KIND_PRIORITY = {"gitHead": 4, "vcs-commit": 4, "tag": 3, "manifest-version": 2, "content-match": 1}


@dataclass(frozen=True)
class Pin:
    commit: str | None
    prefix: str
    """Repository path prefix under which the artifact's files sit at that commit."""
    matched: int
    total: int
    confidence: float
    evidence: tuple[Evidence, ...]


def iso_to_epoch(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


def _prefix(subdir: str) -> str:
    return subdir.strip("/") + "/" if subdir.strip("/") else ""


def _with_version(tag: str, version: str) -> str:
    """A tag named by metadata for another version (a POM's <scm><tag> is often the previous release's),
    with its version replaced by this one."""
    return re.sub(r"\d+(\.\d+)+([.-][0-9A-Za-z]+)*", version, tag, count=1)


def _tag_commits(repo: Repo, eco: Ecosystem, name: str, version: str, repo_name: str,
                 hint_tags: list[str]) -> list[tuple[str, str, str]]:
    """(tag, commit, how it was matched): conventional names first, then tags named by metadata, then any tag
    holding the version as a whole token (`4.17.21-npm`, `rel/commons-lang-3.14.0`)."""
    tags = repo.tags()
    lowered = {t.lower(): t for t in tags}
    wanted = [*eco.tag_names(name, version), f"rel/{repo_name}-{version}", f"{repo_name}-{version}",
              f"{repo_name}-v{version}", *hint_tags, *(_with_version(t, version) for t in hint_tags)]
    found: list[tuple[str, str, str]] = []
    for want in dict.fromkeys(wanted):
        real = lowered.get(want.lower())
        if real and all(real != f[0] for f in found):
            found.append((real, tags[real], "names the version"))
    if not found:
        token = re.compile(r"(?<![\d.])v?" + re.escape(version) + r"(?![\d])")
        loose = [t for t in tags if token.search(t)]
        found += [(t, tags[t], "contains the version") for t in sorted(loose)[:3]]
    return found


def _manifest_version_commits(repo: Repo, eco: Ecosystem, subdir: str, version: str, limit: int = 5) -> list[str]:
    """Commits whose change to the manifest made its version this version (newest first)."""
    paths = [_prefix(subdir) + m for m in eco.manifest_files]
    pattern = r"version.{0,8}[\"']?" + re.escape(version) + r"[\"']?"
    out = repo.git("log", "--all", "--format=%H", f"-G{pattern}", "--", *paths, check=False).decode()
    commits = []
    for sha in out.split()[: limit * 4]:
        manifest = eco.read_manifest(lambda p, c=sha: repo.read_file(c, p), subdir)
        if manifest and manifest.version == version:
            commits.append(sha)
            if len(commits) >= limit:
                break
    return commits


def pin(repo: Repo, eco: Ecosystem, *, name: str, version: str, files: dict[str, str], subdir: str,
        direct_commit: str | None, direct_kind: str = "gitHead", released_at: str | None = None,
        repo_name: str = "", hint_tags: list[str] | None = None) -> Pin:
    """The commit of `repo` the artifact (files: path → blob id) was made from, with the evidence."""
    evidence: list[Evidence] = []
    proposals: dict[str, list[Evidence]] = {}

    def propose(sha: str, ev: Evidence) -> None:
        proposals.setdefault(sha, []).append(ev)

    if direct_commit:
        if repo.has_commit(direct_commit):
            propose(direct_commit, Evidence(direct_kind, f"the registry names commit {direct_commit[:12]}",
                                            {"commit": direct_commit}))
        else:
            evidence.append(Evidence(direct_kind, f"the registry names commit {direct_commit[:12]}, which is not in "
                                     "the repository (never pushed, or history rewritten)",
                                     {"commit": direct_commit}, supports=False))
    for tag, sha, how in _tag_commits(repo, eco, name, version, repo_name, hint_tags or []):
        propose(sha, Evidence("tag", f"tag {tag} {how}", {"tag": tag, "commit": sha}))
    for sha in _manifest_version_commits(repo, eco, subdir, version):
        propose(sha, Evidence("manifest-version", f"commit {sha[:12]} set the manifest's version to {version}",
                              {"commit": sha}))
    released = iso_to_epoch(released_at)
    prefixes = [_prefix(subdir)]
    for match in index.search(repo, files, prefixes=prefixes, released_at=released)[:5]:
        propose(match.commit, Evidence("content-match", "", {"commit": match.commit}))
        if match.prefix not in prefixes:
            prefixes.append(match.prefix)
    if not proposals:
        return Pin(None, _prefix(subdir), 0, len(files), 0.0, tuple(evidence))

    scored = []
    present_at: dict[str, int] = {}
    for sha, evs in proposals.items():
        best_prefix, best = prefixes[0], -1
        for prefix in prefixes:
            tree = repo.ls_tree(sha, prefix)
            matched = sum(1 for p, blob in files.items() if tree.get(prefix + p) == blob)
            if matched > best:
                best_prefix, best = prefix, matched
                present_at[sha] = sum(1 for p in files if prefix + p in tree)
        when = repo.commit_info(sha).time
        priority = max(KIND_PRIORITY.get(e.kind, 0) for e in evs)
        after_release = released is not None and when > released + 3600
        scored.append((best, priority, not after_release, -abs((released or when) - when), sha, best_prefix))
    scored.sort(reverse=True)
    matched, _, _, _, chosen, prefix = scored[0]
    total = len(files)
    kinds = set()
    for ev in proposals[chosen]:
        kinds.add(ev.kind)
        detail = ev.detail or f"{matched} of {total} artifact files are in commit {chosen[:12]} unchanged"
        evidence.append(Evidence(ev.kind, detail, {**ev.data, "matched": matched, "total": total}))
    if "content-match" not in kinds and matched:
        evidence.append(Evidence("content-match", f"{matched} of {total} artifact files are in commit {chosen[:12]}"
                                 " unchanged", {"commit": chosen, "matched": matched, "total": total}))
    for other_matched, _, _, _, sha, _ in scored[1:]:
        for ev in proposals[sha]:
            if ev.kind == "content-match":
                continue
            if other_matched == matched:
                evidence.append(Evidence(ev.kind, f"{ev.detail}; commit {sha[:12]} holds as many files unchanged "
                                         f"({matched}), commit {chosen[:12]} is preferred by its evidence",
                                         ev.data))
            else:
                evidence.append(Evidence(ev.kind, f"{ev.detail}, but only {other_matched} of {total} files match "
                                         f"there; commit {chosen[:12]} holds {matched}", ev.data, supports=False))
    confidence = _confidence(matched, present_at.get(chosen, 0), kinds)
    return Pin(chosen, prefix, matched, total, confidence, tuple(evidence))


def _confidence(matched: int, present: int, kinds: set[str]) -> float:
    """How sure the commit is the one, from the share of the artifact files found in its tree that are
    unchanged there (files absent from the tree, like build output, say nothing about which commit it is;
    whether they are faithful is the verdict's business) and from direct evidence (gitHead, tag)."""
    direct = bool(kinds & {"gitHead", "vcs-commit", "tag"})
    if present == 0:
        return 0.6 if direct else 0.2
    if matched == 0:
        return 0.3 if direct else 0.0
    ratio = matched / present
    return round(min(1.0, 0.5 + 0.4 * ratio + (0.1 if direct else 0.0)), 3)
