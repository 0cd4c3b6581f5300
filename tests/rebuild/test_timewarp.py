"""The timewarp proxy in front of the loopback registries: later versions hidden, copy dates detected, artifact
URLs served through the proxy only, and (slow) a sandboxed npm install resolving as of the release."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ossprov.ecosystems.cargo.timewarp import CargoRoute
from ossprov.ecosystems.npm.timewarp import NpmRoute, times_are_copies
from ossprov.ecosystems.pypi.timewarp import PypiRoute
from ossprov.fixtures.world import World
from ossprov.verify.rebuild import Outcome, RebuildOptions, rebuild
from ossprov.verify.timewarp import Timewarp
from tests.rebuild.conftest import located, release
from tests.rebuild.pyindex import make_wheel, publish_files

CUTOFF = datetime.datetime(2023, 6, 1, tzinfo=datetime.UTC)
RELEASED = "2023-06-01T00:00:00+00:00"


def _dep(world: World, version: str, published: str) -> Path:
    _, pkg = world.npm_project(f"acme/dep-{version}", "dep-pkg", version)
    tarball = world.npm_pack(pkg)
    world.publish_npm(tarball, published=published)
    return tarball


@pytest.fixture
def proxy(world: World) -> Iterator[tuple[Timewarp, httpx.Client]]:
    tw = Timewarp(CUTOFF, [NpmRoute(world.environment()["OSSPROV_NPM_REGISTRY"]),
                           PypiRoute(world.environment()["OSSPROV_PYPI_INDEX"])]).start()
    client = httpx.Client(transport=httpx.HTTPTransport(uds=str(tw.socket_path)), base_url="http://127.0.0.1:4873")
    yield tw, client
    client.close()
    tw.stop()


def test_npm_versions_after_the_release_are_hidden(world: World, proxy: tuple[Timewarp, httpx.Client]) -> None:
    old = _dep(world, "1.0.0", "2023-01-10T00:00:00Z")
    _dep(world, "1.1.0", "2023-05-10T00:00:00Z")
    _dep(world, "1.2.0", "2024-02-01T00:00:00Z")
    tw, client = proxy
    doc = client.get("/npm/dep-pkg").json()
    assert sorted(doc["versions"]) == ["1.0.0", "1.1.0"] and doc["dist-tags"] == {"latest": "1.1.0"}
    tarball = doc["versions"]["1.0.0"]["dist"]["tarball"]
    assert tarball.startswith("http://127.0.0.1:4873/files/")
    served = client.get(tarball.removeprefix("http://127.0.0.1:4873")).content
    assert hashlib.sha1(served).hexdigest() == doc["versions"]["1.0.0"]["dist"]["shasum"] == \
        hashlib.sha1(old.read_bytes()).hexdigest()
    assert tw.summary()["hidden"] == {"npm:dep-pkg": 1}
    assert "1 later version(s) of 1 package(s) hidden (npm:dep-pkg)" in tw.notes()[0]
    # One version's manifest, as corepack asks: by dist-tag and by version, as of the release.
    assert client.get("/npm/dep-pkg/latest").json()["version"] == "1.1.0"
    assert client.get("/npm/dep-pkg/1.0.0").json()["dist"]["tarball"].startswith("http://127.0.0.1:4873/files/")
    assert client.get("/npm/dep-pkg/1.2.0").status_code == 404


def test_copy_dates_are_detected_and_not_filtered(world: World, proxy: tuple[Timewarp, httpx.Client]) -> None:
    for version, copied in (("1.0.0", "2026-03-29"), ("1.0.1", "2024-12-13"), ("1.0.2", "2025-10-01"),
                            ("1.1.0", "2024-02-27"), ("1.2.0", "2024-11-22")):
        _dep(world, version, f"{copied}T08:00:00Z")
    tw, client = proxy
    assert len(client.get("/npm/dep-pkg").json()["versions"]) == 5
    assert tw.summary()["copy_dates"] is True and tw.summary()["hidden"] == {}
    assert any("copy dates, not release dates" in n for n in tw.notes())


def test_copy_date_heuristic() -> None:
    def day(n: int) -> datetime.datetime:
        return datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(days=n)

    real = {f"1.{i}.0": day(10 * i) for i in range(8)} | {"0.9.1": day(75)}  # one backport is normal
    assert not times_are_copies(real)
    assert times_are_copies({f"1.{i}.0": day((37 * i) % 11) for i in range(8)})
    assert not times_are_copies({"1.0.0": day(5), "1.1.0": day(1)})  # too few to judge


def test_pypi_files_after_the_release_are_hidden(world: World, proxy: tuple[Timewarp, httpx.Client],
                                                 tmp_path: Path) -> None:
    wheels = [(make_wheel(tmp_path, "back-end", v, {"back_end.py": b"V = 1\n"}), when)
              for v, when in (("1.0", "2023-01-01T00:00:00Z"), ("2.0", "2023-09-01T00:00:00Z"))]
    publish_files(world, wheels)
    tw, client = proxy
    page = client.get("/pypi/simple/back-end/").json()
    assert [f["filename"] for f in page["files"]] == ["back_end-1.0-py3-none-any.whl"]
    served = client.get(page["files"][0]["url"].removeprefix("http://127.0.0.1:4873")).content
    assert hashlib.sha256(served).hexdigest() == page["files"][0]["hashes"]["sha256"]
    assert tw.summary()["hidden"] == {"pypi:back-end": 1}


def test_the_proxy_fetches_only_what_the_registry_named(world: World, proxy: tuple[Timewarp, httpx.Client]) -> None:
    _, client = proxy
    assert client.get("/files/7/x.tgz").status_code == 404
    assert client.get(f"/{world.environment()['OSSPROV_NPM_REGISTRY']}dep-pkg").status_code == 404
    assert client.get("/npm/no-such-package").status_code == 404


@pytest.mark.slow
def test_sandboxed_npm_install_resolves_as_of_the_release(world: World, tmp_path: Path) -> None:
    """Without a lockfile, `npm install` in the sandbox gets dep-pkg 1.0.0 (the latest at the release), not
    1.1.0: the package records the version it was built against, so only the timewarp rebuild matches."""
    _dep(world, "1.0.0", "2023-01-10T00:00:00Z")
    _dep(world, "1.1.0", "2024-02-01T00:00:00Z")
    record = "node -e \"require('fs').writeFileSync('built-with.txt', require('dep-pkg/package.json').version)\""
    repo, pkg = world.npm_project("acme/app", "app-pkg", "1.0.0", {".gitignore": "built-with.txt\nnode_modules/\n"},
                                  extra={"dependencies": {"dep-pkg": "^1.0.0"}, "scripts": {"prepack": record},
                                         "files": ["index.js", "built-with.txt"]})
    sha = repo.commit("release")
    (pkg / "node_modules" / "dep-pkg").mkdir(parents=True)
    (pkg / "node_modules" / "dep-pkg" / "package.json").write_text(json.dumps({"version": "1.0.0"}))
    (pkg / "built-with.txt").write_text("1.0.0")
    published = world.npm_pack(pkg)
    where = located("pkg:npm/app-pkg@1.0.0", repo.bare, sha)
    result = rebuild(where, published, release("npm", "app-pkg", published_at=RELEASED),
                     RebuildOptions(workdir_parent=tmp_path))
    assert result.outcome in (Outcome.BIT_FOR_BIT, Outcome.STABILIZED), (result.reason, result.log_tail)
    assert result.timewarp and result.timewarp["hidden"] == {"npm:dep-pkg": 1}
    today = rebuild(where, published, release("npm", "app-pkg"), RebuildOptions(workdir_parent=tmp_path))
    assert today.outcome == Outcome.DIFFERS and [d.path for d in today.differences] == ["built-with.txt"]


def test_copy_dates_judged_on_the_rebuilt_package_before_any_install(
        world: World, proxy: tuple[Timewarp, httpx.Client]) -> None:
    """An install from a lockfile may fetch no packument: the package's own tells whether times are real."""
    for version, copied in (("1.0.0", "2026-03-29"), ("1.0.1", "2024-12-13"), ("1.0.2", "2025-10-01"),
                            ("1.1.0", "2024-02-27"), ("1.2.0", "2024-11-22")):
        _dep(world, version, f"{copied}T08:00:00Z")
    tw, _ = proxy
    tw.judge_times("dep-pkg")
    assert tw.summary()["copy_dates"] is True and tw.summary()["hidden"] == {}
    assert tw.notes() == ["the registry's times are copy dates, not release dates: dependencies resolved as of "
                          "today (detected on dep-pkg)"]


def test_a_hijacked_registry_cannot_steer_the_proxy_at_local_services(
        world: World, proxy: tuple[Timewarp, httpx.Client], tmp_path: Path) -> None:
    """The proxy runs outside the sandbox: a packument whose tarball URL names another service on this machine
    must not be fetched for the build (the sandbox's own network cannot reach it either)."""
    import socket
    import threading

    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(3)
    hits: list[bytes] = []

    def serve() -> None:
        try:
            conn, _ = server.accept()
            hits.append(conn.recv(100))
            conn.close()
        except OSError:
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    _dep(world, "1.0.0", "2023-01-10T00:00:00Z")
    doc = world.packuments["dep-pkg"]
    doc["versions"]["1.0.0"]["dist"]["tarball"] = f"http://127.0.0.1:{server.getsockname()[1]}/secret.tgz"
    (world.root / "registry" / "npm" / "dep-pkg").write_text(json.dumps(doc))
    _, client = proxy
    url = client.get("/npm/dep-pkg").json()["versions"]["1.0.0"]["dist"]["tarball"]
    assert client.get(url.removeprefix("http://127.0.0.1:4873")).status_code == 403
    server.close()
    thread.join()
    assert hits == []


def test_the_cargo_index_as_of_the_release_and_no_download_steered_at_local_services(world: World) -> None:
    """The sparse index route: a crate's later versions are hidden, one yanked since (the index does not say
    when) is installable again, and a hijacked index whose `dl` names another service on this machine gets no
    request sent there."""
    import socket

    assert world.server
    index = world.root / "registry" / "cargo" / "index"
    (index / "he" / "lp").mkdir(parents=True)
    (index / "he" / "lp" / "helper").write_text("".join(json.dumps(
        {"name": "helper", "vers": v, "cksum": "ab" * 32, "deps": [], "pubtime": t, "yanked": y}) + "\n"
        for v, t, y in (("0.1.0", "2023-01-10T00:00:00Z", False), ("0.1.1", "2023-02-10T00:00:00Z", True),
                        ("0.2.0", "2024-02-01T00:00:00Z", False))))
    elsewhere = socket.create_server(("127.0.0.1", 0))
    elsewhere.settimeout(0.5)
    (index / "config.json").write_text(json.dumps({"dl": f"http://127.0.0.1:{elsewhere.getsockname()[1]}/{{crate}}"}))
    with Timewarp(CUTOFF, [CargoRoute(f"{world.server.url}/cargo/index/")]) as tw, httpx.Client(
            transport=httpx.HTTPTransport(uds=str(tw.socket_path)), base_url="http://127.0.0.1:4873") as client:
        assert client.get("/cargo/config.json").json() == {
            "dl": "http://127.0.0.1:4873/cargo/dl/{crate}/{version}/{sha256-checksum}"}
        served = [json.loads(line) for line in client.get("/cargo/he/lp/helper").text.splitlines()]
        assert [(r["vers"], r["yanked"]) for r in served] == [("0.1.0", False), ("0.1.1", False)]
        assert tw.summary()["hidden"] == {"cargo:helper": 1} and tw.summary()["unyanked"] == ["cargo:helper"]
        assert any("yanked since" in n and "cargo:helper" in n for n in tw.notes())
        assert client.get(f"/cargo/dl/helper/0.1.0/{'ab' * 32}").status_code == 403
        assert client.get("/cargo/no/ne/nonesuch").status_code == 404
    with pytest.raises(TimeoutError):
        elsewhere.accept()
    elsewhere.close()
