"""Run a command with the timewarp registry reachable at http://127.0.0.1:PORT inside the sandbox.

The sandbox's network namespace has a loopback of its own, so the timewarp proxy (which runs outside, in
ossprov's process) is offered to it as a Unix socket in a directory bound into the sandbox. This small script,
run inside the sandbox with the interpreter that runs ossprov, listens on a free loopback port, relays every
connection to that socket, sets the registry variables of the command (`--env NAME=VALUE`, `{url}` in VALUE
replaced by the relay's address), and exits with the command's exit code. Standard library only: it is copied
into the build directory and run from there.

    python timewarp_relay.py SOCKET [--env NAME=VALUE ...] -- COMMAND [ARG ...]
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while chunk := src.recv(65536):
            dst.sendall(chunk)
    for s in (src, dst):
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)


def _serve(listener: socket.socket, path: str) -> None:
    while True:
        client, _ = listener.accept()
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(path)
        except OSError:
            client.close()
            upstream.close()
            continue
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=_pipe, args=(a, b), daemon=True).start()


def main(args: list[str]) -> int:
    if "--" not in args or not args or args[0] == "--":
        print("usage: timewarp_relay.py SOCKET [--env NAME=VALUE ...] -- COMMAND ...", file=sys.stderr)
        return 2
    split = args.index("--")
    path, options, command = args[0], args[1:split], args[split + 1:]
    listener = socket.create_server(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    threading.Thread(target=_serve, args=(listener, path), daemon=True).start()
    env = dict(os.environ)
    for pair in (options[i + 1] for i in range(0, len(options) - 1, 2) if options[i] == "--env"):
        name, _, value = pair.partition("=")
        env[name] = value.replace("{url}", url)
    try:
        return subprocess.run(command, env=env, check=False).returncode
    except OSError as exc:
        print(f"timewarp relay: cannot run {command[0]}: {exc}", file=sys.stderr)
        return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
