"""One commit on a branch of the cached clone, made in a throw-away worktree, and its format-patch.

The worktree is created without a checkout and the new manifest is written straight into git's object store:
no file of an untrusted repository is ever written to disk, so a symlinked or hostile tree cannot redirect
the edit outside the worktree.
"""

from __future__ import annotations

import email.utils
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ossprov.errors import InputError
from ossprov.source.git import run_git

DEFAULT_AUTHOR = "ossprov <ossprov@users.noreply.invalid>"


@dataclass(frozen=True)
class Commit:
    branch: str
    sha: str
    patch: str
    """`git format-patch --stdout` of the commit."""


def parse_author(author: str) -> tuple[str, str]:
    """("Name", "email") from "Name <email>"; InputError for anything else."""
    name, addr = email.utils.parseaddr(author)
    if not name or "@" not in addr or any(c in author for c in "\r\n\0"):
        raise InputError(f'--author must look like "Name <email>", got {author!r}')
    return name, addr


def branch_name(package: str) -> str:
    """A branch name per package (several packages of one monorepo each get their own pull request)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", package).strip("-.") or "package"
    return f"ossprov/declare-repository-{slug}"


def commit_file(clone: Path, base: str, branch: str, path: str, content: bytes, message: str,
                author: str = DEFAULT_AUTHOR) -> Commit:
    """Commit `content` as `path` on top of `base`, as branch `branch` of the bare clone at `clone`."""
    name, addr = parse_author(author)
    identity = ["-c", f"user.name={name}", "-c", f"user.email={addr}", "-c", "commit.gpgsign=false"]
    tmp = Path(tempfile.mkdtemp(prefix="ossprov-fix-"))
    worktree = tmp / "worktree"
    try:
        run_git(["worktree", "add", "--quiet", "--no-checkout", "-B", branch, str(worktree), base], cwd=clone)
        run_git(["read-tree", "HEAD"], cwd=worktree)
        staged = run_git(["ls-files", "--stage", "--", path], cwd=worktree).decode().split()
        mode = staged[0] if staged and staged[0] in ("100644", "100755") else "100644"
        blob = run_git(["hash-object", "-w", "--stdin"], cwd=worktree, input=content).decode().strip()
        run_git(["update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}"], cwd=worktree)
        run_git([*identity, "commit", "--quiet", "--no-verify", "-m", message], cwd=worktree)
        sha = run_git(["rev-parse", "HEAD"], cwd=worktree).decode().strip()
        patch = run_git(["format-patch", "-1", "--stdout", "HEAD"], cwd=worktree).decode("utf-8", "replace")
    finally:
        run_git(["worktree", "remove", "--force", str(worktree)], cwd=clone, check=False)
        shutil.rmtree(tmp, ignore_errors=True)
        run_git(["worktree", "prune"], cwd=clone, check=False)
    return Commit(branch, sha, patch)
