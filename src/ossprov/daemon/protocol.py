"""What the `ossprov` command and its daemon share: whether to use a daemon, where it listens, how a process
proves it would run the same code, and the request's wire form.

Every `ossprov` start imports this, so it imports only what the interpreter has already loaded.
"""

from __future__ import annotations

import _socket
import contextlib
import os
import stat
import sys
import time
import zlib

PROTOCOL = b"ossprov-daemon/3"
HEADER = 4
"""Bytes of the length that leads each message."""
MAX_MESSAGE = 8 << 20
"""A request is a command line and an environment: megabytes, never more."""
MAX_HEAD = 1 << 16
"""A request's first message is the protocol, its kind and the identity: kilobytes."""
OFF = frozenset({"off", "0", "no", "false"})
ON = frozenset({"auto", "on", "1", "yes", "true"})
SPECIAL_FLAGS = ("debug", "inspect", "interactive", "optimize", "verbose", "bytes_warning", "dev_mode",
                 "ignore_environment", "isolated", "no_site", "no_user_site")
"""Interpreter flags a forked copy of the daemon could not honour (`-O`, `-X dev`, `-v`, `-I`...): a process started
with any of them runs its command itself."""
IN_PROCESS_VARIABLES = ("PYTHONPROFILEIMPORTTIME", "PYTHONTRACEMALLOC", "PYTHONMALLOCSTATS")
"""The environment's forms of `-X importtime` and `-X tracemalloc` (which `sys._xoptions` does not show): what they
measure is the process's own start, so such a process runs its command itself."""
INTERPRETER_VARIABLES = ("LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "PYTHONHASHSEED", "PYTHONMALLOC",
                         "PYTHONINTMAXSTRDIGITS", "PYTHONWARNDEFAULTENCODING", "PYTHONASYNCIODEBUG",
                         "PYTHONFAULTHANDLER")
"""Variables that shape the process at its start (libraries preloaded into it, as `torsocks` or `proxychains`
do; the hash seed; the allocator): part of the identity, and given to the daemon it starts, so that the copy
running a command was started as its caller was."""


class DaemonModeError(ValueError):
    """OSSPROV_DAEMON holds a value that is neither on nor off."""


def wanted() -> bool:
    """Whether this process hands its command to a daemon: OSSPROV_DAEMON=auto (the default) or off. In CI (a `CI`
    variable that is not false) the default is off: a machine that runs one job gains nothing from a daemon that
    outlives it."""
    value = os.environ.get("OSSPROV_DAEMON", "").strip().lower()
    if not value:
        ci = os.environ.get("CI", "").strip().lower()
        return not ci or ci in OFF
    if value in OFF:
        return False
    if value in ON:
        return True
    raise DaemonModeError(f"OSSPROV_DAEMON must be auto or off, not {value[:40]!r}")


def plain_interpreter() -> bool:
    """No interpreter flag or option the daemon's copies would not have, and Unix sockets that pass descriptors."""
    flags = sys.flags
    return (os.name == "posix" and hasattr(_socket, "AF_UNIX") and hasattr(_socket.socket, "sendmsg")
            and not sys.warnoptions and not sys._xoptions
            and not any(getattr(flags, name) for name in SPECIAL_FLAGS)
            and not any(os.environ.get(name) for name in IN_PROCESS_VARIABLES))


def import_path() -> list[str]:
    """The import path, without the entry that depends on how the process was started (the script's directory,
    or the working directory for `python -m`): the daemon starts with `-P` and has no such entry."""
    return list(sys.path if sys.flags.safe_path else sys.path[1:])


def identity() -> bytes:
    """What decides the code a process runs and what it may do: the protocol, the interpreter, its import path,
    the file-system encoding and UTF-8 mode, ossprov's version, the variables that shape the interpreter's start
    (`INTERPRETER_VARIABLES`), and the process's confinement. A daemon serves only clients of its own identity.
    OSError if the confinement cannot be read."""
    from ossprov import __version__

    parts = [PROTOCOL.decode(), sys.executable, sys.version, __version__, sys.getfilesystemencoding(),
             str(sys.flags.utf8_mode), *import_path(), *interpreter_environment(), *confinement()]
    return "\n".join(parts).encode("utf-8", "surrogateescape")


def interpreter_environment() -> list[str]:
    """`NAME=value` of each of `INTERPRETER_VARIABLES` this process was started with."""
    return [f"{name}={os.environ[name]}" for name in INTERPRETER_VARIABLES if name in os.environ]


NAMESPACES = ("cgroup", "ipc", "mnt", "net", "pid", "user", "uts")
CONFINING_STATUS = frozenset({"Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb",
                              "NoNewPrivs", "Seccomp", "Seccomp_filters", "Cpus_allowed_list", "Mems_allowed_list"})


def confinement() -> list[str]:
    """What confines this process: its namespaces, root, control group, credentials, capabilities, seccomp
    filters, security label (AppArmor, SELinux), CPUs and memory nodes, scheduling policy (`chrt`), resource
    limits and niceness (from Linux's /proc; elsewhere the niceness alone). A command run
    in a sandbox or a container, without a network, under `ulimit` or in a `systemd-run -p MemoryMax=` scope is
    then run by a daemon started in the same confinement, never by one that was started outside it."""
    parts = [f"nice {os.getpriority(os.PRIO_PROCESS, 0)}"]
    if not os.path.isdir("/proc/self/ns"):
        return parts
    parts += [os.readlink(f"/proc/self/ns/{name}") for name in NAMESPACES if os.path.exists(f"/proc/self/ns/{name}")]
    parts.append(os.readlink("/proc/self/root"))
    with open("/proc/self/status", encoding="utf-8") as status:
        parts += [line for line in status.read().splitlines() if line.partition(":")[0] in CONFINING_STATUS]
    with open("/proc/self/stat", encoding="utf-8") as stat_file:  # after the command's name, which may hold spaces
        rt_priority, policy = stat_file.read().rpartition(")")[2].split()[37:39]
    parts.append(f"sched {policy} {rt_priority}")
    for name in ("cgroup", "limits"):
        with open(f"/proc/self/{name}", encoding="utf-8") as table:
            parts += table.read().splitlines()
    with contextlib.suppress(OSError), open("/proc/self/attr/current", "rb") as label:  # EINVAL: no such module
        parts.append(label.read().strip(b"\0\n").decode("utf-8", "replace"))  # SELinux ends it with a NUL
    return parts


def directory() -> str:
    """The private directory of the daemons' sockets: `$XDG_RUNTIME_DIR/ossprov`, or `ossprov-UID` in the temporary
    directory. It must be a directory of this user that no one else can enter (OSError otherwise), so that no one
    else can put a socket where ours is looked for."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime):
        path = os.path.join(runtime, "ossprov")
    else:
        path = os.path.join(os.environ.get("TMPDIR") or "/tmp", f"ossprov-{os.getuid()}")
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o700)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise PermissionError(f"{path} is not a private directory of this user")
    return path


def socket_path(ident: bytes) -> str:
    """Where the daemon of this identity listens; its lock and log sit next to it (`.lock`, `.log`)."""
    return os.path.join(directory(), f"{zlib.crc32(ident):08x}.sock")


def same_user(sock: _socket.socket) -> bool:
    """The process at the other end of a connected Unix socket runs as this user. The client asks it before it
    sends a command's environment (its credentials), the daemon before it serves a request; the private
    directory already keeps others out, this holds even if it were swapped between its check and the connect."""
    if not hasattr(_socket, "SO_PEERCRED"):
        return True
    credentials = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, 12)  # struct ucred: pid, uid, gid
    return int.from_bytes(credentials[4:8], sys.byteorder) == os.getuid()


def encode(fields: list[bytes]) -> bytes:
    """One message: its length, then the fields separated by NUL (no field of a command line, an environment or a
    path can hold one). A request is two: what the daemon reads (protocol, kind, identity), then what only the
    copy that runs the command reads (its command line, environment...), so that the daemon never holds a
    caller's credentials, not even in freed memory."""
    body = b"\0".join(fields)
    return len(body).to_bytes(HEADER, "big") + body


def receive(sock: _socket.socket, size: int, deadline: float) -> bytes:
    """Exactly `size` bytes by the `time.monotonic()` deadline; ConnectionError if the other side closes first,
    TimeoutError if it is slower (a client that sends a byte now and then holds no one up)."""
    chunks, left = [], size
    while left:
        sock.settimeout(max(deadline - time.monotonic(), 1e-3))
        chunk = sock.recv(min(left, 1 << 16))
        if not chunk:
            raise ConnectionError("closed mid-message")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def decode(sock: _socket.socket, deadline: float, limit: int = MAX_MESSAGE) -> list[bytes]:
    """The fields of the next message."""
    return decode_body(sock, receive(sock, HEADER, deadline), deadline, limit)


def decode_body(sock: _socket.socket, header: bytes, deadline: float, limit: int = MAX_MESSAGE) -> list[bytes]:
    """The fields of a message whose length header has been read."""
    size = int.from_bytes(header, "big")
    if len(header) != HEADER or size > limit:
        raise ConnectionError("malformed message")
    return receive(sock, size, deadline).split(b"\0")
