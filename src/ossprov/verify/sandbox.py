"""Run build commands in isolation: bubblewrap (bwrap) namespaces plus resource limits.

A rebuild executes code from a repository we are checking, so it is treated as hostile. In the sandbox it
sees a read-only system (/usr, /etc and the toolchains' own prefixes), one writable build directory and
nothing else of the machine: no home directory, caches, tokens or SSH keys (the environment is rebuilt from
an allow-list), no /run (where sockets live), no network unless the step is a dependency installation, and
its own PID namespace, so every process it started dies with it. CPU time, address space and file size are
capped with rlimits set before exec; wall-clock time by a timer that kills the whole process group.

Dependency installation needs the network, but not this machine's: with slirp4netns installed the step gets
its own network namespace with user-mode NAT to the outside and no route to the host's loopback services
(databases, the mirror, other builds). Without slirp4netns the step shares the host network, and the build
log says so.

As root in a container, plain `bwrap` would keep every capability inside the sandbox; we always ask for a
user namespace with an unprivileged uid (`--unshare-user --uid 1000`), which drops all capabilities and
also works where bwrap is not setuid. Some containers forbid user namespaces: `probe()` then says why and
the build is refused unless the caller explicitly opted out of the sandbox.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ossprov.errors import SandboxError

SANDBOX_UID = 1000
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt")
MASKED_FILES = ("/etc/shadow", "/etc/gshadow", "/etc/sudoers")
"""Files readable by the build's outer uid (root in containers) that a build has no business reading."""
MASKED_DIRS = ("/etc/ssh", "/etc/sudoers.d")
PASSED_ENV = ("PATH", "LANG", "LC_ALL")
"""Variables taken from the caller's environment; everything else comes from the recipe."""
SLIRP_ATTEMPTS = 12
SETUP_ATTEMPTS = 4
"""Times a step is started when bwrap fails while setting up the namespaces (before the command runs): the
loopback address of a new network namespace sometimes cannot be added (`Failed RTM_NEWADDR`) while
slirp4netns configures the same namespace."""
INSTALLERS = (("apt-get", "apt-get install bubblewrap slirp4netns"), ("dnf", "dnf install bubblewrap slirp4netns"),
              ("yum", "yum install bubblewrap slirp4netns"), ("zypper", "zypper install bubblewrap slirp4netns"),
              ("pacman", "pacman -S bubblewrap slirp4netns"), ("apk", "apk add bubblewrap slirp4netns"))
"""How to install the sandbox's tools, by the package manager found on this machine."""


@dataclass(frozen=True)
class Limits:
    """Resources one build step may use."""

    cpu_seconds: int = 1800
    memory_bytes: int = 6 * 1024**3
    """Data limit (RLIMIT_DATA: private writable memory). Not the address space: Node reserves many GB of
    inaccessible address space for each WebAssembly instance (corepack's fetch), which RLIMIT_AS would refuse."""
    wall_seconds: float = 1800.0
    file_bytes: int = 4 * 1024**3
    """Largest file a step may write (RLIMIT_FSIZE)."""


@dataclass(frozen=True)
class RunResult:
    """How one command ended."""

    argv: tuple[str, ...]
    returncode: int
    seconds: float
    timed_out: bool = False
    log_tail: str = ""
    """The last lines of combined stdout/stderr."""


def _set_limits(limits: Limits) -> None:
    """Runs in the child between fork and exec: new session (so the timer can kill the group) and rlimits."""
    os.setsid()
    for res, value in ((resource.RLIMIT_CPU, limits.cpu_seconds), (resource.RLIMIT_DATA, limits.memory_bytes),
                       (resource.RLIMIT_FSIZE, limits.file_bytes), (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(res, (value, value))


def tool_prefixes(*tools: str) -> list[Path]:
    """Installation prefixes (the directory above `bin/`) of the named programs that live outside the system
    directories (nvm's node under the home directory): for a plug-in's `Builder.toolchain_dirs`."""
    return _outside_system([Path(exe).resolve().parent.parent for tool in tools if (exe := shutil.which(tool))])


def toolchain_dirs() -> list[Path]:
    """Installation prefixes of what every build runs, when outside the system directories: the interpreter
    running ossprov (pyenv under /root; the timewarp relay and Python builds use it) and git (a rebuild's
    work tree is a git repository). Bound read-only into the sandbox; a plug-in adds its own tools'."""
    return _outside_system([Path(sys.prefix), Path(sys.base_prefix), *tool_prefixes("git")])


def _outside_system(candidates: list[Path]) -> list[Path]:
    found: list[Path] = []
    for prefix in candidates:
        prefix = prefix.resolve()
        if not any(prefix == Path(d) or Path(d) in prefix.parents for d in SYSTEM_DIRS) and prefix not in found:
            found.append(prefix)
    return found


def bwrap_args(writable: Path, *, network: bool, cwd: Path, read_only: Sequence[Path] = (),
               extra: Sequence[str] = (), host_network: bool = True) -> list[str]:
    """The bubblewrap command line (without the command) for a sandbox writable only at `writable`, that
    also sees the `read_only` directories (a package repository on disk the build resolves from). `network`
    shares the host's network; `extra` adds bwrap options (the fds of an isolated network)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxError(f"{missing_bwrap()}; install it or pass --no-sandbox")
    args = [bwrap, "--unshare-all", "--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
            "--die-with-parent", "--new-session", "--hostname", "ossprov-build"]
    if network and host_network:
        args.append("--share-net")
    for d in SYSTEM_DIRS:
        p = Path(d)
        if p.is_symlink():
            args += ["--symlink", os.readlink(p), d]
        elif p.is_dir():
            args += ["--ro-bind", d, d]
    resolv = Path("/etc/resolv.conf")
    if network and resolv.is_symlink() and resolv.resolve().is_file():
        args += ["--ro-bind", str(resolv.resolve()), str(resolv.resolve())]
    for f in MASKED_FILES:
        if Path(f).exists():
            args += ["--ro-bind", "/dev/null", f]
    for d in MASKED_DIRS:
        if Path(d).is_dir():
            args += ["--tmpfs", d]
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/var/tmp"]
    for prefix in [*toolchain_dirs(), *(p.resolve() for p in read_only if p.is_dir())]:
        args += ["--ro-bind", str(prefix), str(prefix)]
    args += [*extra, "--bind", str(writable), str(writable), "--chdir", str(cwd), "--"]
    return args


class _IsolatedNetwork:
    """A network namespace of the sandbox's own, connected to the outside by slirp4netns (user-mode NAT),
    with the host's loopback unreachable. bwrap reports its child's pid on `info_fd` and waits on `block_fd`
    until slirp4netns has configured the namespace."""

    def __init__(self) -> None:
        self.info_r, self.info_w = os.pipe()
        self.block_r, self.block_w = os.pipe()
        self.slirp: subprocess.Popen[bytes] | None = None

    def bwrap_options(self) -> list[str]:
        return ["--info-fd", str(self.info_w), "--block-fd", str(self.block_r)]

    def child_fds(self) -> tuple[int, int]:
        return self.info_w, self.block_r

    def connect(self, log: BinaryIO, timeout: float = 30.0) -> str | None:
        """Attach slirp4netns to the started sandbox and let it run; None, or why it could not be done."""
        os.close(self.info_w)
        os.close(self.block_r)
        try:
            info = b""
            deadline = time.monotonic() + timeout
            while b"}" not in info and time.monotonic() < deadline:
                chunk = os.read(self.info_r, 4096)
                if not chunk:
                    break
                info += chunk
            pid = int(json.loads(info)["child-pid"])
            _await_loopback(pid, min(deadline, time.monotonic() + 2.0))
            # As root, slirp4netns enters the network namespace by path; otherwise it must join the sandbox's
            # user namespace, which only works before bwrap has moved the child into a nested one. The child
            # waits on block_fd meanwhile, so trying again is safe.
            targets = ([f"/proc/{pid}/ns/net", "--netns-type=path"], [str(pid), f"--userns-path=/proc/{pid}/ns/user"])
            for attempt in range(SLIRP_ATTEMPTS):
                if any(self._start_slirp(target, options, log) for target, *options in targets):
                    return None
                time.sleep(0.05 * (attempt + 1))  # up to ~4 s in all
            return "slirp4netns did not configure the network"
        except (OSError, ValueError, KeyError) as exc:
            return f"cannot isolate the network: {exc}"
        finally:
            with contextlib.suppress(OSError):
                os.write(self.block_w, b"1")  # the build starts now, network or not
            with contextlib.suppress(OSError):
                os.close(self.block_w)
            with contextlib.suppress(OSError):
                os.close(self.info_r)

    def _start_slirp(self, target: str, options: list[str], log: BinaryIO) -> bool:
        ready_r, ready_w = os.pipe()
        self.close()
        self.slirp = subprocess.Popen(
            ["slirp4netns", "--configure", "--mtu=65520", "--disable-host-loopback", *options,
             f"--ready-fd={ready_w}", target, "tap0"],
            pass_fds=(ready_w,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
        os.close(ready_w)
        ready = os.read(ready_r, 1)
        os.close(ready_r)
        return ready == b"1"

    def close(self) -> None:
        if self.slirp is not None:
            self.slirp.kill()
            self.slirp.wait()
            self.slirp = None


def missing_bwrap() -> str:
    """Why there is no sandbox, with the command that installs it on this machine."""
    how = next((command for tool, command in INSTALLERS if shutil.which(tool)), None)
    return "bubblewrap (bwrap) is not installed" + (f" (to install it: {how})" if how else "")


def _await_loopback(pid: int, deadline: float) -> None:
    """Wait until bwrap has given the new network namespace its loopback address: slirp4netns configuring the
    namespace meanwhile makes bwrap fail (`loopback: Failed RTM_NEWADDR`)."""
    trie = Path(f"/proc/{pid}/net/fib_trie")
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if "127.0.0.1" in trie.read_text():
                return
        time.sleep(0.005)


@functools.cache
def probe() -> str | None:
    """None when bwrap can build a sandbox here, else why not (bwrap's own message)."""
    if shutil.which("bwrap") is None:
        return missing_bwrap()
    tmp = Path("/tmp")
    try:
        proc = subprocess.run([*bwrap_args(tmp, network=False, cwd=tmp), "true"], capture_output=True,
                              timeout=30, check=False, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap could not be run: {exc}"
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        return f"bwrap cannot create a sandbox here: {lines[-1] if lines else 'exit ' + str(proc.returncode)}"
    return None


def clean_env(home: Path, extra: dict[str, str]) -> dict[str, str]:
    """The whole environment of a build: the allow-listed variables, HOME/TMPDIR in the build dir, `extra`."""
    env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env.setdefault("LANG", "C.UTF-8")
    env.update(HOME=str(home), TMPDIR=str(home / "tmp"))
    env.update(extra)
    return env


class Sandbox:
    """Runs commands with `root` as the only writable place; `isolate=False` runs them directly (still with
    the clean environment and limits) for --no-sandbox."""

    def __init__(self, root: Path, log: Path, *, isolate: bool = True, limits: Limits = Limits(),
                 tail_lines: int = 40, read_only: Sequence[Path] = ()) -> None:
        if isolate and (why := probe()):
            raise SandboxError(f"{why}; refusing to build without a sandbox (pass --no-sandbox to accept that)")
        self.root = root
        self.log = log
        self.isolate = isolate
        self.limits = limits
        self.tail_lines = tail_lines
        self.read_only = tuple(read_only)

    def run(self, argv: Sequence[str], *, cwd: Path, env: dict[str, str], network: bool) -> RunResult:
        """Run `argv` to completion or to the wall-clock limit; every process it started is gone after.
        A sandbox whose setup failed before the command started is set up again (SETUP_ATTEMPTS)."""
        for attempt in range(1, SETUP_ATTEMPTS):
            start = self.log.stat().st_size if self.log.exists() else 0
            result = self._attempt(argv, cwd=cwd, env=env, network=network)
            if result.returncode != 1 or not self.isolate or not self._setup_failed(start):
                return result
            with self.log.open("ab") as out:
                out.write(f"ossprov: the sandbox could not be set up (attempt {attempt}); trying again\n".encode())
            time.sleep(0.2 * attempt)
        return self._attempt(argv, cwd=cwd, env=env, network=network)

    def _setup_failed(self, offset: int) -> bool:
        """The last attempt's log holds an error of bwrap's own (its exit code is then 1)."""
        with self.log.open("rb") as log:
            log.seek(offset)
            return any(line.startswith("bwrap: ") for line in log.read(65536).decode("utf-8", "replace").splitlines())

    def _attempt(self, argv: Sequence[str], *, cwd: Path, env: dict[str, str], network: bool) -> RunResult:
        isolated = _IsolatedNetwork() if self.isolate and network and shutil.which("slirp4netns") else None
        if isolated is not None:
            resolv = self.log.parent / "resolv.conf"  # slirp4netns answers DNS at 10.0.2.3
            resolv.write_text("nameserver 10.0.2.3\n")
            full = [*bwrap_args(self.root, network=True, host_network=False, cwd=cwd, read_only=self.read_only,
                                extra=[*isolated.bwrap_options(), "--ro-bind", str(resolv), "/etc/resolv.conf"]),
                    *argv]
        elif self.isolate:
            full = [*bwrap_args(self.root, network=network, cwd=cwd, read_only=self.read_only), *argv]
        else:
            full = list(argv)
        try:
            return self._run(full, argv, cwd, env, network, isolated)
        finally:
            if isolated is not None:
                isolated.close()

    def _run(self, full: list[str], argv: Sequence[str], cwd: Path, env: dict[str, str], network: bool,
             isolated: _IsolatedNetwork | None) -> RunResult:
        start = time.monotonic()
        timed_out = False
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            out.write(f"$ {' '.join(argv)}\n".encode())
            if network and self.isolate and isolated is None:
                out.write(b"ossprov: slirp4netns is not installed: this step shares the host's network\n")
            out.flush()
            try:
                proc = subprocess.Popen(full, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                        stderr=subprocess.STDOUT, preexec_fn=lambda: _set_limits(self.limits),
                                        pass_fds=isolated.child_fds() if isolated else ())
            except OSError as exc:
                out.write(f"cannot start: {exc}\n".encode())
                return RunResult(tuple(argv), 127, 0.0, log_tail=self._tail())
            if isolated is not None and (problem := isolated.connect(out)):
                out.write(f"ossprov: {problem}; the step runs without network\n".encode())
                out.flush()
            try:
                code = proc.wait(timeout=self.limits.wall_seconds)
            except subprocess.TimeoutExpired:
                timed_out = True
                code = -signal.SIGKILL
            finally:
                self._kill_group(proc.pid)
                proc.wait()
            if timed_out:
                out.write(f"\nossprov: killed after {self.limits.wall_seconds:g}s wall-clock limit\n".encode())
        return RunResult(tuple(argv), code, time.monotonic() - start, timed_out, self._tail())

    @staticmethod
    def _kill_group(pgid: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)

    def _tail(self) -> str:
        try:
            lines = self.log.read_bytes()[-65536:].decode("utf-8", "replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-self.tail_lines:])
