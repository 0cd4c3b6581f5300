"""Every request, download and git call ends at its deadline, whatever the server does (issue 21.5): one that
accepts and never answers, one that trickles its headers or its body one byte every 2 s."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ossprov.fixtures.world import World
from tests.conftest import npm_project

DEADLINE = 3.0
BOUND = 20.0
"""Wall seconds a run may take in all (interpreter start, a deadline, a slack for a loaded machine)."""


class FaultyServer:
    """A TCP server on 127.0.0.1 that answers every connection in one bad way."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.stopped = threading.Event()
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(1)
            try:
                conn.recv(65536)
                if self.mode == "silent":
                    self.stopped.wait(120)
                    return
                head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n"
                if self.mode == "trickle-headers":
                    for byte in head + b"X-Slow: " + b"a" * 1000:
                        conn.sendall(bytes([byte]))
                        if self.stopped.wait(2):
                            return
                conn.sendall(head + b"\r\n")
                while not self.stopped.wait(2):
                    conn.sendall(b" ")
            except OSError:
                return

    def stop(self) -> None:
        """Stop accepting before the socket is closed: a thread still in accept() on a closed descriptor number
        would take the connections of the next server that gets that number."""
        self.stopped.set()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture
def faulty() -> Iterator[type[FaultyServer]]:
    servers: list[FaultyServer] = []

    def make(mode: str) -> FaultyServer:
        servers.append(FaultyServer(mode))
        return servers[-1]

    yield make  # type: ignore[misc]
    for server in servers:
        server.stop()


def _ossprov(*args: str, env: dict[str, str]) -> tuple[subprocess.CompletedProcess, float]:
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "ossprov", *args], capture_output=True, text=True,
                          timeout=BOUND * 3, env={**os.environ, "OSSPROV_TIMEOUT": "30", **env})
    return proc, time.monotonic() - start


@pytest.mark.parametrize("mode", ["silent", "trickle-headers", "trickle-body"])
def test_registry_that_hangs_or_trickles_ends_at_the_request_deadline(faulty, mode: str) -> None:
    server = faulty(mode)
    proc, took = _ossprov("verify", "pkg:npm/left-pad@1.3.0",
                          env={"OSSPROV_NPM_REGISTRY": server.url + "/", "OSSPROV_REQUEST_DEADLINE": str(DEADLINE)})
    assert proc.returncode == 3, proc.stderr
    assert "deadline" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr
    assert took < BOUND


def test_tarball_host_that_trickles_ends_at_the_download_deadline(world: World, faulty) -> None:
    server = faulty("trickle-body")
    repo, pkg = npm_project(world, "acme/slow", "slow", "1.0.0")
    sha = repo.commit("release")
    world.publish_npm(world.npm_pack(pkg), git_head=sha)
    doc = world.packuments["slow"]
    doc["versions"]["1.0.0"]["dist"]["tarball"] = f"{server.url}/slow-1.0.0.tgz"
    (world.root / "registry" / "npm" / "slow").write_text(json.dumps(doc))
    proc, took = _ossprov("verify", "pkg:npm/slow@1.0.0", env={"OSSPROV_DOWNLOAD_DEADLINE": str(DEADLINE)})
    assert proc.returncode == 3, proc.stderr
    assert "deadline" in proc.stderr and took < BOUND
    leftovers = [p for p in Path(os.environ["OSSPROV_CACHE"]).rglob("*") if p.name.endswith(".part")]
    assert leftovers == []


@pytest.mark.parametrize("mode", ["silent", "trickle-body"])
def test_git_server_that_hangs_or_trickles_is_killed_at_the_git_deadline(world: World, faulty, mode: str,
                                                                         tmp_path: Path) -> None:
    server = faulty(mode)
    gitconfig = Path(os.environ["GIT_CONFIG_GLOBAL"])
    gitconfig.write_text(gitconfig.read_text() + f'[url "{server.url}/"]\n\tinsteadOf = https://git.example/\n')
    repo, pkg = npm_project(world, "acme/hung", "hung", "1.0.0",
                            repository={"type": "git", "url": "git+https://git.example/acme/hung.git"})
    sha = repo.commit("release")
    purl = world.publish_npm(world.npm_pack(pkg), git_head=sha)
    proc, took = _ossprov("locate", purl, "--format", "json", env={"OSSPROV_GIT_DEADLINE": str(DEADLINE)})
    assert server.connections >= 1  # git did reach the server
    assert took < BOUND, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.returncode in (1, 3), proc.stderr
    assert "deadline" in proc.stdout + proc.stderr
    remaining = subprocess.run(["pgrep", "-f", f"127.0.0.1:{server.url.rsplit(':', 1)[1]}"],
                               capture_output=True, text=True).stdout.split()
    assert remaining == []  # git's remote helper was killed with it
