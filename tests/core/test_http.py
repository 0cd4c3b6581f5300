"""The HTTP client: retries, truncation, redaction, local file URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from ossprov.errors import NotFoundError, RegistryError
from ossprov.fixtures.server import RegistryServer
from ossprov.http import HttpClient
from ossprov.redaction import redact_url


@pytest.fixture
def server(tmp_path: Path):
    (tmp_path / "doc.json").write_text('{"ok": true}')
    srv = RegistryServer(tmp_path).start()
    yield srv
    srv.stop()


def test_retries_429_and_500_then_succeeds(server: RegistryServer) -> None:
    server.faults["/doc.json"] += [429, 503]
    assert HttpClient(retries=3).get_json(f"{server.url}/doc.json") == {"ok": True}
    assert [p for _, p in server.requests].count("/doc.json") == 3


def test_gives_up_after_the_retries(server: RegistryServer) -> None:
    server.faults["/doc.json"] += [500] * 3
    with pytest.raises(RegistryError, match="after 3 attempts"):
        HttpClient(retries=2).get_json(f"{server.url}/doc.json")


def test_truncated_and_missing(server: RegistryServer) -> None:
    server.faults["/doc.json"] += ["truncate"] * 2
    with pytest.raises(RegistryError, match=r"cut short|cannot reach"):
        HttpClient(retries=1).get_json(f"{server.url}/doc.json")
    with pytest.raises(NotFoundError):
        HttpClient(retries=0).get_json(f"{server.url}/absent.json")


def test_hanging_server_times_out(server: RegistryServer) -> None:
    server.faults["/doc.json"] += ["hang"]
    with pytest.raises(RegistryError):
        HttpClient(timeout=0.5, retries=0).get_json(f"{server.url}/doc.json")


def test_redact_masks_credentials_and_secret_query_values() -> None:
    assert redact_url("https://user:s3cret@host.example:8443/p/x?token=abc") == "https://***@host.example:8443/p/x?token=***"


def test_file_urls_are_copied_with_digests(tmp_path: Path) -> None:
    source = tmp_path / "a.jar"
    source.write_bytes(b"abc")
    digests = HttpClient().download(source.as_uri(), tmp_path / "out" / "a.jar")
    assert digests["sha256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    with pytest.raises(NotFoundError):
        HttpClient().download((tmp_path / "none.jar").as_uri(), tmp_path / "out" / "b.jar")
