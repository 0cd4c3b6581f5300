"""The `ossprov` command's entry point: hand the command to this user's running daemon, or run it here.

A command is handed over only when a daemon of the same identity answers `started`; anything else (no daemon,
a stale one, a broken socket or one another user listens on, an unusual interpreter, `OSSPROV_DAEMON=off`) runs
the command in this process, as if there were no daemon, and starts one in the background for the next command
(`auto`, the default).
`ossprov daemon ...` and `--version` always run here.
"""

from __future__ import annotations

import _socket  # the C module behind `socket`, whose wrapper imports selectors and enum: half the client's start
import array
import contextlib
import io
import os
import signal
import sys
from collections.abc import Iterator

from ossprov.daemon import protocol

ANSWER_SECONDS = 5.0
"""How long a daemon may take to answer a request: it only forks, so an answer later than this means it hangs."""
DAEMON_ENVIRONMENT = ("PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "XDG_RUNTIME_DIR", "VIRTUAL_ENV",
                      "PYTHONPATH", "PYTHONHOME", "PYTHONPYCACHEPREFIX", "PYTHONUTF8", "OSSPROV_DAEMON_IDLE")
"""What the daemon is started with: what decides its code and its temporary files, never a credential (each
command brings its own environment)."""


def main() -> None:
    argv = sys.argv[1:]
    if argv == ["--version"]:
        from ossprov import __version__

        print(f"ossprov, version {__version__}")
        return
    try:
        use = (argv[:1] != ["daemon"] and not any(map(_names_own_descriptor, argv)) and protocol.wanted()
               and protocol.plain_interpreter())
    except protocol.DaemonModeError as exc:
        print(f"ossprov: error: {exc}", file=sys.stderr)
        sys.exit(2)
    if use:
        try:
            ident = protocol.identity()
        except OSError:  # its confinement cannot be read: this process runs its command itself
            ident = b""
        code = hand_over(ident, argv) if ident else None
        if code is not None:  # the command ran in the copy: this interpreter's finalisation would only cost 6 ms
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(OSError):
                    stream.flush()
            os._exit(code)
        if ident:
            start_daemon()
    from ossprov.cli import main as run_here

    run_here()


def _names_own_descriptor(arg: str) -> bool:
    """A path to one of this process's open files beyond the standard three (`<(...)` in a shell gives
    /dev/fd/63): only this process has it open, so its command must run here."""
    for prefix in ("/dev/fd/", "/proc/self/fd/"):
        at = arg.find(prefix)
        if at != -1 and arg[at + len(prefix):].split("/")[0] not in ("0", "1", "2"):
            return True
    return False


def hand_over(ident: bytes, argv: list[str]) -> int | None:
    """The command's exit code, run by the daemon; None if no daemon of this identity took it."""
    try:
        for fd in (0, 1, 2):
            os.fstat(fd)
        streams = [_stream(s) for s in (sys.stdin, sys.stdout, sys.stderr) if isinstance(s, io.TextIOWrapper)]
        umask = os.umask(0o022)
        os.umask(umask)
        main = sys.modules["__main__"]
        fields = [os.fsencode(os.getcwd()), b"%o" % umask, *(part for stream in streams for part in stream),
                  os.fsencode(sys.argv[0]), getattr(getattr(main, "__spec__", None), "name", "").encode("ascii"),
                  os.fsencode(getattr(main, "__file__", None) or ""),
                  b"-" if sys.flags.safe_path else b"+" + os.fsencode(sys.path[0]), b"%d" % len(argv),
                  *(os.fsencode(a) for a in argv), *(key + b"=" + value for key, value in os.environb.items())]
    except (OSError, UnicodeError):
        return None
    if len(streams) != 3:
        return None
    with _Connection.open(ident, b"run", fields, [0, 1, 2]) as connection:
        if connection is None:
            return None
        started, _, pid = connection.line().partition(b" ")
        if started != b"started" or not pid.isdigit() or int(pid) <= 1:  # never this process's group, nor init's
            return None
        return connection.outcome(int(pid))


def _stream(stream: io.TextIOWrapper) -> tuple[bytes, bytes, bytes]:
    """How a standard stream was opened: its encoding, its errors handler, and `l` (line-buffered) and `w`
    (written through: `-u`, PYTHONUNBUFFERED), for the copy to open the caller's descriptor alike."""
    flags = b"l" * stream.line_buffering + b"w" * stream.write_through
    return stream.encoding.encode("ascii"), (stream.errors or "strict").encode("ascii"), flags


def ask(ident: bytes, kind: bytes) -> list[bytes] | None:
    """The daemon's answer to `status` or `stop`, line by line; None if no daemon of this identity answers."""
    with _Connection.open(ident, kind, [], []) as connection:
        if connection is None:
            return None
        lines = []
        while line := connection.line():
            lines.append(line)
        return lines if lines and lines != [b"other"] else None


class _Connection:
    """A request sent to the daemon, and its answers, one line at a time."""

    def __init__(self, sock: _socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    @classmethod
    @contextlib.contextmanager
    def open(cls, ident: bytes, kind: bytes, fields: list[bytes], fds: list[int]) -> Iterator[_Connection | None]:
        """Connected to a daemon of this user, with the request sent (`fds` passed along; `fields`, if any, in
        the second message, which only the copy reads); None if that failed."""
        try:
            sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        except OSError:
            yield None
            return
        try:
            sock.settimeout(ANSWER_SECONDS)
            sock.connect(protocol.socket_path(ident))
            if not protocol.same_user(sock):
                raise PermissionError("the daemon's socket is another user's")
            message = protocol.encode([protocol.PROTOCOL, kind, ident]) + (protocol.encode(fields) if fields else b"")
            rights = [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, array.array("i", fds).tobytes())] if fds else []
            sock.sendmsg([message[:protocol.HEADER]], rights)
            sock.sendall(message[protocol.HEADER:])
        except OSError:
            sock.close()
            yield None
            return
        try:
            yield cls(sock)
        finally:
            sock.close()

    def line(self) -> bytes:
        """The next line without its newline; what is left (often nothing) once the daemon has closed, or on an
        error."""
        try:
            while b"\n" not in self.buffer:
                chunk = self.sock.recv(4096)
                if not chunk:
                    line, self.buffer = self.buffer, b""
                    return line
                self.buffer += chunk
        except OSError:
            return b""
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line

    def outcome(self, pid: int) -> int:
        """Wait for the daemon's copy (process group `pid`) to end, passing on the signals this process gets:
        Ctrl-C, a TERM or a HUP through the connection, Ctrl-Z as a stop of the copy's group and of this
        process, continued together. A copy ended by a signal passed on ends this process by the same signal."""
        passed = []

        def forward(signum: int, frame: object) -> None:
            passed.append(signum)
            with contextlib.suppress(OSError):
                self.sock.send(bytes([signum]))

        def suspend(signum: int, frame: object) -> None:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGSTOP)
            signal.signal(signal.SIGTSTP, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTSTP)  # stopped here until `fg` or `bg`
            signal.signal(signal.SIGTSTP, suspend)
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGCONT)

        self.sock.settimeout(None)
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGTSTP):
            if signal.getsignal(signum) is not signal.SIG_IGN:  # `nohup` and background jobs ignore some
                signal.signal(signum, suspend if signum == signal.SIGTSTP else forward)
        line = self.line()
        if line.startswith(b"exit ") and line[5:].isdigit():
            return int(line[5:])
        if passed:
            signal.signal(passed[-1], signal.SIG_DFL)
            os.kill(os.getpid(), passed[-1])
        print("ossprov: internal error: the daemon's process ended without an exit status "
              "(OSSPROV_DAEMON=off runs commands without it)", file=sys.stderr)
        return 4


def start_daemon() -> None:
    """Start this identity's daemon in the background, in its own session, with no credential in its environment
    and its standard streams on /dev/null (it logs next to its socket). A second one started meanwhile exits at
    once, finding the lock taken."""
    try:
        protocol.directory()
    except OSError:  # not a private directory: no daemon would listen there, so none is started for nothing
        return
    env = {key: value for key, value in os.environ.items()
           if key in DAEMON_ENVIRONMENT or key in protocol.INTERPRETER_VARIABLES or key.startswith("LC_")}
    command = [sys.executable, "-P", "-m", "ossprov.daemon.server"]
    null = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_DUP2, 1, 2)]
    with contextlib.suppress(OSError):
        os.posix_spawn(sys.executable, command, env, file_actions=null, setsid=True)
