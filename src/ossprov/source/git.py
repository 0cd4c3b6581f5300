"""Git through the system `git`: the clone cache and the few plumbing reads the pipeline needs.

Network operations use the system git so that the user's git configuration applies (`url.<base>.insteadOf`
for mirrors, credential helpers, proxies). Clones are bare, kept in the clone cache, updated with `git fetch`
and never re-cloned; a new clone is made in a temporary directory and renamed into place, so an interrupted
clone leaves nothing behind. Repositories are hostile input: no hooks run, no submodules are followed,
no working tree is checked out, and prompts for credentials are disabled.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ossprov.config import settings
from ossprov.errors import GitError
from ossprov.http import redact

GIT_ENV = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_ASKPASS": "/bin/false",
    "SSH_ASKPASS": "/bin/false",
    "GIT_SSH_COMMAND": "ssh -o BatchMode=yes",
    "GIT_LFS_SKIP_SMUDGE": "1",
}
HEX40 = re.compile(r"^[0-9a-f]{40}$")
FETCH_MAX_AGE = 3600.0
"""Seconds a cached clone is trusted before `ensure_clone` fetches again."""


def git_blob_id(data: bytes) -> str:
    """The id git gives a blob with this content (what `git hash-object` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(GIT_ENV)
    return env


def run_git(args: list[str], cwd: Path | None = None, *, check: bool = True, timeout: float = 600,
            input: bytes | None = None) -> bytes:
    """Run git and return stdout; a failure raises GitError with git's last line of stderr."""
    try:
        proc = subprocess.run(
            ["git", "-c", "core.hooksPath=/dev/null", "-c", "protocol.file.allow=always", *args],
            cwd=cwd, env=_env(), capture_output=True, timeout=timeout, check=False, input=input,
        )
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} took longer than {timeout:.0f}s") from None
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    if check and proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {lines[-1] if lines else 'exit ' + str(proc.returncode)}")
    return proc.stdout


def clone_dir_for(url: str) -> Path:
    """Where the bare clone of `url` lives in the cache (a readable name without credentials, plus a hash
    of the URL)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", redact(url).split("://", 1)[-1])[-80:].strip("._") or "repo"
    return settings().clone_cache / f"{slug}-{hashlib.sha256(url.encode()).hexdigest()[:12]}.git"


@contextmanager
def _locked(dest: Path) -> Iterator[None]:
    """One process at a time clones or fetches a given repository (batch workers share the cache)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest.with_name(dest.name + ".lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def ensure_clone(url: str, *, update: bool = True) -> Path:
    """A bare clone of `url` in the clone cache, fetched if older than FETCH_MAX_AGE; made atomically."""
    dest = clone_dir_for(url)
    with _locked(dest):
        if dest.is_dir():
            stamp = dest / "ossprov-fetched"
            age = time.time() - stamp.stat().st_mtime if stamp.exists() else FETCH_MAX_AGE + 1
            if update and age > FETCH_MAX_AGE:
                try:
                    run_git(["fetch", "--quiet", "--prune", "--tags", "--force", "origin",
                             "+refs/heads/*:refs/heads/*"], cwd=dest)
                except GitError as exc:
                    raise GitError(f"cannot fetch {redact(url)}: {str(exc).split(': ', 1)[-1]}") from None
                stamp.touch()
            return dest
        _sweep_stale(dest.parent)
        tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=".clone-"))
        try:
            run_git(["clone", "--bare", "--quiet", "--no-recurse-submodules", "--", url, str(tmp / "r.git")])
            (tmp / "r.git" / "ossprov-fetched").touch()
            os.replace(tmp / "r.git", dest)
        except GitError as exc:
            raise GitError(f"cannot clone {redact(url)}: {str(exc).split(': ', 1)[-1]}") from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _sweep_stale(cache: Path, max_age: float = 86400.0) -> None:
    """Remove clones a killed process left half-made (`.clone-*` older than a day)."""
    for leftover in cache.glob(".clone-*"):
        with contextlib.suppress(OSError):
            if time.time() - leftover.stat().st_mtime > max_age:
                shutil.rmtree(leftover, ignore_errors=True)


def _rev(rev: str) -> str:
    """A revision safe to pass as an argument: never something git would read as an option."""
    if rev.startswith("-"):
        raise GitError(f"refusing revision {rev[:40]!r}")
    return rev


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    time: int
    """Committer time, seconds since the epoch."""
    subject: str = ""


class Repo:
    """Read access to a (bare or not) git repository."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def git(self, *args: str, check: bool = True, timeout: float = 600) -> bytes:
        return run_git(list(args), cwd=self.path, check=check, timeout=timeout)

    def resolve(self, rev: str) -> str | None:
        """The commit sha `rev` names, or None if it names no commit here."""
        if rev.startswith("-"):
            return None
        out = self.git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False).decode().strip()
        return out if HEX40.match(out) else None

    def has_commit(self, sha: str) -> bool:
        return bool(HEX40.match(sha)) and self.resolve(sha) == sha

    def commit_info(self, rev: str) -> CommitInfo:
        out = self.git("show", "-s", "--format=%H%x00%ct%x00%s", _rev(rev), "--").decode("utf-8", "replace")
        sha, ct, subject = out.rstrip("\n").split("\x00", 2)
        return CommitInfo(sha, int(ct), subject)

    def tags(self) -> dict[str, str]:
        """Tag name → the commit it points to (annotated tags peeled)."""
        out = self.git("for-each-ref", "--format=%(refname:strip=2)%00%(objectname)%00%(*objectname)",
                       "refs/tags").decode("utf-8", "replace")
        tags: dict[str, str] = {}
        for line in out.splitlines():
            name, obj, peeled = line.split("\x00")
            tags[name] = peeled or obj
        return tags

    def default_branch(self) -> str | None:
        out = self.git("symbolic-ref", "--quiet", "HEAD", check=False).decode().strip()
        return out.removeprefix("refs/heads/") or None

    def ls_tree(self, commit: str, prefix: str = "") -> dict[str, str]:
        """Repository path → blob id of every file (not submodule, not link) under `prefix` at `commit`."""
        args = ["ls-tree", "-r", "-z", "--full-tree", _rev(commit)]
        if prefix:
            args += ["--", prefix.rstrip("/")]
        out = self.git(*args)
        files: dict[str, str] = {}
        for entry in out.split(b"\0"):
            if not entry:
                continue
            meta, _, path = entry.partition(b"\t")
            mode, kind, sha = meta.split()
            if kind == b"blob" and mode != b"120000":
                files[path.decode("utf-8", "surrogateescape")] = sha.decode()
        return files

    def read_blobs(self, shas: Iterable[str]) -> Iterator[tuple[str, bytes]]:
        """(sha, content) for each blob, in one `git cat-file --batch` process."""
        wanted = list(dict.fromkeys(shas))
        if not wanted:
            return
        proc = subprocess.Popen(["git", "cat-file", "--batch"], cwd=self.path, env=_env(),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert proc.stdin and proc.stdout
        try:
            # Write in a thread-free way: feed one request, read one answer, so pipes never fill up.
            for sha in wanted:
                proc.stdin.write(sha.encode() + b"\n")
                proc.stdin.flush()
                header = proc.stdout.readline().split()
                if len(header) < 3 or header[1] == b"missing":
                    continue
                size = int(header[2])
                data = proc.stdout.read(size)
                proc.stdout.read(1)
                yield sha, data
        finally:
            proc.stdin.close()
            proc.stdout.close()
            proc.wait(timeout=60)

    def read_file(self, commit: str, path: str) -> bytes | None:
        """The content of `path` at `commit`, or None when there is no such file."""
        sha = self.resolve_path(commit, path)
        return next((data for _, data in self.read_blobs([sha])), None) if sha else None

    def resolve_path(self, commit: str, path: str) -> str | None:
        out = self.git("rev-parse", "--verify", "--quiet", f"{_rev(commit)}:{path}", check=False).decode().strip()
        return out if HEX40.match(out) else None

    def refs(self) -> str:
        """A fingerprint of every ref tip: changes exactly when a fetch brought something new."""
        return hashlib.sha256(self.git("for-each-ref", "--format=%(objectname) %(refname)")).hexdigest()
