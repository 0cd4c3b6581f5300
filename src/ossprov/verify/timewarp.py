"""Timewarp: the registries as they were when the release was published, for installs without a lockfile.

A build that resolves its dependencies today gets today's versions (a newer setuptools writes another
PKG-INFO, a newer hatch-vcs another version file); the original build got the versions of its day. The proxy
answers from the configured registry but hides every version published after the cutoff, so a resolver picks
what it would have picked then (OSS Rebuild's "timewarp"). This module is the proxy; each registry protocol it
speaks is a `Route` its ecosystem plug-in gives (`Builder.timewarp_route`: npm's packuments, PyPI's simple API,
cargo's sparse index), served under `/<route name>/`.

It is served to the sandbox on a Unix socket (see `timewarp_relay`), and it is also the install step's way to the
registry: artifact URLs in its answers point back at the proxy, which fetches only URLs the registry itself
named, so the sandbox cannot use it to reach anything else. Digests pass through unchanged, and the installers
check them.

Registry times are not always real: some mirrors answer with the date each version was copied. A route that
can tell (npm's, by the order of the times) serves such versions unfiltered, and `notes()` says so.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import shutil
import socket
import socketserver
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from ossprov import http
from ossprov.errors import OssprovError
from ossprov.http import MAX_DOWNLOAD_BYTES
from ossprov.verify import timewarp_relay


def parse_time(text: object) -> datetime.datetime | None:
    """An ISO 8601 registry time as an aware datetime (None when absent or unreadable)."""
    if not isinstance(text, str):
        return None
    try:
        when = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=datetime.UTC)


@dataclass
class _State:
    """What the proxy did, for the rebuild's notes."""

    hidden: dict[str, int] = field(default_factory=dict)
    """`route:package` → versions (or files) hidden because they are newer than the cutoff."""
    copy_dates: list[str] = field(default_factory=list)
    """Packages whose registry times are copy dates (served unfiltered)."""
    untimed: list[str] = field(default_factory=list)
    """Packages served unfiltered because the registry gave no times."""
    unyanked: list[str] = field(default_factory=list)
    """Packages with versions of the day the registry marks yanked now, without saying when: served as they
    were published, installable."""
    nothing_older: list[str] = field(default_factory=list)
    """Packages with no version before the cutoff (served unfiltered so the build can still resolve)."""
    urls: list[str] = field(default_factory=list)
    """Artifact URLs named by the registry's answers; the proxy fetches only these (by index)."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def file_url(self, url: str) -> int:
        with self.lock:
            self.urls.append(url)
            return len(self.urls) - 1


@dataclass(frozen=True)
class Answer:
    """What a route answers a request with."""

    status: int
    body: bytes
    content_type: str


class Route(ABC):
    """One registry protocol the proxy speaks, under `/<name>/`, in front of the registry at `upstream`."""

    name: ClassVar[str]

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/") + "/"

    @abstractmethod
    def answer(self, proxy: Timewarp, rest: str, base: str) -> Answer:
        """The answer to `GET /<name>/<rest>`, as of `proxy.cutoff`; `base` is the proxy's URL as the client
        reached it. Artifact URLs go through `proxy.served_url`, what was hidden into `proxy.state`."""

    def judge_times(self, proxy: Timewarp, name: str) -> None:
        """Tell from the rebuilt package's own registry document whether the registry's times are copy dates,
        before any install asks (default: the route cannot tell)."""
        return None


class Timewarp:
    """The proxy: `start()`, hand `socket_path` to the sandbox, `stop()`; `notes()` says what it did."""

    def __init__(self, cutoff: datetime.datetime | None, routes: Sequence[Route], *, copy_dates: bool = False) -> None:
        self.cutoff = cutoff
        self.routes = {route.name: route for route in routes}
        self.state = _State()
        self.registry_copy_dates = copy_dates
        """Set when the registry's times are known to be copies: nothing is filtered."""
        self._dir: Path | None = None
        self._server: socketserver.ThreadingUnixStreamServer | None = None

    # --- lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> Timewarp:
        """Listen on a socket in a new private directory (short, under the temporary directory: socket paths
        are limited to 108 bytes)."""
        proxy = self
        self._dir = Path(tempfile.mkdtemp(prefix="ossprov-tw-"))

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args: object) -> None:
                return None

            def do_GET(self) -> None:
                proxy._handle(self)

        shutil.copyfile(timewarp_relay.__file__, self.relay)
        server = socketserver.ThreadingUnixStreamServer(str(self.socket_path), Handler)
        server.daemon_threads = True
        self.socket_path.chmod(0o777)  # the sandbox's uid must be able to connect
        self._dir.chmod(0o755)
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> Timewarp:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def directory(self) -> Path:
        """The directory holding the socket and the relay (bound read-only into the sandbox), once started."""
        if self._dir is None:
            raise RuntimeError("the timewarp proxy is not started")
        return self._dir

    @property
    def socket_path(self) -> Path:
        return self.directory / "registry.sock"

    @property
    def relay(self) -> Path:
        """The copy of `timewarp_relay` the sandbox runs."""
        return self.directory / "relay.py"

    def judge_times(self, name: str) -> None:
        """Ask each route whether the registry's times for package `name` are copy dates."""
        if self.cutoff is None:
            return
        for route in self.routes.values():
            with contextlib.suppress(OssprovError):
                route.judge_times(self, name)

    def served_url(self, url: str, base: str, filename: str) -> str:
        """The proxy's URL for an artifact URL a registry answer named (the proxy fetches only these)."""
        return f"{base}/files/{self.state.file_url(url)}/{filename}"

    def fetch(self, url: str) -> Answer:
        """An artifact at `url` (a registry answer named it), unless it is a local address (see `_may_fetch`)."""
        if not self._may_fetch(url):
            return Answer(403, b"timewarp: the registry named a local address\n", "text/plain")
        response = http.client().request("GET", url, max_bytes=MAX_DOWNLOAD_BYTES)
        return Answer(response.status_code, response.content, "application/octet-stream")

    # --- what it did -------------------------------------------------------------------------------------
    def notes(self) -> list[str]:
        s = self.state
        if self.cutoff is None:
            return ["the registry gave no release time: dependencies resolved as of today"]
        when = self.cutoff.isoformat(timespec="seconds").replace("+00:00", "Z")
        copies = s.copy_dates or self.registry_copy_dates
        notes = []
        if s.hidden or not copies:
            notes.append(f"dependencies resolved as of {when} (timewarp): {sum(s.hidden.values())} later version(s) "
                         f"of {len(s.hidden)} package(s) hidden"
                         + (f" ({', '.join(sorted(s.hidden)[:8])})" if s.hidden else ""))
        if copies:
            notes.append("the registry's times are copy dates, not release dates: dependencies resolved as of "
                         "today" + (f" (detected on {', '.join(s.copy_dates[:8])})" if s.copy_dates else ""))
        if s.untimed:
            notes.append(f"no release times for {', '.join(s.untimed[:8])}: served unfiltered")
        if s.unyanked:
            notes.append(f"versions yanked since (the registry does not say when) served as installable for "
                         f"{', '.join(s.unyanked[:8])}")
        if s.nothing_older:
            notes.append(f"no version before the release for {', '.join(s.nothing_older[:8])}: served unfiltered")
        return notes

    def summary(self) -> dict[str, Any]:
        """A JSON-ready record of the view served (for the rebuild result)."""
        s = self.state
        return {"cutoff": self.cutoff.isoformat() if self.cutoff else None, "hidden": dict(sorted(s.hidden.items())),
                "copy_dates": self.registry_copy_dates or bool(s.copy_dates), "untimed": sorted(s.untimed),
                "unyanked": sorted(s.unyanked)}

    # --- serving -----------------------------------------------------------------------------------------
    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        path = req.path.split("?", 1)[0]
        base = f"http://{req.headers.get('Host', '127.0.0.1')}"
        try:
            if path.startswith("/files/"):
                index = int(path.split("/")[2])
                with self.state.lock:
                    url = self.state.urls[index] if 0 <= index < len(self.state.urls) else None
                answer = self.fetch(url) if url else Answer(404, b"unknown file\n", "text/plain")
                return _send(req, answer)
            name, _, rest = path.removeprefix("/").partition("/")
            route = self.routes.get(name)
            if route is None:
                return _send(req, Answer(404, b"not served by the timewarp proxy\n", "text/plain"))
            return _send(req, route.answer(self, rest, base))
        except (OssprovError, ValueError, IndexError) as exc:
            with contextlib.suppress(OSError):
                _send(req, Answer(502, f"timewarp: {exc}\n".encode(), "text/plain"))
        except OSError:
            return None  # the client went away

    def _may_fetch(self, url: str) -> bool:
        """Whether an artifact URL from a registry answer may be fetched: http(s), and not this machine's or a
        private network's address unless it is the registry's own (host and port). The proxy runs outside the sandbox, so
        a hijacked registry must not steer it at the services the sandbox's own network cannot reach."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False
        if parts.netloc in {urlsplit(route.upstream).netloc for route in self.routes.values()}:
            return True
        try:
            infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
        except OSError:
            return True  # unresolvable: the fetch fails on its own
        return not any(_local(str(info[4][0])) for info in infos)

LOCAL_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "127.0.0.0/8", "0.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10",
    "::1/128", "::/128", "fc00::/7", "fe80::/10"))
"""This machine, its private networks and link-local ones: where a build must not be steered. (Not every
special-purpose range: registries reached through a gateway may resolve to documentation addresses.)"""


def _local(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in net for net in LOCAL_NETWORKS)


def _send(req: BaseHTTPRequestHandler, answer: Answer) -> None:
    req.send_response(answer.status)
    req.send_header("Content-Type", answer.content_type)
    req.send_header("Content-Length", str(len(answer.body)))
    req.end_headers()
    req.wfile.write(answer.body)
