"""The daemon: import ossprov once, then fork a fresh copy of itself for each command a client hands over.

Started by `ossprov` (`python -P -m ossprov.daemon.server`) in its own session, with an environment that holds
no credentials; it exits after OSSPROV_DAEMON_IDLE seconds (default 900) without a command, when its code changes
on disk, or on `ossprov daemon stop`. One daemon per identity (`protocol.identity`): a lock next to the socket
keeps a second from starting.

The daemon itself never runs a command, reads a repository or opens a network connection: each copy does, in
the caller's working directory, umask and environment, on the caller's own standard streams, in a session of its
own; only the copy reads the command and its environment, so the daemon never holds a caller's credentials. A
copy that loses its client (the client was killed) is terminated with its processes, as the client's would have
been.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import gc
import importlib
import importlib.util
import io
import os
import pkgutil
import select
import signal
import socket
import sys
import threading
import time
import types
from dataclasses import dataclass

from ossprov.daemon import pages, protocol

IDLE_SECONDS = 900.0
CHECK_SECONDS = 5.0
"""How often an idle daemon looks whether its socket is still there."""
REQUEST_SECONDS = 1.0
"""How long the daemon waits for a request's first message, sent with the connection: a client that connects and
says nothing holds up the others no longer than this."""
NOT_PRELOADED = ("ossprov.fixtures", "ossprov.daemon", "ossprov.__main__", "ossprov.batch.dask_env")
"""Left to the commands that need them: test fixtures, and Dask, whose configuration is read from the environment
when it is imported (a copy must read the caller's)."""
FORWARDED = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP})
"""Signals a client may pass on to its command's process group."""


@dataclass(frozen=True)
class Request:
    """A command as the client would have run it: the second message of a request, read by the copy alone."""

    cwd: bytes
    umask: int
    streams: list[tuple[str, str, str]]
    """(encoding, errors, flags) of the client's stdin, stdout and stderr: `l` line-buffered, `w` written through."""
    argv0: str
    main: tuple[str, str]
    """The client's `__main__`: its module's name (`ossprov.__main__` for `python -m ossprov`, empty for a script)
    and file."""
    first_path: str | None
    """The import path's entry the daemon, started with `-P`, lacks: the client's working directory with `-m`,
    its script's directory otherwise (None with `-P`): what the command imports lazily, such as a batch runner
    named by OSSPROV_BATCH_RUNNER, is found where it would have been."""
    argv: list[str]
    env: dict[bytes, bytes]

    @classmethod
    def parse(cls, fields: list[bytes]) -> Request:
        cwd, umask, *rest = fields
        names = [f.decode("ascii") for f in rest[:9]]
        argv0, main_name, main_file = os.fsdecode(rest[9]), rest[10].decode("ascii"), os.fsdecode(rest[11])
        first_path = os.fsdecode(rest[12][1:]) if rest[12][:1] == b"+" else None
        argc = int(rest[13])
        argv = [os.fsdecode(a) for a in rest[14:14 + argc]]
        env = dict(entry.split(b"=", 1) for entry in rest[14 + argc:] if b"=" in entry)
        streams = list(zip(names[::3], names[1::3], names[2::3], strict=True))
        return cls(cwd, int(umask, 8), streams, argv0, (main_name, main_file), first_path, argv, env)


def preload() -> None:
    """Import every module a command may use, so that a copy imports nothing, then build the command group."""
    import ossprov
    from ossprov import cli

    for module in pkgutil.walk_packages(ossprov.__path__, "ossprov."):
        if not module.name.startswith(NOT_PRELOADED):
            try:
                importlib.import_module(module.name)
            except ImportError as exc:  # an optional extra not installed: a copy that needs it says so itself
                print(f"not preloaded: {module.name}: {exc}", file=sys.stderr, flush=True)
    cli._group()


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
    """The accept loop. Each request is answered by one line: `started PID` (a copy runs it in the session PID;
    `exit N` follows when it ends), `stale` (the code changed: the client runs the command itself and the daemon stops), `other` (a
    client of another identity or protocol), or a status."""

    def __init__(self, ident: bytes, listener: socket.socket, path: str, lock: int,
                 code: list[tuple[str, int, int]]) -> None:
        self.ident = ident
        self.listener = listener
        self.path = path
        self.inode = os.stat(path).st_ino
        self.lock = lock
        """Held by the daemon alone: a copy closes it, so that a long command does not keep a new daemon out."""
        self.code = code
        self.started = time.time()
        self.served = 0
        self.spare: socket.socket | None = None
        """The line to a copy forked ahead of the next command (`fork_spare`)."""

    def reachable(self) -> bool:
        """Its socket is still where clients look for it (not removed, nor replaced by another daemon's)."""
        try:
            return os.stat(self.path).st_ino == self.inode
        except OSError:
            return False

    def serve(self, idle: float) -> None:
        """Answer requests until `idle` seconds pass without one, or the socket is gone (its directory removed):
        a daemon no client can reach does not linger."""
        self.listener.settimeout(min(idle, CHECK_SECONDS))
        last = time.monotonic()
        self.fork_spare()
        while True:
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                if time.monotonic() - last >= idle or not self.reachable():
                    return
                continue
            last = time.monotonic()
            with conn:
                try:
                    if not self.answer(conn):
                        return
                except Exception as exc:  # a broken or hostile request: drop it, serve the next
                    print(f"request dropped: {exc.__class__.__name__}: {exc}", file=sys.stderr, flush=True)
            if self.spare is None:
                self.fork_spare()

    def fork_spare(self) -> None:
        """Fork the copy of the next command now, between commands: forking a daemon of this size takes a few
        milliseconds, which the command then does not wait for. The spare waits for a connection and its
        streams; it ends when the daemon does (the line closes)."""
        ours, theirs = socket.socketpair()
        if os.fork() == 0:
            try:
                ours.close()
                self.leave()
                pages.own_pages(lambda: bool(select.select([theirs], [], [], 0)[0]))
                _, fds, _, _ = socket.recv_fds(theirs, 1, 4)
                theirs.close()
                if len(fds) == 4:
                    _run_copy(socket.socket(fileno=fds[0]), fds[1:])
            finally:
                os._exit(4)
        theirs.close()
        self.spare = ours

    def leave(self) -> None:
        """In a copy: let go of what is the daemon's, so that it cannot accept, and a long command does not keep
        the lock from a new daemon."""
        self.listener.close()
        os.close(self.lock)
        if self.spare is not None:
            self.spare.close()

    def hand_over(self, conn: socket.socket, fds: list[int]) -> None:
        """Give the command to the spare, or to a copy forked now if there is none (or it is gone)."""
        spare, self.spare = self.spare, None
        if spare is not None:
            with spare:
                try:
                    socket.send_fds(spare, [b"r"], [conn.fileno(), *fds])
                    return
                except OSError:
                    pass
        if os.fork() == 0:
            try:
                self.leave()
                _run_copy(conn, fds)
            finally:
                os._exit(4)

    def answer(self, conn: socket.socket) -> bool:
        """Handle one connection; False when the daemon should stop. Only the request's first message is read
        here; a copy reads the rest."""
        deadline = time.monotonic() + REQUEST_SECONDS
        conn.settimeout(REQUEST_SECONDS)
        if not protocol.same_user(conn):
            return True
        header, fds, _, _ = socket.recv_fds(conn, protocol.HEADER, 3)
        try:
            fields = protocol.decode_body(conn, header, deadline, protocol.MAX_HEAD)
            if fields[:1] != [protocol.PROTOCOL] or fields[2:] != [self.ident]:
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
            self.hand_over(conn, fds)
            self.served += 1
            return True
        finally:
            for fd in fds:
                os.close(fd)


def _run_copy(conn: socket.socket, fds: list[int]) -> None:
    """In the forked copy: read the request's command, become the client's process, run the command, report its
    exit code. Never returns: whatever is raised, even by a signal's handler on the way out, ends in `os._exit`."""
    code = 4
    try:
        try:
            request = Request.parse(protocol.decode(conn, time.monotonic() + REQUEST_SECONDS))
            _become(request, fds)
            conn.settimeout(None)
            conn.sendall(b"started %d\n" % os.getpid())
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
    """Take on the client's streams, directory, umask, environment, arguments and `__main__`, and the default
    signal handling of a fresh process, in a session of its own: the daemon ending (it goes idle) then changes
    nothing for a command stopped with Ctrl-Z."""
    os.setsid()
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
    sys.argv = [request.argv0, *request.argv]
    sys.modules["__main__"] = _main_module(*request.main)
    if request.first_path is not None:
        sys.path.insert(0, request.first_path)
    streams = [_text_stream(fd, *spec) for fd, spec in enumerate(request.streams)]
    for name, stream in zip(("stdin", "stdout", "stderr"), streams, strict=True):
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)  # what libraries fall back on


def _main_module(name: str, path: str) -> types.ModuleType:
    """A `__main__` like the client's, for what looks at it: click names the program after it in its usage lines
    (`python -m ossprov`, or the script's name), multiprocessing's spawned workers import it."""
    main = types.ModuleType("__main__")
    main.__spec__ = importlib.util.find_spec(name) if name else None
    main.__package__ = main.__spec__.parent if main.__spec__ else None
    if path:
        main.__file__ = path
    return main


def _text_stream(fd: int, encoding: str, errors: str, flags: str) -> io.TextIOWrapper:
    """A standard stream on `fd` as the client's interpreter opened it: the same encoding, errors handler and
    buffering, and no newline translation (POSIX Python reads `\\r\\n` from stdin as it is)."""
    unbuffered = "w" in flags and fd != 0
    binary = open(fd, "wb" if fd else "rb", buffering=0 if unbuffered else -1, closefd=False)  # noqa: SIM115
    return io.TextIOWrapper(binary, encoding, errors, newline="\n", line_buffering="l" in flags,
                            write_through="w" in flags)


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
        except BaseException:  # as the interpreter reports it, through the hook a library may have set
            sys.excepthook(*sys.exc_info())
            code = 1
        threading._shutdown()  # type: ignore[attr-defined]  # as the interpreter does at its end: wait for threads
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
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))  # what the starting client inherited (a `flock` held on fd 9...)
    ident = protocol.identity()
    path = os.path.abspath(protocol.socket_path(ident))
    os.chdir("/")  # a daemon keeps no directory busy
    base = path.removesuffix(".sock")
    # No file here is opened through a symbolic link: were the directory ever someone else's to write, a link
    # planted as the log would have had the daemon truncate whatever file it names.
    lock = os.open(f"{base}.lock", os.O_RDONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)  # held for the daemon's life
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return  # another daemon of this identity runs or is starting
    with contextlib.suppress(FileNotFoundError):  # the last daemon's log; the lock makes the name this daemon's
        os.unlink(f"{base}.log")
    log = os.open(f"{base}.log", os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
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
    daemon = Daemon(ident, listener, path, lock, code)
    try:
        daemon.serve(idle)
    finally:
        listener.close()
        if daemon.reachable():
            with contextlib.suppress(OSError):
                os.unlink(path)


if __name__ == "__main__":
    main()
