"""The git-history facts the history checks need, each read with one bounded git command.

Counting and listing are done by git (`rev-list --count`, `log -n`), so a repository with a long history
costs no more than one with a short one.
"""

from __future__ import annotations

from dataclasses import dataclass

from ossprov.source.git import Repo

_FIELDS = "%H%x00%P%x00%an%x00%ae%x00%cn%x00%ce%x00%ct%x00%s%x00%(trailers:unfold,only)"


@dataclass(frozen=True)
class Change:
    """One commit as the history checks see it."""

    sha: str
    parents: tuple[str, ...]
    author: str
    author_email: str
    committer: str
    committer_email: str
    time: int
    subject: str
    trailers: tuple[tuple[str, str], ...]

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


def _parse(out: bytes) -> list[Change]:
    changes = []
    for record in out.decode("utf-8", "replace").split("\x1e"):
        record = record.strip("\n")
        if not record:
            continue
        sha, parents, an, ae, cn, ce, ct, subject, trailers = record.split("\x00", 8)
        pairs = []
        for line in trailers.splitlines():
            key, sep, value = line.partition(":")
            if sep:
                pairs.append((key.strip().lower(), value.strip()))
        changes.append(Change(sha, tuple(parents.split()), an, ae.lower(), cn, ce.lower(), int(ct), subject,
                              tuple(pairs)))
    return changes


class History:
    """Questions about the history reachable from one tip."""

    def __init__(self, repo: Repo, tip: str) -> None:
        self.repo, self.tip = repo, tip

    def count_since(self, since: float) -> int:
        return int(self.repo.git("rev-list", "--count", f"--since={int(since)}", self.tip).strip() or 0)

    def newest_time(self) -> int:
        return int(self.repo.git("log", "-1", "--format=%ct", self.tip).strip())

    def oldest_time(self) -> int:
        roots = self.repo.git("rev-list", "--max-parents=0", self.tip).split()
        times = [int(self.repo.git("log", "-1", "--format=%ct", r.decode()).strip()) for r in roots[:10]]
        return min(times)

    def authors(self) -> list[tuple[str, str, int]]:
        """(name, lower-cased email, commits) of every author of the history, merges left out, most first."""
        out = self.repo.git("shortlog", "-sne", "--no-merges", self.tip, "--").decode("utf-8", "replace")
        found = []
        for line in out.splitlines():
            count, _, who = line.strip().partition("\t")
            name, _, email = who.rpartition(" <")
            if count.isdigit():
                found.append((name, email.rstrip(">").lower(), int(count)))
        return found

    def recent(self, limit: int, *, first_parent: bool = False, no_merges: bool = False) -> list[Change]:
        """The newest `limit` commits, newest first."""
        args = ["log", f"-n{limit}", f"--format={_FIELDS}%x1e"]
        if first_parent:
            args.append("--first-parent")
        if no_merges:
            args.append("--no-merges")
        return _parse(self.repo.git(*args, self.tip, "--"))

    def merged_in(self, merge: Change) -> list[Change]:
        """The commits a merge brought in (reachable from its second parent, not from its first)."""
        if not merge.is_merge:
            return []
        out = self.repo.git("log", "-n200", f"--format={_FIELDS}%x1e", f"{merge.parents[0]}..{merge.parents[1]}")
        return _parse(out)
