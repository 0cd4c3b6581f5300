"""What every check looks at: the tree of one commit (read from git, no checkout), the history of the
default branch, the parsed workflows, and GitHub's API when a token was given.

Everything is read lazily and once, so a check that needs nothing of the history costs nothing of it.
"""

from __future__ import annotations

import time
from functools import cached_property
from pathlib import Path

from packageurl import PackageURL

from ossprov.practices.github import GitHubApi
from ossprov.practices.history import History
from ossprov.practices.records import Inconclusive
from ossprov.practices.workflows import Workflow, WorkflowError, is_workflow_path, parse_workflow
from ossprov.source.git import Repo


class Context:
    """A repository at a commit, as the checks see it."""

    def __init__(self, repo: Repo, commit: str, *, head: str | None = None, url: str | None = None,
                 now: float | None = None, github: GitHubApi | None = None,
                 github_reason: str = "needs GitHub API (run with a token: --github-token-env NAME)",
                 package: PackageURL | None = None, osv: Path | None = None) -> None:
        self.repo = repo
        self.commit = commit
        """The commit whose tree the file checks read."""
        self.head = head or commit
        """The tip whose history the history checks read (the default branch)."""
        self.url = url
        self.now = time.time() if now is None else now
        self.github = github
        self.github_reason = github_reason
        """Why `github` is None, for the checks that need it."""
        self.package = package
        """The package whose repository this is, when the user named one (its own vulnerabilities count)."""
        self.osv = osv
        """The OSV export the user pointed at (a directory or zip), read by the check that needs it."""
        self.files: dict[str, str] = repo.ls_tree(commit)
        """Repository path → blob id at `commit`."""
        self._blobs: dict[str, bytes] = {}

    def read_many(self, paths: list[str]) -> dict[str, bytes]:
        """Contents of the given paths that exist (one git process for all of them)."""
        wanted = {p: self.files[p] for p in paths if p in self.files}
        missing = [sha for sha in wanted.values() if sha not in self._blobs]
        for sha, data in self.repo.read_blobs(missing):
            self._blobs[sha] = data
        return {p: self._blobs[sha] for p, sha in wanted.items() if sha in self._blobs}

    def read(self, path: str) -> bytes | None:
        return self.read_many([path]).get(path)

    @cached_property
    def _workflows(self) -> tuple[list[Workflow], list[str]]:
        paths = sorted(p for p in self.files if is_workflow_path(p))
        parsed, errors = [], []
        for path, raw in self.read_many(paths).items():
            try:
                parsed.append(parse_workflow(path, raw))
            except WorkflowError as exc:
                errors.append(str(exc))
        return sorted(parsed, key=lambda w: w.path), errors

    def workflows(self) -> list[Workflow]:
        """All workflows; a check that reads them is inconclusive when any of them cannot be read."""
        parsed, errors = self._workflows
        if errors:
            raise Inconclusive(errors[0] + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""))
        return parsed

    @cached_property
    def history(self) -> History:
        return History(self.repo, self.head)

    def require_github(self) -> GitHubApi:
        if self.github is None:
            raise Inconclusive(self.github_reason)
        return self.github
