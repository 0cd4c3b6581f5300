"""The registry-metadata cache: fresh answers without a request, conditional requests after the window, nothing
stored for requests that carry credentials, huge documents refused by their structure."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ossprov.errors import OfflineError, RegistryError
from ossprov.http import HttpClient, parse_json


class Validating:
    """A server that sends an ETag and answers 304 to a matching If-None-Match."""

    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []
        self.body = b'{"name": "x", "versions": {}}'
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return None

            def do_GET(self) -> None:
                outer.seen.append(dict(self.headers))
                if self.headers.get("If-None-Match") == '"v1"':
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("ETag", '"v1"')
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/doc"


@pytest.fixture
def server() -> Iterator[Validating]:
    srv = Validating()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def test_fresh_answer_makes_no_request(server: Validating, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSSPROV_METADATA_MAX_AGE", "3600")
    assert HttpClient().get_json(server.url) == {"name": "x", "versions": {}}
    assert HttpClient().get_json(server.url) == {"name": "x", "versions": {}}
    assert len(server.seen) == 1


def test_stale_answer_is_revalidated_with_its_etag(server: Validating, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSSPROV_METADATA_MAX_AGE", "0")
    HttpClient().get_json(server.url)
    server.body = b'{"changed": true}'  # a 304 means the cached copy is served, not this
    assert HttpClient().get_json(server.url) == {"name": "x", "versions": {}}
    assert [h.get("If-None-Match") for h in server.seen] == [None, '"v1"']


def test_requests_with_credentials_are_never_cached(server: Validating, monkeypatch: pytest.MonkeyPatch,
                                                    isolated: Path) -> None:
    monkeypatch.setenv("OSSPROV_METADATA_MAX_AGE", "3600")
    HttpClient().get(server.url, headers={"Authorization": "Bearer s3cret-token"})
    HttpClient().get(server.url.replace("http://", "http://user:s3cret-token@"))
    assert [h.get("Authorization", "")[:5] for h in server.seen] == ["Beare", "Basic"]
    assert [p for p in (isolated / "cache").rglob("*") if p.is_file()] == []


def test_offline_without_a_cached_copy_is_an_offline_error(server: Validating,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSSPROV_OFFLINE", "1")
    with pytest.raises(OfflineError, match="not in the cache"):
        HttpClient().get_json(server.url)
    assert server.seen == []


def test_json_structure_is_bounded_before_parsing() -> None:
    with pytest.raises(RegistryError, match="more JSON values"):
        parse_json(b"[" + b"{}," * 3_000_000 + b"{}]", "http://127.0.0.1/x")
    assert parse_json(b'{"a": [1, 2, {"b": "{[,"}]}', "http://127.0.0.1/x") == {"a": [1, 2, {"b": "{[,"}]}
