"""The daemon: import ossprov once, then fork a fresh copy of itself for each command a client hands over.

Started by `ossprov` (`python -P -m ossprov.daemon.server`) in its own session, with an environment that holds
no credentials; it exits after OSSPROV_DAEMON_IDLE seconds (default 900) without a command, when its code changes
on disk, or on `ossprov daemon stop`. One daemon per identity (`protocol.identity`): a lock next to the socket
keeps a second from starting.

The daemon itself never runs a command, reads a repository or opens a network connection: each copy does, in
the caller's working directory, umask and environment, on the caller's own standard streams, in a process group
of its own. A copy that loses its client (the client was killed) is terminated with its processes, as the
client's would have been.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import gc
import importlib
import io
import os
import pkgutil
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from dataclasses import dataclass

from ossprov.daemon import protocol

IDLE_SECONDS = 900.0
NOT_PRELOADED = ("ossprov.fixtures", "ossprov.daemon", "ossprov.__main__", "ossprov.batch.dask_env")
"""Left to the commands that need them: test fixtures, and Dask, whose configuration is read from the environment
when it is imported (a copy must read the caller's)."""
FORWARDED = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP})
"""Signals a client may pass on to its command's process group."""


@dataclass(frozen=True)
class Request:
    """A command as the client would have run it."""

    cwd: bytes
    umask: int
    encodings: list[tuple[str, str]]
    """(encoding, errors) of the client's stdin, stdout and stderr."""
    argv: list[str]
    env: dict[bytes, bytes]

    @classmethod
    def parse(cls, fields: list[bytes]) -> Request:
        cwd, umask, *rest = fields
        names = [f.decode("ascii") for f in rest[:6]]
        argc = int(rest[6])
        argv = [os.fsdecode(a) for a in rest[7:7 + argc]]
        env = dict(entry.split(b"=", 1) for entry in rest[7 + argc:] if b"=" in entry)
        return cls(cwd, int(umask, 8), list(zip(names[::2], names[1::2], strict=True)), argv, env)


def preload() -> None:
    """Import every module a command may use, so that a copy imports nothing, then build the command group."""
    import ossprov
    from ossprov import cli

    for module in pkgutil.walk_packages(ossprov.__path__, "ossprov."):
        if not module.name.startswith(NOT_PRELOADED):
            importlib.import_module(module.name)
    cli.__getattr__("cli")


def fingerprint() -> list[tuple[str, int, int]]:
    """The state of the code a copy would run: ossprov's source files, and the directories on the import path
    (installing or removing a package changes them). A daemon whose fingerprint changed stops serving."""
    import ossprov

    seen: list[tuple[str, int, int]] = []

    def walk(path: str) -> None:
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False) and entry.name != "__pycache__":
                    walk(entry.path)
                elif entry.name.endswith(".py"):
                    info = entry.stat(follow_symlinks=False)
                    seen.append((entry.path, info.st_mtime_ns, info.st_size))

    for root in ossprov.__path__:
        walk(root)
    for entry in protocol.import_path():
        try:
            info = os.stat(entry)
        except OSError:
            continue
        seen.append((entry, info.st_mtime_ns, info.st_size))
    return seen


class Daemon:
    """The accept loop. Each request is answered by one line: `started` (a copy runs it; `exit N` follows when
    it ends), `stale` (the code changed: the client runs the command itself and the daemon stops), `other` (a
    client of another identity or protocol), or a status."""

    def __init__(self, ident: bytes, listener: socket.socket, lock: io.TextIOWrapper,
                 code: list[tuple[str, int, int]]) -> None:
        self.ident = ident
        self.listener = listener
        self.lock = lock
        """Held by the daemon alone: a copy closes it, so that a long command does not keep a new daemon out."""
        self.code = code
        self.started = time.time()
        self.served = 0

    def serve(self, idle: float) -> None:
        self.listener.settimeout(idle)
        while True:
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                return
            with conn:
                try:
                    if not self.answer(conn):
                        return
                except (OSError, ValueError, IndexError) as exc:  # a broken or hostile request: drop it
                    print(f"request dropped: {exc.__class__.__name__}: {exc}", file=sys.stderr, flush=True)

    def answer(self, conn: socket.socket) -> bool:
        """Handle one connection; False when the daemon should stop."""
        conn.settimeout(5.0)
        if not _same_user(conn):
            return True
        header, fds, _, _ = socket.recv_fds(conn, protocol.HEADER, 3)
        try:
            fields = protocol.decode_body(conn, header)
            if fields[:1] != [protocol.PROTOCOL] or fields[2:3] != [self.ident]:
                conn.sendall(b"other\n")
                return True
            kind = fields[1]
            if kind == b"status":
                conn.sendall(f"pid {os.getpid()}\nstarted {self.started:.0f}\nserved {self.served}\n".encode())
                return True
            if kind == b"stop":
                conn.sendall(b"stopping\n")
                return False
            if kind != b"run" or len(fds) != 3:
                conn.sendall(b"other\n")
                return True
            if fingerprint() != self.code:
                conn.sendall(b"stale\n")
                return False
            request = Request.parse(fields[3:])
            if os.fork() == 0:
                self.listener.close()
                self.lock.close()
                _run_copy(conn, fds, request)
                os._exit(4)
            self.served += 1
            return True
        finally:
            for fd in fds:
                os.close(fd)


def _same_user(conn: socket.socket) -> bool:
    """The peer runs as this user (the socket's directory already keeps others out; this is the second lock)."""
    if not hasattr(socket, "SO_PEERCRED"):
        return True
    _, uid, _ = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    return uid == os.getuid()


def _run_copy(conn: socket.socket, fds: list[int], request: Request) -> None:
    """In the forked copy: become the client's process, run the command, report its exit code. Never returns:
    whatever is raised, even by a signal's handler on the way out, ends in `os._exit`."""
    code = 4
    try:
        try:
            _become(request, fds)
            conn.settimeout(None)
            conn.sendall(b"started\n")
        except BaseException:  # nothing ran: the client, seeing no `started`, runs the command itself
            return
        threading.Thread(target=_watch_client, args=(conn,), daemon=True).start()
        code = _command()
        for signum in FORWARDED:  # from here on a late signal from the client changes nothing
            signal.signal(signum, signal.SIG_IGN)
        with contextlib.suppress(OSError):  # a stream or a client that went away
            conn.sendall(b"exit %d\n" % code)
    except BaseException:
        pass
    finally:
        os._exit(code)


def _become(request: Request, fds: list[int]) -> None:
    """Take on the client's streams, directory, umask, environment and arguments, and the default signal
    handling of a fresh process."""
    os.setpgid(0, 0)
    for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    os.chdir(request.cwd)
    os.umask(request.umask)
    os.environb.clear()
    os.environb.update(request.env)
    time.tzset()
    sys.argv = ["ossprov", *request.argv]
    unbuffered = bool(request.env.get(b"PYTHONUNBUFFERED"))
    streams = [_text_stream(fd, encoding, errors, unbuffered) for fd, (encoding, errors)
               in enumerate(request.encodings)]
    for name, stream in zip(("stdin", "stdout", "stderr"), streams, strict=True):
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)  # what libraries fall back on


def _text_stream(fd: int, encoding: str, errors: str, unbuffered: bool) -> io.TextIOWrapper:
    """A standard stream on `fd` as Python would have opened it: stdout line-buffered on a terminal, stderr
    always, both written through with PYTHONUNBUFFERED."""
    if fd == 0:
        return io.TextIOWrapper(open(fd, "rb", closefd=False), encoding, errors)
    binary = open(fd, "wb", buffering=0 if unbuffered else -1, closefd=False)  # noqa: SIM115 - the stream's own
    return io.TextIOWrapper(binary, encoding, errors, line_buffering=fd == 2 or os.isatty(fd),
                            write_through=unbuffered)


def _watch_client(conn: socket.socket) -> None:
    """Pass the client's signals to the command's process group; if the client goes away, terminate it."""
    while True:
        try:
            data = conn.recv(64)
        except OSError:
            data = b""
        if not data:
            os.killpg(0, signal.SIGTERM)
            return
        for signum in data:
            if signum in FORWARDED:
                os.killpg(0, signum)


def _command() -> int:
    """Run `ossprov` as its entry point would, with the exit code a process would have had."""
    from ossprov.cli import main

    try:
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = _exit_status(exc.code)
        except BaseException:
            traceback.print_exc()
            code = 1
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError):  # a stream or a client that went away
                stream.flush()
    return code


def _exit_status(value: object) -> int:
    """What the interpreter makes of `sys.exit(value)`."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value & 0xFF
    print(value, file=sys.stderr)
    return 1


def _listen(path: str) -> socket.socket:
    """The listening socket at `path`, readable by this user only (a stale one of a dead daemon is replaced:
    the caller holds the lock, so no live daemon owns it)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        listener.bind(path)
    finally:
        os.umask(old)
    listener.listen(64)
    return listener


def main() -> None:
    ident = protocol.identity()
    path = protocol.socket_path(ident)
    base = path.removesuffix(".sock")
    lock = open(f"{base}.lock", "a")  # noqa: SIM115 - held for the daemon's life
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return  # another daemon of this identity runs or is starting
    log = os.open(f"{base}.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log, 2)
    os.close(log)
    preload()
    if threading.active_count() != 1:  # forking a process with threads is unsafe: serve nothing
        print("not serving: a preloaded module started a thread", file=sys.stderr, flush=True)
        return
    gc.freeze()  # the preloaded objects stay out of the collector, so the copies do not touch their pages
    code = fingerprint()
    listener = _listen(path)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the copies
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    idle = float(os.environ.get("OSSPROV_DAEMON_IDLE") or IDLE_SECONDS)
    mine = os.stat(path).st_ino
    try:
        Daemon(ident, listener, lock, code).serve(idle)
    finally:
        listener.close()
        with contextlib.suppress(OSError):  # a stream or a client that went away
            if os.stat(path).st_ino == mine:
                os.unlink(path)


if __name__ == "__main__":
    main()
