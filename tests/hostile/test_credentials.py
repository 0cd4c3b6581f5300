"""Credentials the user configured (an index URL with a token) or a registry embedded (user info in a
packument's tarball or repository URL, a token in a query string) reach no output, cache name or database row."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from ossprov.fixtures.world import World
from tests.conftest import only_result, results
from tests.hostile.conftest import leaks, ossprov

TOKEN = "pypi-SECRETTOKEN0123456789abcdef"
PACKUMENT_SECRET = "npmpassw0rdSECRET42"
QUERY_SECRET = "qs0123456789SECRETabcdefghijkl"


def _relative_links(world: World, project: str) -> None:
    """Rewrite the project's simple page the way devpi and pypiserver write it: HTML only, relative file links."""
    page = world.root / "registry" / "pypi" / "simple" / project
    files = json.loads((page / "index.json").read_text())["files"]
    (page / "index.json").unlink()
    anchors = "".join(f'<a href="../../files/{f["filename"]}#sha256={f["hashes"]["sha256"]}">{f["filename"]}</a>\n'
                      for f in files)
    (page / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{anchors}</body></html>\n")


def _rows(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        tables = [t for (t,) in conn.execute("select name from sqlite_master where type='table'")]
        return "\n".join(repr(row) for t in tables for row in conn.execute(f'select * from "{t}"'))


def test_an_index_token_appears_in_no_output_cache_name_or_database_row(world: World, isolated: Path,
                                                                       tmp_path: Path) -> None:
    repo = world.repo("acme/tokeny")
    files = {"pyproject.toml": '[project]\nname = "tokeny"\nversion = "1.0"\n', "src/tokeny/__init__.py": "X = 1\n"}
    repo.commit("release", files)
    purl = world.publish_pypi("tokeny", "1.0", files, metadata={"Project-URL": ["Source, https://github.com/acme/tokeny"]})
    _relative_links(world, "tokeny")
    assert world.server
    index = world.server.url.replace("http://", f"http://__token__:{TOKEN}@") + "/pypi/simple/"
    db = tmp_path / "db" / "results.sqlite"
    db.parent.mkdir()
    env = {"OSSPROV_PYPI_INDEX": index, "OSSPROV_DB": f"sqlite:///{db}"}
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("tokeny==1.0\n")

    verify = ossprov("verify", purl, "--format", "json", env=env)
    assert verify.returncode == 0, verify.stderr
    assert only_result(verify.stdout)["verdict"] == "faithful"
    scan = ossprov("scan", str(requirements), "--format", "json", "--refresh", env=env)
    assert scan.returncode == 0, scan.stderr
    assert results(scan.stdout)[0]["artifact"]["source"].endswith("/pypi/files/tokeny-1.0.tar.gz")
    export = ossprov("db", "export", env=env)
    assert export.returncode == 0, export.stderr and "tokeny" in export.stdout
    for proc in (verify, scan, export):
        assert not leaks(TOKEN, proc, isolated, db.parent)
    assert "tokeny" in _rows(db) and TOKEN not in _rows(db)
    assert any(path.is_file() for path in (isolated / "cache").rglob("*"))  # the artifact was cached, unnamed
    assert all(hashlib.sha256(TOKEN.encode()).hexdigest()[:12] not in p.name for p in isolated.rglob("*"))


def test_user_info_and_query_tokens_in_a_packument_are_never_recorded(world: World, isolated: Path,
                                                                      tmp_path: Path) -> None:
    repo, pkg = world.npm_project("acme/leaky", "leaky", "1.0.0")
    repo.commit("release")
    world.publish_npm(world.npm_pack(pkg))
    doc = world.packuments["leaky"]
    version = doc["versions"]["1.0.0"]
    assert world.server
    version["dist"]["tarball"] = (version["dist"]["tarball"].replace("http://", f"http://user:{PACKUMENT_SECRET}@")
                                  + f"?access_token={QUERY_SECRET}")
    version["homepage"] = f"https://bob:{PACKUMENT_SECRET}@github.com/acme/leaky?token={QUERY_SECRET}"
    version["bugs"] = {"url": f"https://github.com/acme/leaky/issues?t={QUERY_SECRET}"}
    (world.root / "registry" / "npm" / "leaky").write_text(json.dumps(doc))
    db = tmp_path / "db" / "results.sqlite"
    db.parent.mkdir()
    env = {"OSSPROV_DB": f"sqlite:///{db}"}
    lock = tmp_path / "package-lock.json"
    lock.write_text(json.dumps({"name": "app", "lockfileVersion": 3, "packages": {
        "": {"name": "app"}, "node_modules/leaky": {"version": "1.0.0", "resolved": version["dist"]["tarball"]}}}))

    verify = ossprov("verify", "pkg:npm/leaky@1.0.0", "--format", "json", env=env)
    assert verify.returncode == 0, verify.stderr
    scan = ossprov("scan", str(lock), "--format", "json", env=env)
    assert scan.returncode == 0, scan.stderr
    export = ossprov("db", "export", env=env)
    assert export.returncode == 0, export.stderr
    for secret in (PACKUMENT_SECRET, QUERY_SECRET):
        for proc in (verify, scan, export):
            assert not leaks(secret, proc, isolated, db.parent, served=True), secret
        assert secret not in _rows(db)
    assert "leaky" in _rows(db)
