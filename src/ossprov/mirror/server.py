"""`mirror serve`: a read-only HTTP server answering as the npm registry and a PyPI simple index, for the store.

Routes: `/{name}` and `/@scope%2fname` (packuments), `/{name}/-/{file}` (tarballs), `/simple/`,
`/simple/{project}/` (PEP 503 / PEP 691 by Accept), `/files/pypi/{project}/{file}`. Anything the store does not
hold is a 404 with a JSON reason, never a request upstream. Request paths are only ever used to name a package
and a file; the bytes sent come from the blob whose sha256 the package's index gives.
"""

from __future__ import annotations

import json
import os
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from ossprov.errors import InputError
from ossprov.mirror import npm_api, pypi_api
from ossprov.mirror.store import MirrorStore

HOST_HEADER = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?")
MAX_PATH = 2048


class Reply(Exception):
    """An HTTP error answer: status and the reason sent as {"error": ...}."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def _segments(raw: str) -> list[str]:
    """The request path's decoded segments; malformed encodings and dot segments are refused."""
    if len(raw) > MAX_PATH or not raw.startswith("/"):
        raise Reply(400, "malformed request path")
    parts = raw[1:].split("/")
    if parts and parts[-1] == "":
        parts.pop()
    try:
        decoded = [unquote(p, errors="strict") for p in parts]
    except UnicodeDecodeError:
        raise Reply(400, "malformed percent-encoding in the request path") from None
    for part in decoded:
        if part in ("", ".", "..") or "\\" in part or "\x00" in part or part.startswith("/"):
            raise Reply(400, "malformed request path: empty, dot or control segments are refused")
    return decoded


class MirrorHandler(BaseHTTPRequestHandler):
    """Routes one request against the store given to the server."""

    timeout = 30
    """Seconds an idle keep-alive connection may hold its thread."""

    server: MirrorServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    """Headers and body are separate writes: with Nagle's algorithm each keep-alive answer waits ~40 ms."""

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def _refuse_method(self) -> None:
        self._json(405, {"error": "the mirror is read-only: GET and HEAD only"}, True)

    do_POST = do_PUT = do_DELETE = do_PATCH = _refuse_method

    def _base(self) -> str:
        """Where clients reach the mirror: --public-url when given (behind a proxy, the Host header is the
        client's to choose), else the Host the client used if it is well formed."""
        if self.server.public_url:
            return self.server.public_url
        host = self.headers.get("Host", "")
        if not HOST_HEADER.fullmatch(host):
            address, port = self.server.server_address[:2]
            host = f"{address!s}:{port}"
        return f"http://{host}"

    def _answer(self, body: bool) -> None:
        try:
            self._route(_segments(urlsplit(self.path).path), body)
        except Reply as reply:
            self._json(reply.status, {"error": str(reply)}, body)
        except InputError as exc:
            self._json(400, {"error": str(exc)}, body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _route(self, parts: list[str], body: bool) -> None:
        store = self.server.store
        if parts[:1] == ["simple"]:
            if len(parts) > 2:
                raise Reply(404, "no such page in the simple index")
            kind = pypi_api.negotiate(self.headers.get("Accept"))
            if len(parts) == 1:
                return self._send(200, kind, pypi_api.root_page(store.names("pypi"), kind), body)
            doc = store.load("pypi", parts[1])
            if doc is None:
                raise Reply(404, f"PyPI project {parts[1]!r} is not in the verified mirror")
            return self._send(200, kind, pypi_api.project_page(doc, self._base(), kind), body)
        if parts[:2] == ["files", "pypi"] and len(parts) == 4:
            return self._file("pypi", parts[2], parts[3], body)
        if "-" in parts:
            cut = parts.index("-")
            if cut in (1, 2) and len(parts) == cut + 2:
                return self._file("npm", "/".join(parts[:cut]), parts[cut + 1], body)
            raise Reply(404, "not a tarball path of the verified mirror")
        if len(parts) in (1, 2) and (len(parts) == 1 or parts[0].startswith("@")):
            name = "/".join(parts)
            doc = store.load("npm", name)
            if doc is None:
                raise Reply(404, f"npm package {name!r} is not in the verified mirror")
            data = json.dumps(npm_api.packument(doc, self._base())).encode()
            return self._send(200, "application/json", data, body)
        raise Reply(404, "not a path the verified mirror serves")

    def _file(self, ecosystem: str, name: str, filename: str, body: bool) -> None:
        found = self.server.store.find_file(ecosystem, name, filename)
        if found is None:
            raise Reply(404, f"{filename!r} of {ecosystem} package {name!r} is not in the verified mirror")
        entry, blob = found
        with blob.open("rb") as handle:
            if os.fstat(handle.fileno()).st_size != entry["size"]:
                raise Reply(500, f"the stored blob of {filename!r} no longer has the size its index records")
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(entry["size"]))
            self.send_header("ETag", f'"{entry["sha256"]}"')
            self.end_headers()
            if body:
                self.wfile.flush()
                self.connection.sendfile(handle)

    def _json(self, status: int, doc: dict[str, Any], body: bool) -> None:
        self._send(status, "application/json", json.dumps(doc).encode(), body)

    def _send(self, status: int, content_type: str, data: bytes, body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if content_type.startswith(("application/vnd.pypi", "text/html")):
            self.send_header("Vary", "Accept")
        self.end_headers()
        if body:
            self.wfile.write(data)


class MirrorServer(ThreadingHTTPServer):
    """A threaded server (one thread per connection) over one store."""

    daemon_threads = True

    def __init__(self, store: MirrorStore, host: str = "127.0.0.1", port: int = 0, quiet: bool = False,
                 public_url: str | None = None) -> None:
        self.store = store
        self.quiet = quiet
        self.public_url = public_url.rstrip("/") if public_url else None
        super().__init__((host, port), MirrorHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"
