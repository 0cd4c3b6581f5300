"""Blob index of a clone's whole history: which commits introduced which file contents at which paths.

Built once per clone state from a single `git log --all --raw` pass and kept beside the clone (keyed by the
fingerprint of its refs, so a fetch that brings new commits rebuilds it). Content search asks it which
commits could have produced an artifact: each artifact file's git blob id is looked up, the path prefix
under which it sits in the repository votes for the package's subdirectory, and candidate commits are
scored by how many artifact files had exactly that content at that time. The best few are then checked
exactly against their trees.
"""

from __future__ import annotations

import bisect
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ossprov import memofile
from ossprov.source.git import Repo

INDEX_FORMAT = 2
COMMON_BLOB_LIMIT = 64
"""A blob found at more paths than this (an empty file, a stock LICENSE) says nothing about location."""
EMPTY_BLOB = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"


@dataclass
class BlobIndex:
    commits: list[str] = field(default_factory=list)
    """Commit shas; other tables refer to commits by position here."""
    times: list[int] = field(default_factory=list)
    """Committer time of each commit."""
    blobs: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    """Blob id → (repository path, commit that introduced it there)."""
    history: dict[str, tuple[list[int], list[str | None]]] = field(default_factory=dict)
    """Path → (positions of the commits that changed it, ascending; blob after each change, None if deleted).
    Positions follow `git log --date-order --reverse`, where parents come before children."""


def _build(repo: Repo) -> BlobIndex:
    out = repo.git("log", "--all", "--no-renames", "--raw", "--no-abbrev", "-z", "--format=%x01%H %ct",
                   "--reverse", "--date-order", timeout=1800, remember=False)
    index = BlobIndex()
    blobs: dict[str, list[tuple[str, int]]] = defaultdict(list)
    changes: dict[str, list[tuple[int, str | None]]] = defaultdict(list)
    one: dict[str, str] = {}
    """Each path and blob id as one string object however often it recurs: pickled once, loaded once."""
    for record in out.split(b"\x01")[1:]:
        head, _, raw = record.partition(b"\n")
        sha, ct = head.decode().strip("\0").split()
        pos = len(index.commits)
        index.commits.append(sha)
        index.times.append(int(ct))
        fields = raw.split(b"\0")
        i = 0
        while i < len(fields):
            meta = fields[i].strip()
            if not meta.startswith(b":"):
                i += 1
                continue
            parts = meta.split()
            status = parts[4][:1]
            path = fields[i + 1].decode("utf-8", "surrogateescape")
            i += 2
            if status in (b"C", b"R"):  # not produced with --no-renames, but keep the parser honest
                path = fields[i].decode("utf-8", "surrogateescape")
                i += 1
            path = one.setdefault(path, path)
            new_mode, new_blob = parts[1], parts[3].decode()
            new_blob = one.setdefault(new_blob, new_blob)
            if status == b"D":
                changes[path].append((pos, None))
            elif new_mode not in (b"160000", b"120000"):
                blobs[new_blob].append((path, pos))
                changes[path].append((pos, new_blob))
    index.blobs = dict(blobs)
    for path, seq in changes.items():
        index.history[path] = ([p for p, _ in seq], [b for _, b in seq])
    return index


_LAST: dict[Path, BlobIndex] = {}
"""The index last loaded, by its file: one pin searches several times (each artifact, normalised forms)."""


def load_index(repo: Repo) -> BlobIndex:
    """The index for the clone's current refs, built if missing or stale, stored atomically."""
    key = repo.refs()
    path = Path(repo.path) / f"ossprov-blobindex-v{INDEX_FORMAT}-{key[:16]}.pickle"
    if path in _LAST:
        return _LAST[path]
    index = _read_or_build(repo, path)
    _LAST.clear()
    _LAST[path] = index
    return index


def _read_or_build(repo: Repo, path: Path) -> BlobIndex:
    kept = memofile.load(path, BlobIndex, large=True)
    if kept is not None:
        return kept
    index = _build(repo)
    for old in Path(repo.path).glob(f"ossprov-blobindex-v{INDEX_FORMAT}-*.pickle"):
        old.unlink(missing_ok=True)
    memofile.save(path, index)
    os.utime(path)
    return index


@dataclass(frozen=True)
class ContentMatch:
    commit: str
    prefix: str
    """Repository path prefix under which the artifact's files sit."""
    matched: int
    """Artifact files whose exact content is at that path in that commit's tree."""
    total: int
    """Artifact files that were compared."""


def prefix_votes(index: BlobIndex, files: dict[str, str]) -> Counter[str]:
    """For each repository prefix, how many distinct artifact files sit under it with their exact content."""
    votes: Counter[str] = Counter()
    for path, blob in files.items():
        if blob == EMPTY_BLOB:
            continue
        places = index.blobs.get(blob, ())
        if not places or len({p for p, _ in places}) > COMMON_BLOB_LIMIT:
            continue
        prefixes = set()
        for repo_path, _ in places:
            if repo_path == path:
                prefixes.add("")
            elif repo_path.endswith("/" + path):
                prefixes.add(repo_path[: -len(path)])
        votes.update(sorted(prefixes))
    return votes


def best_prefixes(votes: Counter[str], limit: int = 3) -> list[str]:
    """The most voted prefixes, ties broken by the prefix itself: the same answer on every run (a set's order
    changes with the interpreter's hash seed, and `trunk/NAME` vs `NAME` layouts tie)."""
    return sorted(votes, key=lambda p: (-votes[p], p))[:limit]


def candidate_commits(index: BlobIndex, files: dict[str, str], prefix: str, limit: int = 8) -> list[tuple[int, int]]:
    """(estimated matches, commit position) for the commits most likely to hold the artifact under `prefix`:
    those that gave a file its artifact content. A file holds that content over runs of positions (from the
    change that brought it to the next change of the path); a commit's score is how many runs contain it,
    counted with two sorted lists of run ends rather than by asking every file at every candidate (that was
    files × candidates look-ups: seconds on a package of many files in a long history)."""
    starts: list[int] = []
    ends: list[int] = []
    for path, blob in files.items():
        entry = index.history.get(prefix + path)
        if entry is None:
            continue
        positions, blobs = entry
        for i, held in enumerate(blobs):
            if held == blob:
                starts.append(positions[i])
                if i + 1 < len(positions):
                    ends.append(positions[i + 1])
    starts.sort()
    ends.sort()
    scored = [(bisect.bisect_right(starts, pos) - bisect.bisect_right(ends, pos), pos) for pos in set(starts)]
    scored.sort(key=lambda s: (-s[0], s[1]))
    return scored[:limit]


def search(repo: Repo, files: dict[str, str], *, prefixes: list[str] | None = None,
           released_at: int | None = None) -> list[ContentMatch]:
    """Commits whose tree holds the most artifact files unchanged, best first (exact counts)."""
    if not files:
        return []
    index = load_index(repo)
    votes = prefix_votes(index, files)
    tried = list(dict.fromkeys([*(prefixes or []), *best_prefixes(votes)]))
    results: list[ContentMatch] = []
    for prefix in tried:
        for _, pos in candidate_commits(index, files, prefix):
            sha = index.commits[pos]
            tree = repo.ls_tree(sha, prefix)
            matched = sum(1 for path, blob in files.items() if tree.get(prefix + path) == blob)
            if matched:
                results.append(ContentMatch(sha, prefix, matched, len(files)))
    times = dict(zip(index.commits, index.times, strict=True))

    def rank(m: ContentMatch) -> tuple[int, int, int]:
        when = times.get(m.commit, 0)
        before = released_at is None or when <= released_at + 3600
        distance = abs((released_at or when) - when)
        return (m.matched, int(before), -distance)

    results.sort(key=lambda m: (*rank(m), m.commit, m.prefix), reverse=True)
    return list({m.commit + m.prefix: m for m in results}.values())


@dataclass(frozen=True)
class Span:
    """The run of commits over which the artifact's paths keep the contents they have at one commit."""

    first: str
    last: str
    count: int
    """Commits in the run (positions in date order: exact on linear history, an estimate across branches)."""
    first_time: int = 0
    last_time: int = 0


def same_content_span(repo: Repo, paths: list[str], commit: str) -> Span | None:
    """The commits holding exactly what `commit` holds at `paths` (repository paths): when the artifact's
    files are unchanged in many commits, content alone cannot single one out."""
    index = load_index(repo)
    try:
        pos = index.commits.index(commit)
    except ValueError:
        return None
    start, end = 0, len(index.commits) - 1
    for path in paths:
        entry = index.history.get(path)
        if entry is None:
            continue
        positions = entry[0]
        i = bisect.bisect_right(positions, pos)
        if i:
            start = max(start, positions[i - 1])
        if i < len(positions):
            end = min(end, positions[i] - 1)
    return Span(index.commits[start], index.commits[end], end - start + 1, index.times[start], index.times[end])
