"""The mirror server over a directly filled store: what it answers, what it refuses, and under concurrency."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ossprov.mirror.pypi_api import HTML_TYPE, JSON_TYPE, negotiate
from ossprov.mirror.server import MirrorServer
from ossprov.mirror.store import MirrorStore
from tests.mirror.mirrorhelpers import put

TGZ = b"\x1f\x8b fake tarball bytes " * 100
WHEEL = b"PK fake wheel bytes " * 50


def raw_get(server: MirrorServer, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    """GET exactly `path` (no client-side normalisation of dot segments or escapes)."""
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


@pytest.fixture
def filled(store: MirrorStore, tmp_path: Path) -> MirrorStore:
    put(store, tmp_path, "npm", "left", "1.0.0", "left-1.0.0.tgz", TGZ, {"name": "left", "version": "1.0.0",
                                                                          "dependencies": {}})
    put(store, tmp_path, "npm", "left", "1.1.0-beta.1", "left-1.1.0-beta.1.tgz", TGZ + b"2",
        {"name": "left", "version": "1.1.0-beta.1"})
    put(store, tmp_path, "npm", "@acme/util", "2.0.0", "util-2.0.0.tgz", TGZ + b"3",
        {"name": "@acme/util", "version": "2.0.0"})
    put(store, tmp_path, "pypi", "Snake_Case", "1.0", "snake_case-1.0-py3-none-any.whl", WHEEL)
    return store


def test_packument_points_back_at_the_mirror_with_digests(filled: MirrorStore, served: MirrorServer) -> None:
    status, headers, body = raw_get(served, "/left")
    assert status == 200 and headers["Content-Type"] == "application/json"
    doc = json.loads(body)
    assert doc["dist-tags"]["latest"] == "1.0.0"
    dist = doc["versions"]["1.0.0"]["dist"]
    assert dist["tarball"] == f"{served.url}/left/-/left-1.0.0.tgz"
    assert dist["integrity"] == "sha512-" + base64.b64encode(hashlib.sha512(TGZ).digest()).decode()
    assert dist["shasum"] == hashlib.sha1(TGZ).hexdigest()
    status, _, data = raw_get(served, "/left/-/left-1.0.0.tgz")
    assert status == 200 and data == TGZ


@pytest.mark.parametrize("path", ["/@acme%2futil", "/@acme%2Futil", "/@acme/util"])
def test_scoped_packument_in_every_spelling(filled: MirrorStore, served: MirrorServer, path: str) -> None:
    status, _, body = raw_get(served, path)
    doc = json.loads(body)
    assert status == 200 and doc["name"] == "@acme/util"
    tarball = doc["versions"]["2.0.0"]["dist"]["tarball"]
    assert tarball == f"{served.url}/@acme/util/-/util-2.0.0.tgz"
    assert raw_get(served, tarball.removeprefix(served.url))[2] == TGZ + b"3"


def test_simple_api_html_and_json_by_accept(filled: MirrorStore, served: MirrorServer) -> None:
    sha = hashlib.sha256(WHEEL).hexdigest()
    status, headers, body = raw_get(served, "/simple/snake-case/", {"Accept": "text/html"})
    assert status == 200 and headers["Content-Type"] == "text/html"
    assert f'/files/pypi/snake-case/snake_case-1.0-py3-none-any.whl#sha256={sha}"' in body.decode()
    pip_accept = f"{JSON_TYPE}, {HTML_TYPE}; q=0.1, text/html; q=0.01"
    status, headers, body = raw_get(served, "/simple/Snake.Case/", {"Accept": pip_accept})
    doc = json.loads(body)
    assert status == 200 and headers["Content-Type"] == JSON_TYPE and doc["name"] == "snake-case"
    assert doc["files"][0]["hashes"] == {"sha256": sha}
    assert raw_get(served, doc["files"][0]["url"].removeprefix(served.url))[2] == WHEEL
    assert b"snake-case" in raw_get(served, "/simple/")[2]


def test_negotiation_prefers_the_clients_weights() -> None:
    assert negotiate(None) == "text/html"
    assert negotiate(f"{HTML_TYPE}, {JSON_TYPE};q=0.5") == HTML_TYPE
    assert negotiate(f"{JSON_TYPE};q=0, text/html;q=0.1") == "text/html"
    assert negotiate("application/xml") == "text/html"


@pytest.mark.parametrize("path", ["/nothere", "/@acme%2fnothere", "/simple/nothere/", "/left/-/left-9.9.9.tgz",
                                  "/files/pypi/snake-case/snake_case-2.0.tar.gz", "/-/whoami", "/a/b/c/d"])
def test_anything_not_stored_is_a_404_with_a_reason(filled: MirrorStore, served: MirrorServer, path: str) -> None:
    status, headers, body = raw_get(served, path)
    assert status == 404 and headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"]


@pytest.mark.parametrize("path", [
    "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/left/-/..%2f..%2f..%2fetc%2fpasswd",
    "/simple/..%2f..%2fetc/", "/files/pypi/snake-case/..%2f..%2f..%2fblobs", "/left/-/%2e%2e", "/%00", "/%ff%fe",
    "/.left", "/@acme%2f..%2f..", "/simple/-bad-/", "/x" + "y" * 300, "/left\\..\\..\\etc",
])
def test_traversal_and_malformed_names_never_reach_a_file(filled: MirrorStore, served: MirrorServer,
                                                          path: str) -> None:
    status, _, body = raw_get(served, path)
    assert status in (400, 404)
    assert "error" in json.loads(body) and b"root:" not in body


def test_read_only(filled: MirrorStore, served: MirrorServer) -> None:
    host, port = served.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=5)
    conn.request("PUT", "/left", body=b"{}")
    resp = conn.getresponse()
    assert resp.status == 405 and "read-only" in json.loads(resp.read())["error"]
    conn.close()


def test_concurrent_requests_are_each_answered_right(filled: MirrorStore, served: MirrorServer) -> None:
    paths = {"/left/-/left-1.0.0.tgz": TGZ, "/@acme/util/-/util-2.0.0.tgz": TGZ + b"3",
             "/files/pypi/snake-case/snake_case-1.0-py3-none-any.whl": WHEEL}
    jobs = [p for p in paths for _ in range(30)] + ["/left", "/simple/snake-case/"] * 30
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda p: (p, raw_get(served, p)), jobs))
    for path, (status, _, body) in answers:
        assert status == 200, path
        if path in paths:
            assert body == paths[path]


def test_index_lookup_only_and_store_refuses_bad_names(store: MirrorStore, tmp_path: Path) -> None:
    put(store, tmp_path, "npm", "left", "1.0.0", "left-1.0.0.tgz", TGZ)
    assert store.find_file("npm", "left", "../left-1.0.0.tgz") is None
    assert store.names("npm") == ["left"]
    from ossprov.errors import InputError

    for bad in ("../x", "", ".hidden", "a/b/c"):
        with pytest.raises(InputError):
            store.index_path("npm", bad)
    with pytest.raises(InputError):
        store.blob_path("../../etc/passwd")


def test_concurrent_adds_to_one_package_lose_no_version(store: MirrorStore, tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: put(store, tmp_path, "npm", "left", f"1.0.{i}", f"left-1.0.{i}.tgz",
                                    TGZ + bytes([i])), range(16)))
    assert sorted(MirrorStore(store.root).load("npm", "left")["versions"]) == sorted(f"1.0.{i}" for i in range(16))


def test_malformed_host_header_is_not_echoed_into_urls(filled: MirrorStore, served: MirrorServer) -> None:
    _, _, body = raw_get(served, "/left", {"Host": "evil.example/<script>"})
    assert json.loads(body)["versions"]["1.0.0"]["dist"]["tarball"].startswith(served.url + "/left/-/")


def test_a_blob_changed_on_disk_is_not_served(filled: MirrorStore, served: MirrorServer) -> None:
    sha = hashlib.sha256(TGZ).hexdigest()
    filled.blob_path(sha).write_bytes(TGZ + b"appended")
    status, _, body = raw_get(served, "/left/-/left-1.0.0.tgz")
    assert status == 500 and "no longer has the size" in json.loads(body)["error"]
