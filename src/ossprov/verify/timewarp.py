"""Timewarp: the registries as they were when the release was published, for installs without a lockfile.

A build that resolves its dependencies today gets today's versions (a newer setuptools writes another
PKG-INFO, a newer hatch-vcs another version file); the original build got the versions of its day. The proxy
answers from the configured registries (npm's registry, pip's index) but hides every version published after
the cutoff, so a resolver picks what it would have picked then (OSS Rebuild's "timewarp").

It is served to the sandbox on a Unix socket (see `timewarp_relay`), and it is also the install step's way to the
registry: artifact URLs in its answers point back at the proxy, which fetches only URLs the registry itself
named, so the sandbox cannot use it to reach anything else. Digests pass through unchanged, and the installers
check them.

Registry times are not always real: some mirrors answer npm's `time` with the date each version was copied.
Such times are told apart by their order (versions published in semver order get increasing times, copies
do not); the versions are then not filtered, and `notes()` says so.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import itertools
import json
import re
import shutil
import socket
import socketserver
import tempfile
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

from ossprov import http
from ossprov.ecosystems.cargo.registry import download_url
from ossprov.ecosystems.pypi.registry import SIMPLE_JSON, file_entries
from ossprov.errors import OssprovError
from ossprov.http import MAX_DOWNLOAD_BYTES
from ossprov.verify import timewarp_relay

COPY_DATE_INVERSIONS = 0.25
"""Share of consecutive versions (in version order) whose times go backwards above which times are copies."""
MIN_VERSIONS_TO_JUDGE = 4
ROUTES = ("npm", "pypi", "cargo")
"""The registry protocols the proxy speaks, each under its own path (`/npm/`, `/pypi/simple/`, `/cargo/`: a
sparse index)."""
_SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?")


def parse_time(text: object) -> datetime.datetime | None:
    """An ISO 8601 registry time as an aware datetime (None when absent or unreadable)."""
    if not isinstance(text, str):
        return None
    try:
        when = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=datetime.UTC)


def semver_key(version: str) -> tuple[int, int, int, int, str] | None:
    """Sort key of a semver version (a release sorts after its pre-releases), None when not semver."""
    m = _SEMVER.match(version)
    if not m:
        return None
    return int(m[1]), int(m[2]), int(m[3]), 0 if m[4] else 1, m[4] or ""


def times_are_copies(times: dict[str, datetime.datetime]) -> bool:
    """True when version times do not follow version order the way real publication times do."""
    ordered = sorted((k, when) for v, when in times.items() if (k := semver_key(v)) is not None)
    if len(ordered) < MIN_VERSIONS_TO_JUDGE:
        return False
    backwards = sum(1 for (_, a), (_, b) in itertools.pairwise(ordered) if b < a)
    return backwards / (len(ordered) - 1) > COPY_DATE_INVERSIONS


@dataclass
class _State:
    """What the proxy did, for the rebuild's notes."""

    hidden: dict[str, int] = field(default_factory=dict)
    """package → versions (npm) or files (PyPI) hidden because they are newer than the cutoff."""
    copy_dates: list[str] = field(default_factory=list)
    """npm packages whose `time` entries are copy dates (served unfiltered)."""
    untimed: list[str] = field(default_factory=list)
    """Packages served unfiltered because the registry gave no times."""
    nothing_older: list[str] = field(default_factory=list)
    """Packages with no version before the cutoff (served unfiltered so the build can still resolve)."""
    urls: list[str] = field(default_factory=list)
    """Artifact URLs named by the registry's answers; the proxy fetches only these (by index)."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def file_url(self, url: str) -> int:
        with self.lock:
            self.urls.append(url)
            return len(self.urls) - 1


class Timewarp:
    """The proxy: `start()`, hand `socket_path` to the sandbox, `stop()`; `notes()` says what it did."""

    def __init__(self, cutoff: datetime.datetime | None, *, npm_registry: str | None = None,
                 pypi_index: str | None = None, cargo_index: str | None = None, copy_dates: bool = False) -> None:
        self.cutoff = cutoff
        self.npm_registry = npm_registry.rstrip("/") + "/" if npm_registry else None
        self.pypi_index = pypi_index.rstrip("/") + "/" if pypi_index else None
        self.cargo_index = cargo_index.rstrip("/") + "/" if cargo_index else None
        self.state = _State()
        self.registry_copy_dates = copy_dates
        """Set when the registry's times are known to be copies: nothing is filtered."""
        self._dir: Path | None = None
        self._server: socketserver.ThreadingUnixStreamServer | None = None

    @classmethod
    def serving(cls, route: str, upstream: str, cutoff: datetime.datetime | None) -> Timewarp:
        """The proxy for one registry: `route` is the protocol it speaks for it (ROUTES), as a plug-in's
        `timewarp_upstream` names it."""
        if route not in ROUTES:
            raise ValueError(f"the timewarp proxy has no route {route!r} (it has {', '.join(ROUTES)})")
        return cls(cutoff, npm_registry=upstream if route == "npm" else None,
                   pypi_index=upstream if route == "pypi" else None, cargo_index=upstream if route == "cargo" else None)

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
        """Tell from the rebuilt package's own packument whether the npm registry's times are copy dates
        (before any install asks; an install from a lockfile may never fetch a packument)."""
        if self.npm_registry is None or self.cutoff is None:
            return
        with contextlib.suppress(OssprovError):
            doc = self._fetch_packument(quote(name, safe="@"))
            if doc is not None and times_are_copies(_version_times(doc)):
                self.registry_copy_dates = True
                self.state.copy_dates.append(name)

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
            notes.append("the npm registry's `time` entries are copy dates, not release dates: npm dependencies "
                         "resolved as of today" + (f" (detected on {', '.join(s.copy_dates[:8])})" if s.copy_dates
                                                   else ""))
        if s.untimed:
            notes.append(f"no release times for {', '.join(s.untimed[:8])}: served unfiltered")
        if s.nothing_older:
            notes.append(f"no version before the release for {', '.join(s.nothing_older[:8])}: served unfiltered")
        return notes

    def summary(self) -> dict[str, Any]:
        """A JSON-ready record of the view served (for the rebuild result)."""
        s = self.state
        return {"cutoff": self.cutoff.isoformat() if self.cutoff else None, "hidden": dict(sorted(s.hidden.items())),
                "copy_dates": self.registry_copy_dates or bool(s.copy_dates), "untimed": sorted(s.untimed)}

    # --- serving -----------------------------------------------------------------------------------------
    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        path = req.path.split("?", 1)[0]
        base = f"http://{req.headers.get('Host', '127.0.0.1')}"
        try:
            if path.startswith("/files/"):
                index = int(path.split("/")[2])
                with self.state.lock:
                    url = self.state.urls[index] if 0 <= index < len(self.state.urls) else None
                if url is None:
                    return _send(req, 404, b"unknown file\n", "text/plain")
                if not self._may_fetch(url):
                    return _send(req, 403, b"timewarp: the registry named a local address\n", "text/plain")
                response = http.client().request("GET", url, max_bytes=MAX_DOWNLOAD_BYTES)
                return _send(req, response.status_code, response.content, "application/octet-stream")
            if path.startswith("/pypi/simple/") and self.pypi_index:
                project = path.removeprefix("/pypi/simple/").strip("/")
                return _send(req, 200, json.dumps(self._pypi_page(project, base)).encode(), SIMPLE_JSON)
            if path.startswith("/npm/") and self.npm_registry:
                rest = path.removeprefix("/npm/")
                if "/-/" in rest:  # a tarball path (lockfile `resolved` URLs rewritten to this registry)
                    response = http.client().request("GET", self.npm_registry + rest, max_bytes=MAX_DOWNLOAD_BYTES)
                    return _send(req, response.status_code, response.content, "application/octet-stream")
                doc = self._npm_document(rest, base)
                if doc is None:
                    return _send(req, 404, b'{"error":"Not found"}', "application/json")
                return _send(req, 200, json.dumps(doc).encode(), "application/json")
            if path.startswith("/cargo/") and self.cargo_index:
                return self._cargo(req, path.removeprefix("/cargo/"), base)
            return _send(req, 404, b"not served by the timewarp proxy\n", "text/plain")
        except (OssprovError, ValueError, IndexError) as exc:
            with contextlib.suppress(OSError):
                _send(req, 502, f"timewarp: {exc}\n".encode(), "text/plain")
        except OSError:
            return None  # the client went away

    def _may_fetch(self, url: str) -> bool:
        """Whether an artifact URL from a registry answer may be fetched: http(s), and not this machine's or a
        private network's address unless it is the registry's own (host and port). The proxy runs outside the sandbox, so
        a hijacked registry must not steer it at the services the sandbox's own network cannot reach."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False
        if parts.netloc in {urlsplit(r).netloc for r in (self.npm_registry, self.pypi_index, self.cargo_index) if r}:
            return True
        try:
            infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
        except OSError:
            return True  # unresolvable: the fetch fails on its own
        return not any(_local(str(info[4][0])) for info in infos)

    def _pypi_page(self, project: str, base: str) -> dict[str, Any]:
        assert self.pypi_index
        entries = file_entries(unquote(project))
        kept = []
        times = [parse_time(e.get("upload-time")) for e in entries]
        if self.cutoff is not None and entries and all(t is None for t in times):
            self.state.untimed.append(project)
        for entry, when in zip(entries, times, strict=True):
            if self.cutoff is not None and when is not None and when > self.cutoff:
                continue
            kept.append(entry)
        if entries and not kept:
            self.state.nothing_older.append(project)
            kept = entries
        if hidden := len(entries) - len(kept):
            self.state.hidden[f"pypi:{project}"] = hidden
        files = []
        for e in kept:
            url = urljoin(self.pypi_index + project + "/", str(e.get("url", "")))
            filename = str(e.get("filename", ""))
            entry = {k: v for k, v in e.items() if k not in ("url", "core-metadata", "data-dist-info-metadata",
                                                              "dist-info-metadata")}
            entry["url"] = f"{base}/files/{self.state.file_url(url)}/{quote(filename)}"
            files.append(entry)
        return {"meta": {"api-version": "1.1"}, "name": project, "files": files}

    def _cargo(self, req: BaseHTTPRequestHandler, rest: str, base: str) -> None:
        """The sparse index as of the cutoff: `config.json` sending downloads back here, each crate's entry
        without the versions published later (by their `pubtime`), and the downloads themselves (fetched
        from where the index's own `dl` template says)."""
        assert self.cargo_index
        if rest == "config.json":
            dl = f"{base}/cargo/dl/{{crate}}/{{version}}/{{sha256-checksum}}"
            return _send(req, 200, json.dumps({"dl": dl}).encode(), "application/json")
        if rest.startswith("dl/"):
            crate, version, checksum = (unquote(p) for p in rest.split("/")[1:4])
            config = http.client().get_json(self.cargo_index + "config.json")
            template = config.get("dl") if isinstance(config, dict) else None
            if not isinstance(template, str):
                return _send(req, 502, b"timewarp: the index's config.json names no download location\n", "text/plain")
            url = urljoin(self.cargo_index, download_url(template, crate, version, checksum))
            if not self._may_fetch(url):
                return _send(req, 403, b"timewarp: the registry named a local address\n", "text/plain")
            response = http.client().request("GET", url, max_bytes=MAX_DOWNLOAD_BYTES)
            return _send(req, response.status_code, response.content, "application/octet-stream")
        response = http.client().request("GET", self.cargo_index + rest, max_bytes=MAX_DOWNLOAD_BYTES)
        if response.status_code != 200:
            return _send(req, 404, b"not found\n", "text/plain")
        lines = [line for line in response.text.splitlines() if line.strip()]
        return _send(req, 200, "".join(f"{line}\n" for line in self._cargo_entry(rest, lines)).encode(), "text/plain")

    def _cargo_entry(self, rest: str, lines: list[str]) -> list[str]:
        """A crate's index lines without the versions published after the cutoff."""
        label = f"cargo:{rest.rsplit('/', 1)[-1]}"
        if self.cutoff is None:
            return lines
        times = []
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            times.append(parse_time(record.get("pubtime")) if isinstance(record, dict) else None)
        if all(when is None for when in times):
            self.state.untimed.append(label)
            return lines
        kept = [line for line, when in zip(lines, times, strict=True) if when is None or when <= self.cutoff]
        if not kept:
            self.state.nothing_older.append(label)
            return lines
        if len(kept) < len(lines):
            self.state.hidden[label] = len(lines) - len(kept)
        return kept

    def _npm_document(self, rest: str, base: str) -> dict[str, Any] | None:
        """A packument (`name`) or one version's manifest (`name/1.2.3`, `name/latest`: what corepack asks),
        both as of the cutoff."""
        parts = unquote(rest).split("/")
        size = 2 if parts[0].startswith("@") else 1
        name, tail = "/".join(parts[:size]), parts[size:]
        doc = self._packument(quote(name, safe="@"), base)
        if doc is None or not tail:
            return doc
        version = doc["dist-tags"].get(tail[0], tail[0]) if len(tail) == 1 else None
        manifest = doc["versions"].get(version)
        return manifest if isinstance(manifest, dict) else None

    def _fetch_packument(self, name: str) -> dict[str, Any] | None:
        """The full packument (with `time`) of `name` as it appears in a registry path, or None."""
        assert self.npm_registry
        doc = http.client().get_json(self.npm_registry + name, allow_404=True,
                                     headers={"Accept": "application/json"})
        if not isinstance(doc, dict) or not isinstance(doc.get("versions"), dict):
            return None
        return doc

    def _packument(self, name: str, base: str) -> dict[str, Any] | None:
        doc = self._fetch_packument(name)
        if doc is None:
            return None
        label = f"npm:{unquote(name)}"
        versions: dict[str, Any] = doc["versions"]
        times = _version_times(doc)
        if self.cutoff is not None:
            if not times:
                self.state.untimed.append(label)
            elif self.registry_copy_dates or times_are_copies(times):
                if not self.registry_copy_dates:  # one registry copies all its dates: judged once
                    self.state.copy_dates.append(unquote(name))
                    self.registry_copy_dates = True
            else:
                kept = {v: m for v, m in versions.items() if v not in times or times[v] <= self.cutoff}
                if not kept:
                    self.state.nothing_older.append(label)
                elif len(kept) < len(versions):
                    self.state.hidden[label] = len(versions) - len(kept)
                    versions = kept
        for meta in versions.values():
            dist = meta.get("dist") if isinstance(meta, dict) else None
            if isinstance(dist, dict) and isinstance(dist.get("tarball"), str):
                tarball = urljoin(self.npm_registry or "", dist["tarball"])
                filename = tarball.rsplit("/", 1)[-1]
                meta["dist"] = {**dist, "tarball": f"{base}/files/{self.state.file_url(tarball)}/{filename}"}
        tags = {t: v for t, v in (doc.get("dist-tags") or {}).items() if v in versions}
        if "latest" not in tags:
            releases = [v for v in versions if (k := semver_key(v)) is not None and k[3] == 1]
            if releases:
                tags["latest"] = max(releases, key=lambda v: semver_key(v) or (0, 0, 0, 0, ""))
        return {**doc, "versions": versions, "dist-tags": tags}


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


def _version_times(doc: dict[str, Any]) -> dict[str, datetime.datetime]:
    """A packument's publication time of each version it lists (versions without one left out)."""
    raw: dict[str, Any] = doc["time"] if isinstance(doc.get("time"), dict) else {}
    return {v: t for v in doc["versions"] if (t := parse_time(raw.get(v))) is not None}


def _send(req: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str) -> None:
    req.send_response(status)
    req.send_header("Content-Type", content_type)
    req.send_header("Content-Length", str(len(body)))
    req.end_headers()
    req.wfile.write(body)
