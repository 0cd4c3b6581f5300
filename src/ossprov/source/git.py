"""Git through the system `git`: the clone cache, an isolated configuration, and one long-lived reader per
repository.

Repositories are hostile input. Every git call runs without the system and global config files: of the
user's configuration only the mirror mappings (`url.<base>.insteadOf`), proxy/TLS settings and the SSH
allowed-signers file are passed on, and the keys that run programs are pinned (`git_env`). A repository
ossprov did not clone is read through a private git directory with none of its config (`Repo`). Clones are
bare, kept in the clone cache, updated with `git fetch` and never re-cloned; a new clone is made in a
temporary directory and renamed into place, so an interrupted clone leaves nothing behind. No hooks run, no
submodules are followed, no working tree is checked out, prompts for credentials are disabled, and every
call is killed (with its children) at its deadline.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import dataclasses
import fcntl
import functools
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ossprov import memofile
from ossprov.atomic import atomic_write, storage_errors
from ossprov.config import settings
from ossprov.deadline import end_of, left
from ossprov.errors import GitError, OfflineError, OssprovError, StorageError
from ossprov.http import note_unchecked
from ossprov.redaction import redact_text, redact_url
from ossprov.safefile import racy, stamp

GIT_ENV = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_ASKPASS": "/bin/false",
    "SSH_ASKPASS": "/bin/false",
    "GIT_SSH_COMMAND": "ssh -o BatchMode=yes",
    "GIT_LFS_SKIP_SMUDGE": "1",
}
_STORAGE_MESSAGES = ("No space left on device", "Read-only file system", "Disk quota exceeded")
HEX40 = re.compile(r"^[0-9a-f]{40}$")
_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_PROMISOR = re.compile(rb"^\s*promisor\s*=\s*true\s*$", re.MULTILINE)
FETCH_MAX_AGE = 3600.0
"""Seconds a cached clone is trusted before `ensure_clone` fetches again."""
CLONE_FAILURE_MAX_AGE = 600.0
"""Seconds a failed clone is remembered: a warm run does not ask the forge again for a candidate repository
that is gone or out of reach (a package's metadata and README may name several)."""

_USER_KEYS = re.compile(r"^url\..+\.(insteadof|pushinsteadof)$"
                        r"|^http\.(.+\.)?(proxy|sslcainfo|sslcapath|sslverify|version|postbuffer)$"
                        r"|^gpg\.ssh\.(allowedsignersfile|revocationfile)$")
"""The user's own git settings that reach ossprov's git calls: mirror mappings, how to reach the network, and
whose SSH signatures the user trusts. Nothing that names a program, a credential or a header."""
_KEEP_ENV = ("GIT_SSL_", "GIT_HTTP_", "GIT_CURL_", "GIT_TRACE", "GIT_PROXY_SSL_", "GIT_EXEC_PATH")


@functools.cache
def _program(name: str) -> str:
    """The system program git may run for signature checks, by absolute path (never one a config names)."""
    return shutil.which(name, path=os.defpath + ":/usr/local/bin") or "/bin/false"


def _overrides() -> list[tuple[str, str]]:
    """Command-scope settings (they win over every config file) that leave git no program of anyone's choosing
    to run and no submodule or exotic transport to follow. (An empty `credential.helper` empties the list.)
    Keys whose driver names a repository chooses (`filter.*`, `diff.*.textconv`) need no override: no config
    file ossprov reads defines them (see `Repo` for repositories ossprov did not create)."""
    return [
        ("core.hooksPath", "/dev/null"), ("core.fsmonitor", "false"), ("core.pager", "cat"),
        ("core.editor", "/bin/false"), ("sequence.editor", "/bin/false"), ("core.askPass", "/bin/false"),
        ("core.sshCommand", "ssh -o BatchMode=yes"), ("credential.helper", ""),
        ("gpg.program", _program("gpg")), ("gpg.openpgp.program", _program("gpg")),
        ("gpg.x509.program", _program("gpgsm")), ("gpg.ssh.program", _program("ssh-keygen")),
        ("gpg.ssh.defaultKeyCommand", "/bin/false"),
        ("protocol.ext.allow", "never"), ("protocol.file.allow", "always"),
        ("submodule.recurse", "false"), ("fetch.recurseSubmodules", "false"),
        *((("protocol.allow", "never"), ("protocol.file.allow", "never")) if settings().offline else ()),
    ]


USER_SETTINGS = "git-user-settings"
"""Cache subdirectory: the user's git settings ossprov passes on, per state of the files they came from."""
UserSettings = tuple[list[tuple[str, tuple[int, int] | None]], tuple[tuple[str, str], ...]]
"""A memo of the user's git settings: (the files they came from, each with its stamp), the settings."""


_USER_MEMO: dict[str, UserSettings] = {}
"""This process's copy of the memos read: memo name → (files and their stamps, settings)."""


def _user_settings(config_env: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """The user's mirror mappings and network settings (from the system and global files and the GIT_CONFIG_*
    variables of the user's environment). Git is asked once per state of the files it read, or could have read
    (a config file created later counts): the answer is kept in the cache directory, unless it holds a
    credential (a URL with user info), so that a warm run starts no `git config`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k.startswith(_KEEP_ENV)}
    env.update(config_env)
    env["GIT_CEILING_DIRECTORIES"] = "/"
    first = _config_files(env)
    name = hashlib.sha256(repr((config_env, first)).encode()).hexdigest()[:32]
    memo = settings().cache_dir / USER_SETTINGS / name
    known = _USER_MEMO.get(name) or _saved_user_settings(memo)
    if known is not None and all(stamp(Path(f)) == st for f, st in known[0]):
        _USER_MEMO[name] = known
        return known[1]
    try:
        done = subprocess.run(["git", "config", "--list", "-z", "--includes", "--show-origin"], cwd="/", env=env,
                              capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ()
    out = done.stdout
    items = out.split(b"\0")
    files = dict.fromkeys(first)
    kept = []
    for origin, item in zip(items[::2], items[1::2], strict=False):  # the output ends with a NUL
        source = origin.decode("utf-8", "surrogateescape")
        key, _, value = item.decode("utf-8", "surrogateescape").partition("\n")
        if source.startswith("file:"):
            files[source.removeprefix("file:")] = None
            if key.lower().startswith(("include.", "includeif.")) and key.lower().endswith(".path"):
                target = os.path.expanduser(value)  # git's own rule: relative to the including file
                files[os.path.join(os.path.dirname(source.removeprefix("file:")), target)] = None
        if _USER_KEYS.match(key.lower()):
            kept.append((key, value))
    known = [(f, stamp(Path(f))) for f in files], tuple(kept)
    if done.returncode != 0 or any(racy(st) for _, st in known[0]):
        # Not kept: git failed (on a file it could not read, whose stamp a permission fixed later leaves as it
        # is), or a file changed this instant may change again unseen by its stamp.
        return known[1]
    _USER_MEMO[name] = known
    if not any(_holds_credential(k, v) for k, v in kept):
        with contextlib.suppress(OssprovError):  # unsaved, the next run asks git again
            atomic_write(memo, json.dumps({"files": known[0], "settings": known[1]}).encode())
    return known[1]


def _saved_user_settings(memo: Path) -> UserSettings | None:
    """The memo saved at `memo`, if it is the user's own and of the shape `_user_settings` writes: a planted one
    could map a forge's repository to another (`insteadOf`), a damaged one is asked again."""
    data = memofile.own_bytes(memo)
    if data is None:
        return None
    try:
        saved = json.loads(data)
        files = [(f, (int(st[0]), int(st[1])) if st else None) for f, st in saved["files"]]
        kept = tuple((k, v) for k, v in saved["settings"])
    except (ValueError, TypeError, KeyError, IndexError):
        return None
    shapes = all(isinstance(f, str) and "\0" not in f for f, _ in files) and \
        all(isinstance(t, str) for kv in kept for t in kv)
    return (files, kept) if shapes else None


def _holds_credential(key: str, value: str) -> bool:
    """Whether a setting names a credential: user info or a secret parameter in a URL of its key or value, and
    in a proxy given without a scheme (git takes `user:password@host:port` for `http.proxy`)."""
    if key.lower().endswith(".proxy") and "://" not in value and "@" in value:
        return True
    return redact_text(f"{key} {value}") != f"{key} {value}"


def _config_files(env: dict[str, str]) -> list[str]:
    """The config files git reads in `env` before any include, present or not."""
    home = env.get("HOME", "/")
    system = [] if env.get("GIT_CONFIG_NOSYSTEM", "").lower() in ("1", "true", "yes", "on") else \
        [env["GIT_CONFIG_SYSTEM"]] if env.get("GIT_CONFIG_SYSTEM") else _system_config_files(env.get("PATH"))
    xdg = os.path.join(env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config"), "git", "config")
    return [*system, *([env["GIT_CONFIG_GLOBAL"]] if env.get("GIT_CONFIG_GLOBAL") else
                       [xdg, os.path.join(home, ".gitconfig")])]


@functools.lru_cache(maxsize=8)
def _system_config_files(path: str | None) -> list[str]:
    """Where the git first on `path` keeps its system config: `<prefix>/etc/gitconfig`, `/etc/gitconfig` for a
    git installed under /usr."""
    program = shutil.which("git", path=path)
    prefix = Path(os.path.realpath(program)).parent.parent if program else Path("/usr")
    return list(dict.fromkeys(["/etc/gitconfig", str(prefix / "etc" / "gitconfig")]))


def git_env(extra: dict[str, str] | None = None, *, user: bool = True) -> dict[str, str]:
    """The environment of every git call: no system or global config file, the user's mirror mappings and
    network settings passed through (unless `user` is false: a local object reader needs none of them), then
    the overrides; no prompt, no LFS download."""
    config_env = tuple(sorted((k, v) for k, v in os.environ.items()
                              if k.startswith("GIT_CONFIG") or k in ("HOME", "XDG_CONFIG_HOME")))
    settings_ = [*(_user_settings(config_env) if user else ()), *_overrides()]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k.startswith(_KEEP_ENV)}
    env.update(GIT_ENV)
    env.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_COUNT": str(len(settings_))})
    for i, (key, value) in enumerate(settings_):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    env.update(extra or {})
    return env


def git_blob_id(data: bytes) -> str:
    """The id git gives a blob with this content (what `git hash-object` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _kill(proc: subprocess.Popen) -> None:
    """Kill git and everything it started (remote helpers, upload-pack): they share its process group."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def run_git(args: list[str], cwd: Path | None = None, *, check: bool = True, timeout: float | None = None,
            input: bytes | None = None, env: dict[str, str] | None = None) -> bytes:
    """Run git (isolated configuration, see `git_env`) and return stdout; a failure raises GitError with git's
    last line of stderr. The call is killed, with its children, at `timeout` (default: the configured git
    deadline) or at the package deadline, whichever comes first."""
    end = end_of(timeout if timeout is not None else settings().git_deadline)
    what = f"git {args[0]}"
    try:
        proc = subprocess.Popen(["git", *args], cwd=cwd, env=env or git_env(), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    try:
        stdout, stderr = proc.communicate(input, timeout=left(end, what))
    except subprocess.TimeoutExpired:
        _kill(proc)
        proc.communicate()
        raise GitError(f"{what} did not finish within its deadline (killed)") from None
    except BaseException:
        _kill(proc)
        proc.communicate()
        raise
    if check and proc.returncode != 0:
        lines = stderr.decode("utf-8", "replace").strip().splitlines()
        full = next((m for m in _STORAGE_MESSAGES for line in lines if m in line), None)
        if full:
            raise StorageError(f"{what} cannot write to ossprov's cache: {full} (set OSSPROV_CACHE to a writable "
                               "directory with free space)")
        raise GitError(f"{what} failed: {lines[-1] if lines else 'exit ' + str(proc.returncode)}")
    return stdout


def clone_dir_for(url: str) -> Path:
    """Where the bare clone of `url` lives in the cache (a readable name without credentials, plus a hash
    of the URL)."""
    slug = _UNSAFE_IN_NAME.sub("_", redact_url(url).split("://", 1)[-1])[-80:].strip("._") or "repo"
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
    """A bare clone of `url` in the clone cache, fetched if older than FETCH_MAX_AGE; made atomically.
    Offline (`--offline`), a cached clone is used as it is and a missing one is an OfflineError."""
    dest = clone_dir_for(url)
    failed = dest.with_name(dest.name + ".failed")
    with storage_errors(dest), _locked(dest):
        if dest.is_dir():
            if update:
                _refresh(url, dest)
            return dest
        with contextlib.suppress(OSError):
            if time.time() - failed.stat().st_mtime <= CLONE_FAILURE_MAX_AGE:
                raise GitError(f"{_small_read(failed).decode('utf-8', 'replace')} (failed "
                               f"{time.time() - failed.stat().st_mtime:.0f} s ago; tried again after "
                               f"{CLONE_FAILURE_MAX_AGE:.0f} s)")
        try:
            _clone(url, dest)
        except GitError as exc:
            with contextlib.suppress(OSError, OssprovError):
                atomic_write(failed, str(exc).encode())
            raise
        failed.unlink(missing_ok=True)
    return dest


def _refresh(url: str, dest: Path) -> None:
    stamp = dest / "ossprov-fetched"
    age = time.time() - stamp.stat().st_mtime if stamp.exists() else FETCH_MAX_AGE + 1
    if age <= FETCH_MAX_AGE:
        return
    if settings().offline:
        note_unchecked(f"{redact_url(url)} not fetched: cached clone is {age / 3600:.1f} h old")
        return
    try:
        run_git(["fetch", "--quiet", "--prune", "--tags", "--force", "origin", "+refs/heads/*:refs/heads/*"],
                cwd=dest)
    except GitError as exc:
        raise GitError(f"cannot fetch {redact_url(url)}: {str(exc).split(': ', 1)[-1]}") from None
    finally:
        _forget(dest)
    stamp.touch()


def _clone(url: str, dest: Path) -> None:
    if settings().offline:
        raise OfflineError(f"offline: {redact_url(url)} has no cached clone")
    _sweep_stale(dest.parent)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=".clone-"))
    try:
        run_git(["clone", "--bare", "--quiet", "--no-recurse-submodules", "--filter=blob:none", "--", url,
                 str(tmp / "r.git")])
        _settle_partial(tmp / "r.git")
        (tmp / "r.git" / "ossprov-fetched").touch()
        os.replace(tmp / "r.git", dest)
    except GitError as exc:
        raise GitError(f"cannot clone {redact_url(url)}: {str(exc).split(': ', 1)[-1]}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _settle_partial(clone: Path) -> None:
    """A host that ignores the filter sends every content, yet git still marks origin as a promisor: then say it
    is a full clone (git never tries to fetch a content it lacks, ossprov never checks for one)."""
    head = run_git(["rev-list", "--objects", "--no-object-names", "--missing=print", "HEAD^{tree}"], cwd=clone,
                   check=False)
    if b"?" in head:
        return
    for key in ("remote.origin.promisor", "remote.origin.partialclonefilter"):
        run_git(["config", "--unset", key], cwd=clone, check=False)


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


REF_STATE = "ossprov-refs.pickle"
"""Per clone: the ref listing of its current state (tags, fingerprint), so a warm run lists no refs."""
_REF_STATE_FORMAT = 1


@dataclass(frozen=True)
class _RefState:
    validator: tuple
    """What the state was read from (stat of HEAD, packed-refs, refs/heads, refs/tags): a change invalidates."""
    fingerprint: str
    tags: dict[str, str]


def _isolated_git_dir(path: Path) -> Path:
    """A private git directory for a repository ossprov did not create: its objects and refs linked, its HEAD
    copied, and a config of ossprov's own (format version, object format, origin URL; nothing else). Git
    reads the repository's history and never its config, attributes or hooks."""
    dotgit = path / ".git"
    if dotgit.is_file():  # a linked work tree: "gitdir: <path>"
        line = _small_read(dotgit).decode("utf-8", "replace").strip()
        gitdir = (path / line.removeprefix("gitdir:").strip()).resolve()
    else:
        gitdir = dotgit if dotgit.is_dir() else path
    common = gitdir
    if (gitdir / "commondir").is_file():
        common = (gitdir / _small_read(gitdir / "commondir").decode("utf-8", "replace").strip()).resolve()
    if not (common / "objects").is_dir() or not (gitdir / "HEAD").is_file():
        raise GitError(f"{path} is not a git repository")
    shadow = Path(tempfile.mkdtemp(prefix="ossprov-gitdir-"))
    atexit.register(shutil.rmtree, shadow, True)
    (shadow / "HEAD").write_bytes(_small_read(gitdir / "HEAD"))
    for name in ("objects", "refs", "packed-refs", "shallow"):
        if (common / name).exists():
            os.symlink(common / name, shadow / name)
    (shadow / "config").write_text(_isolated_config(common / "config"))
    return shadow


def _small_read(path: Path, limit: int = 4096) -> bytes:
    """At most `limit` bytes of a regular file (a hostile repository may make HEAD a FIFO or /dev/zero)."""
    if not path.is_file():
        raise GitError(f"{path.name} in the repository is not a regular file")
    with path.open("rb") as f:
        return f.read(limit)


def _isolated_config(config: Path) -> str:
    values: dict[str, str] = {}
    if config.is_file():
        out = run_git(["config", "--file", str(config), "--list", "-z"], check=False)
        for item in out.split(b"\0"):
            key, _, value = item.decode("utf-8", "replace").partition("\n")
            values.setdefault(key.lower(), value)
    version = values.get("core.repositoryformatversion", "0")
    lines = ["[core]", f"\trepositoryformatversion = {1 if version == '1' else 0}", "\tbare = true"]
    if values.get("extensions.objectformat") in ("sha1", "sha256"):
        lines += ["[extensions]", f"\tobjectformat = {values['extensions.objectformat']}"]
    origin = values.get("remote.origin.url")
    if origin:
        quoted = origin.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
        lines += ['[remote "origin"]', f'\turl = "{quoted}"']
    return "\n".join(lines) + "\n"


class _Reader:
    """One long-lived `git cat-file --batch-command` for a repository: object lookups and contents without
    a process each. In a partial clone git fetches a missing file's content from origin while it answers, so
    there each question has the git deadline: a watchdog kills the reader when one takes longer."""

    def __init__(self, cwd: Path, env: dict[str, str], *, fetches: bool = False) -> None:
        self._proc = subprocess.Popen(["git", "cat-file", "--batch-command"], cwd=cwd, env=env,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                      start_new_session=True)
        self._lock = threading.Lock()
        self._busy_until: float | None = None
        self._closed = threading.Event()
        self._seconds = settings().git_deadline if fetches else None
        if fetches:
            threading.Thread(target=self._watch, name="git-reader-deadline", daemon=True).start()

    def _watch(self) -> None:
        while not self._closed.wait(0.2):
            until = self._busy_until
            if until is not None and time.monotonic() > until:
                _kill(self._proc)
                return

    def ask(self, command: str, name: str) -> tuple[str, str, bytes | None] | None:
        """(object id, type, content or None for `info`) of the object `name` names, or None."""
        if "\n" in name or "\0" in name:
            return None
        proc = self._proc
        assert proc.stdin and proc.stdout
        with self._lock:
            if self._seconds is not None:
                self._busy_until = end_of(self._seconds)
            try:
                proc.stdin.write(f"{command} {name}\n".encode("utf-8", "surrogateescape"))
                proc.stdin.flush()
                header = proc.stdout.readline()
            except (BrokenPipeError, ValueError):
                header = b""
            finally:
                self._busy_until = None
            if not header.endswith(b"\n"):
                why = "offline, and a file's content is not in the partial clone" if settings().offline else \
                    "its deadline passed or origin could not give a file's content" if self._seconds else ""
                raise GitError("git cat-file stopped answering" + (f" ({why})" if why else ""))
            fields = header.split()
            if len(fields) != 3 or not fields[2].isdigit() or header.endswith((b" missing\n", b" ambiguous\n")):
                return None
            data = None
            if command == "contents":
                data = proc.stdout.read(int(fields[2]))
                proc.stdout.read(1)
            return fields[0].decode(), fields[1].decode(), data

    def close(self) -> None:
        self._closed.set()
        for pipe in (self._proc.stdin, self._proc.stdout):
            with contextlib.suppress(OSError):
                pipe.close() if pipe else None
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(timeout=5)
        _kill(self._proc)


def _parse_commit(sha: str, body: bytes) -> CommitInfo:
    head, _, message = body.partition(b"\n\n")
    when = 0
    for line in head.split(b"\n"):
        if line.startswith(b"committer "):
            parts = line.rsplit(b" ", 2)
            when = int(parts[1]) if len(parts) == 3 and parts[1].lstrip(b"-").isdigit() else 0
    paragraph = message.split(b"\n\n", 1)[0]
    subject = " ".join(p.strip() for p in paragraph.decode("utf-8", "replace").splitlines() if p.strip())
    return CommitInfo(sha, when, subject)


MEMO = "ossprov-memo.pickle"
"""Per clone state: outputs of the history queries callers make (`log`, `rev-list`, `ls-tree`), which depend only
on the refs and immutable objects, so a warm run starts no process for them."""
MEMO_COMMANDS = frozenset({"log", "rev-list", "ls-tree"})
MEMO_MAX_ENTRY = 4 * 1024 * 1024
MEMO_MAX_ENTRIES = 256
MEMO_MAX_OBJECTS = 128
MEMO_MAX_OBJECT = 64 * 1024
"""The memo also keeps the reader's answers about objects named by id (a commit, a file at a commit), which
never change: up to `MEMO_MAX_OBJECTS` of them, none over `MEMO_MAX_OBJECT` bytes (a manifest, a commit; not
the contents a tampered package's comparison reads), so a warm run starts no reader for them."""
_IMMUTABLE = re.compile(r"^[0-9a-f]{40}(\^\{commit\}$|:|$)")
"""A name of an object that is the same forever: an object id, its commit, or a path in its tree."""
PRESENT = "ossprov-present-blobs"
"""Per partial clone: the blob ids known to be in it (fetched by ossprov or found there), one per line, so a
warm run asks git nothing before reading them. Objects never leave a clone, so the list never goes stale."""


@dataclass
class _Shared:
    """What every `Repo` handle on one repository shares in a process: one reader, one ref state, one memo."""

    git_dir: Path | None = None
    reader: _Reader | None = None
    refs: _RefState | None = None
    memo: dict[tuple[str, ...], Any] | None = None
    """History query → git's output; ("cat-file", command, object name) → the reader's answer."""
    memo_objects: int = 0
    memo_dirty: bool = False
    partial: bool | None = None
    present: set[str] | None = None
    """Blob ids known to be in a partial clone (read from `PRESENT`)."""
    trees: collections.OrderedDict[tuple[str, str], dict[str, str]] = dataclasses.field(
        default_factory=collections.OrderedDict)
    """The last `TREES_KEPT` file listings of commits (`ls_tree`), parsed: pinning measures each candidate commit
    against every artifact of a release, and the comparison reads the winner's again."""


_SHARED: dict[Path, _Shared] = {}
_OPEN: collections.OrderedDict[Path, _Shared] = collections.OrderedDict()
"""Repositories with a reader process running, least recently used first."""
MAX_READERS = 8
TREES_KEPT = 32
"""Reader processes kept at once: a scan of hundreds of packages in one process must not hold hundreds."""


class Repo:
    """Read access to a (bare or not) git repository, through one long-lived `git cat-file` per repository and
    one ref listing per clone state. A repository outside the clone cache (`ossprov practices PATH`) is not
    ossprov's: git reads it through a private git directory (see `_isolated_git_dir`), so nothing its config
    names ever runs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._own = _in_clone_cache(path)
        self._shared = _SHARED.setdefault(Path(os.path.abspath(path)), _Shared())

    def _gitdir(self) -> Path:
        if self._own:
            return self.path
        if self._shared.git_dir is None:
            self._shared.git_dir = _isolated_git_dir(self.path)
        return self._shared.git_dir

    def _env(self, *, user: bool = True) -> dict[str, str]:
        return git_env({} if self._own else {"GIT_DIR": str(self._gitdir())}, user=user)

    def git(self, *args: str, check: bool = True, timeout: float | None = None, remember: bool = True) -> bytes:
        """git's output in this repository; a history query (`MEMO_COMMANDS`) is answered from the clone's memo
        when it was asked before in this clone state, unless `remember` is false (an output that the caller
        persists in its own form, such as the blob index's whole-history log: kept twice, every warm run
        would load it for nothing)."""
        memo = self._memo() if remember and self._own and args and args[0] in MEMO_COMMANDS else None
        key = (*args, str(check))
        if memo is not None and key in memo:
            return memo[key]
        if self.partial and args[0] == "log" and any(a.startswith(("-G", "-S")) for a in args) and "--" in args:
            self._fetch_history(list(args[args.index("--") + 1:]))
        out = run_git(list(args), cwd=self.path, check=check, timeout=timeout, env=self._env())
        if memo is not None and len(out) <= MEMO_MAX_ENTRY and len(memo) - self._shared.memo_objects < MEMO_MAX_ENTRIES:
            memo[key] = out
            self._shared.memo_dirty = True
        return out

    def _memo(self) -> dict[tuple[str, ...], Any]:
        shared = self._shared
        if shared.memo is None:
            shared.memo = {}
            saved = memofile.load(self.path / MEMO, dict)
            if saved is not None and saved.get("refs") == self.refs() and isinstance(saved.get("entries"), dict):
                shared.memo = dict(saved["entries"])
            shared.memo_objects = sum(1 for k in shared.memo if k[0] == "cat-file")
        return shared.memo

    def _ask(self, command: str, name: str) -> tuple[str, str, bytes | None] | None:
        """The reader's answer, from the clone's memo when `name` names an object by id (`_IMMUTABLE`)."""
        memo = self._memo() if self._own and _IMMUTABLE.match(name) else None
        key = ("cat-file", command, name)
        if memo is not None and key in memo:
            return memo[key]
        found = self._reader_ask(command, name)
        shared = self._shared
        if memo is not None and found is not None and len(found[2] or b"") <= MEMO_MAX_OBJECT \
                and shared.memo_objects < MEMO_MAX_OBJECTS:
            memo[key] = found
            shared.memo_objects += 1
            shared.memo_dirty = True
        return found

    def _reader_ask(self, command: str, name: str) -> tuple[str, str, bytes | None] | None:
        shared, key = self._shared, Path(os.path.abspath(self.path))
        if shared.reader is None:
            while len(_OPEN) >= MAX_READERS:
                _, oldest = _OPEN.popitem(last=False)
                if oldest.reader is not None:
                    oldest.reader.close()
                    oldest.reader = None
            partial = self.partial  # a partial clone's reader fetches contents through the user's mirrors
            shared.reader = _Reader(self.path, self._env(user=partial), fetches=partial)
        _OPEN[key] = shared
        _OPEN.move_to_end(key)
        return shared.reader.ask(command, name)

    def save(self) -> None:
        """Save the memo if it learnt something."""
        shared = self._shared
        if shared.memo_dirty and shared.memo is not None:
            with contextlib.suppress(OSError, OssprovError):  # a memo that cannot be saved is only slower
                memofile.save(self.path / MEMO, {"refs": self.refs(), "entries": shared.memo})
            shared.memo_dirty = False

    def close(self) -> None:
        """Save the memo and end the reader process (done at exit for every repository still open)."""
        self.save()
        shared = self._shared
        if shared.reader is not None:
            shared.reader.close()
            shared.reader = None

    def resolve(self, rev: str) -> str | None:
        """The commit sha `rev` names, or None if it names no commit here."""
        if rev.startswith("-"):
            return None
        found = self._ask("info", f"{rev}^{{commit}}")
        return found[0] if found and found[1] == "commit" and HEX40.match(found[0]) else None

    def has_commit(self, sha: str) -> bool:
        """Whether commit `sha` is in the repository. A partial clone would fetch a commit it lacks from origin
        when asked for it, and the forge serves any object of the repository's network (a fork's, a pull
        request's) to whoever names it: there the commit must already be in the clone and on one of its
        branches or tags, as every commit of a full clone came with them. `rev-list --missing` fetches nothing:
        it fails on a commit the clone lacks, and prints one no branch or tag reaches."""
        if not HEX40.match(sha):
            return False
        if self.partial:
            try:
                if self.git("rev-list", "-n1", "--missing=print", sha, "--not", "--branches", "--tags").strip():
                    return False
            except GitError:
                return False
        return self.resolve(sha) == sha

    def commit_info(self, rev: str) -> CommitInfo:
        found = self._ask("contents", f"{_rev(rev)}^{{commit}}")
        if not found or found[2] is None:
            raise GitError(f"no commit {rev[:40]!r} in the repository")
        return _parse_commit(found[0], found[2])

    def _ref_state(self) -> _RefState:
        if self._shared.refs is not None:
            return self._shared.refs
        git_dir = self._gitdir()
        validator = tuple(stamp(git_dir / name) for name in ("HEAD", "packed-refs", "refs/heads", "refs/tags"))
        saved = git_dir / REF_STATE
        kept = memofile.load(saved, _RefState) if self._own else None
        if kept is not None and kept.validator == (_REF_STATE_FORMAT, *validator):
            self._shared.refs = kept
            return kept
        out = self.git("for-each-ref", "--format=%(objectname)%00%(refname)%00%(*objectname)")
        tags: dict[str, str] = {}
        for line in out.decode("utf-8", "surrogateescape").splitlines():
            obj, name, peeled = line.split("\x00")
            if name.startswith("refs/tags/"):
                tags[name.removeprefix("refs/tags/")] = peeled or obj
        state = _RefState((_REF_STATE_FORMAT, *validator), hashlib.sha256(out).hexdigest(), tags)
        if self._own:
            with contextlib.suppress(OssprovError):  # a read-only cache still reads; the next run lists again
                memofile.save(saved, state)
        self._shared.refs = state
        return state

    def tags(self) -> dict[str, str]:
        """Tag name → the commit it points to (annotated tags peeled)."""
        return dict(self._ref_state().tags)

    def refs(self) -> str:
        """A fingerprint of every ref tip: changes exactly when a fetch brought something new."""
        return self._ref_state().fingerprint

    def default_branch(self) -> str | None:
        """The branch HEAD names (read from HEAD itself: git wrote it for a clone, ossprov copied it otherwise)."""
        git_dir = self._gitdir()
        try:
            head = _small_read(git_dir / "HEAD").decode("utf-8", "replace").strip()
        except (GitError, OSError):
            return None
        return head.removeprefix("ref: ").removeprefix("refs/heads/") or None if head.startswith("ref: ") else None

    def ls_tree(self, commit: str, prefix: str = "") -> dict[str, str]:
        """Repository path → blob id of every file (not submodule, not link) under `prefix` at `commit` (a copy:
        the caller may change it)."""
        if not HEX40.match(commit):  # a ref names another commit after a fetch: only a commit id is cached
            return self._list_tree(commit, prefix)
        trees, key = self._shared.trees, (commit, prefix)
        if key not in trees:
            trees[key] = self._list_tree(commit, prefix)
            while len(trees) > TREES_KEPT:
                trees.popitem(last=False)
        trees.move_to_end(key)
        return dict(trees[key])

    def _list_tree(self, commit: str, prefix: str) -> dict[str, str]:
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

    def gitlinks(self, commit: str) -> dict[str, str]:
        """Repository path → commit of every submodule (gitlink, mode 160000) at `commit`."""
        out = self.git("ls-tree", "-r", "-z", "--full-tree", _rev(commit))
        links: dict[str, str] = {}
        for entry in out.split(b"\0"):
            meta, _, path = entry.partition(b"\t")
            if meta.startswith(b"160000 commit "):
                links[path.decode("utf-8", "surrogateescape")] = meta.split()[2].decode()
        return links

    def read_blobs(self, shas: Iterable[str]) -> Iterator[tuple[str, bytes]]:
        """(sha, content) for each object found, through the repository's one reader (a partial clone first
        fetches the contents it lacks, in one request)."""
        wanted = list(dict.fromkeys(shas))
        if self.partial:
            self.fetch_blobs(wanted)
        for sha in wanted:
            found = self._ask("contents", sha)
            if found and found[2] is not None:
                yield sha, found[2]

    @property
    def partial(self) -> bool:
        """Whether this is a partial clone (made with `--filter=blob:none` from a host that supports it): it has
        every commit and tree, and a file's content only once fetched."""
        shared = self._shared
        if shared.partial is None:
            try:
                config = (self.path / "config").read_bytes().lower() if self._own else b""
            except OSError:
                config = b""
            shared.partial = _PROMISOR.search(config) is not None
        return shared.partial

    def fetch_blobs(self, blobs: Iterable[str]) -> None:
        """Bring the contents of `blobs` into a partial clone: those not known present are checked without
        fetching them (`_missing`), and the missing ones fetched from origin in one request, with the git
        deadline. Offline, a missing content is an OfflineError."""
        shared = self._shared
        if shared.present is None:
            try:
                shared.present = set((self.path / PRESENT).read_text().split())
            except OSError:
                shared.present = set()
        unknown = [b for b in dict.fromkeys(blobs) if b not in shared.present and HEX40.match(b)]
        if not unknown:
            return
        missing = self._missing(unknown)
        if missing:
            if settings().offline:
                raise OfflineError(f"offline: {len(missing)} file(s) of {self.path.name} are not in the cached "
                                   "partial clone")
            run_git(["-c", "fetch.negotiationAlgorithm=noop", "fetch", "--quiet", "--no-tags",
                     "--no-write-fetch-head", "--recurse-submodules=no", "--filter=blob:none", "--stdin", "origin"],
                    cwd=self.path, input="".join(f"{b}\n" for b in missing).encode(), env=self._env())
        shared.present.update(unknown)
        with contextlib.suppress(OssprovError):  # unsaved, the next run checks again
            atomic_write(self.path / PRESENT, "".join(f"{b}\n" for b in sorted(shared.present)).encode())

    def fetch_tree(self, commit: str) -> None:
        """Bring every file of `commit` into a partial clone (a rebuild exports the whole tree)."""
        if not self.partial:
            return
        out = run_git(["rev-list", "--objects", "--no-object-names", "--missing=print", f"{_rev(commit)}^{{tree}}"],
                      cwd=self.path, env=self._env(user=False))
        self.fetch_blobs([line[1:] for line in out.decode().split() if line.startswith("?")])

    def _missing(self, blobs: list[str]) -> list[str]:
        """Those of `blobs` the clone lacks, found without fetching them (asking for one would): a tree naming
        them is written (`mktree --missing`) and walked by `rev-list --missing=print`."""
        local = self._env(user=False)
        listing = "".join(f"100644 blob {b}\t{i}\n" for i, b in enumerate(blobs)).encode()
        tree = run_git(["mktree", "--missing"], cwd=self.path, input=listing, env=local).decode().strip()
        out = run_git(["rev-list", "--objects", "--no-object-names", "--missing=print", tree], cwd=self.path,
                      env=local)
        return [line[1:] for line in out.decode().split() if line.startswith("?")]

    def _fetch_history(self, paths: list[str]) -> None:
        """Before a content search through history (`log -G`) in a partial clone: fetch every version of
        `paths` at once, rather than letting git fetch them commit by commit."""
        out = run_git(["log", "--all", "--format=", "--raw", "--no-abbrev", "--no-renames", "--", *paths],
                      cwd=self.path, env=self._env(user=False))
        blobs = [f for line in out.decode("utf-8", "surrogateescape").splitlines() if line.startswith(":")
                 for f in line.split()[2:4] if f.strip("0")]
        self.fetch_blobs(blobs)

    def read_file(self, commit: str, path: str) -> bytes | None:
        """The content of `path` at `commit`, or None when there is no such file."""
        found = self._ask("contents", f"{_rev(commit)}:{path}")
        return found[2] if found and found[1] == "blob" else None

    def resolve_path(self, commit: str, path: str) -> str | None:
        found = self._ask("info", f"{_rev(commit)}:{path}")
        return found[0] if found and HEX40.match(found[0]) else None


def _forget(path: Path) -> None:
    """A fetch changed the clone: drop its saved ref state and memo, and what this process holds of them."""
    (path / REF_STATE).unlink(missing_ok=True)
    (path / MEMO).unlink(missing_ok=True)
    shared = _SHARED.get(Path(os.path.abspath(path)))
    if shared is not None:  # every handle on the repository sees the new state
        if shared.reader is not None:
            shared.reader.close()
        shared.reader, shared.refs, shared.memo, shared.memo_dirty = None, None, None, False


def save_memos() -> None:
    """Save every repository's memo that learnt something (a run's end: a process that ends without running
    its exit handlers, a forked worker, keeps what it learnt)."""
    for path, shared in list(_SHARED.items()):
        if shared.memo_dirty:
            Repo(path).save()


@atexit.register
def _close_all() -> None:
    for path in list(_SHARED):
        Repo(path).close()



def _in_clone_cache(path: Path) -> bool:
    """Whether `path` is a clone ossprov made (its config was written by git, not by a repository's author)."""
    try:
        return path.resolve().parent == settings().clone_cache.resolve()
    except OSError:
        return False
