"""The Go checksum database: a loopback database (real tiles, notes signed with a test key) served through the
world's proxy, which the go command itself accepts; a genuine module confirmed, a zip tampered at the proxy
caught against it, forged notes, a broken inclusion proof, a forked log, and a database out of reach."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ossprov import stages
from ossprov.ecosystems.golang import sumdb, tlog, ziprules
from ossprov.ecosystems.golang.modpath import escape
from ossprov.fixtures import goproxy, gosumdb
from ossprov.fixtures.world import World
from ossprov.model import Finding, Severity, Verdict
from tests.conftest import results
from tests.ecosystems.plugin_worlds import highs, point_at
from tests.ecosystems.test_golang import MODULE, widget

pytestmark = pytest.mark.skipif(shutil.which("go") is None, reason="needs the go command")


@pytest.fixture
def db(world: World, monkeypatch: pytest.MonkeyPatch) -> gosumdb.ChecksumDatabase:
    """The widget module published on the proxy and recorded in a database GOSUMDB names."""
    widget(world)
    goproxy.publish_go(world, MODULE, "v1.0.0")
    database = gosumdb.ChecksumDatabase(world)
    for n in range(300):  # a tree past one full tile, so proofs go through two tile levels
        database.add(f"example.com/filler{n}", "v1.0.0", "h1:" + "A" * 43 + "=", "h1:" + "B" * 43 + "=", False)
    database.add_download(MODULE, "v1.0.0")
    point_at({**goproxy.go_environment(world), **database.environment()}, monkeypatch)
    return database


def checksum_findings(result) -> list[Finding]:
    return [f for f in result.findings if f.rule in ("OSP100", "OSP118")]


def test_the_go_command_accepts_the_loopback_database_and_ossprov_confirms_the_module(
        world: World, db: gosumdb.ChecksumDatabase) -> None:
    by_go = gosumdb.go_command_download(world, db, MODULE, "v1.0.0")
    assert by_go.returncode == 0, by_go.stdout + by_go.stderr
    result = stages.verify(f"pkg:golang/{MODULE}@v1.0.0")
    assert result.verdict is Verdict.FAITHFUL, result.findings
    assert checksum_findings(result) == []
    assert any("/sumdb/sum.example/tile/8/1/" in path for _, path in world.server.requests)


def test_zip_tampered_at_the_proxy_is_a_high_mismatch_with_the_database(
        world: World, db: gosumdb.ChecksumDatabase) -> None:
    goproxy.tamper_zip(world, MODULE, "v1.0.0", {"README.md": b"# not in the log\n"})
    by_go = gosumdb.go_command_download(world, db, MODULE, "v1.0.0")
    assert by_go.returncode != 0 and "SECURITY ERROR" in by_go.stdout + by_go.stderr
    result = stages.verify(f"pkg:golang/{MODULE}@v1.0.0")
    assert result.verdict is Verdict.MISMATCH
    assert [f.rule for f in highs(result) if "checksum database sum.example records" in f.message] == ["OSP100"]


def test_a_go_sum_written_from_the_hijacked_proxy_does_not_hide_the_tampering(
        world: World, db: gosumdb.ChecksumDatabase, tmp_path: Path) -> None:
    """The go.sum agrees with the tampered zip (recorded while the proxy was hijacked and GONOSUMDB was set):
    the lockfile check passes, the checksum database does not."""
    goproxy.tamper_zip(world, MODULE, "v1.0.0", {"README.md": b"# not in the log\n"})
    tampered = ziprules.hash1((i.filename, z.read(i)) for z in [zipfile.ZipFile(goproxy.served_zip(
        world, MODULE, "v1.0.0"))] for i in z.infolist())
    project = tmp_path / "app"
    project.mkdir()
    (project / "go.mod").write_text(f"module example.org/app\n\ngo 1.21\n\nrequire {MODULE} v1.0.0\n")
    (project / "go.sum").write_text(f"{MODULE} v1.0.0 {tampered}\n")
    env = {**os.environ, "OSSPROV_CACHE": str(tmp_path / "cache"), "OSSPROV_DATA": str(tmp_path / "data")}
    proc = subprocess.run([sys.executable, "-m", "ossprov", "scan", str(project), "--format", "json"],
                          capture_output=True, text=True, timeout=300, env=env)
    (doc,) = [d for d in results(proc.stdout) if d["purl"] == f"pkg:golang/{MODULE}@v1.0.0"]
    rules = {f["rule"] for f in doc["findings"] if f["severity"] == "high"}
    assert "OSP514" not in rules and "OSP100" in rules and proc.returncode == 1


def test_tampered_mod_file_is_caught_against_the_database(world: World, db: gosumdb.ChecksumDatabase) -> None:
    goproxy.tamper_mod(world, MODULE, "v1.0.0", f"module {MODULE}\n\ngo 1.21\n\nrequire example.com/evil v1.0.0\n")
    found = [f for f in highs(stages.verify(f"pkg:golang/{MODULE}@v1.0.0")) if f.rule == "OSP100"]
    assert [f.path for f in found] == ["go.mod"] and "the proxy's .mod" in found[0].message


def test_forged_notes_are_a_security_finding_and_not_a_confirmation(
        world: World, db: gosumdb.ChecksumDatabase) -> None:
    db.forge_notes()
    by_go = gosumdb.go_command_download(world, db, MODULE, "v1.0.0")
    assert by_go.returncode != 0
    found = checksum_findings(stages.verify(f"pkg:golang/{MODULE}@v1.0.0"))
    assert [(f.rule, f.severity) for f in found] == [("OSP118", Severity.MEDIUM)]
    assert "no signature by sum.example's key" in found[0].message


def test_a_broken_inclusion_proof_is_a_security_finding(world: World, db: gosumdb.ChecksumDatabase) -> None:
    db.damage_tile()
    found = checksum_findings(stages.verify(f"pkg:golang/{MODULE}@v1.0.0"))
    assert [(f.rule, f.severity) for f in found] == [("OSP118", Severity.MEDIUM)]
    assert "inclusion proof fails" in found[0].message


def test_a_log_that_forks_from_the_tree_seen_before_is_caught(world: World, db: gosumdb.ChecksumDatabase,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSSPROV_METADATA_MAX_AGE", "0")  # ask the database again, not the cached answer
    assert sumdb.check(MODULE, "v1.0.0") is not None  # the tree of 301 records is kept
    other = gosumdb.ChecksumDatabase(world, key=db.key)  # same key, another history
    other.add(MODULE, "v1.0.0", *[line.split()[2] for line in db.records[-1].decode().splitlines()])
    for n in range(310):
        other.add(f"example.com/other{n}", "v1.0.0", "h1:" + "C" * 43 + "=", "h1:" + "D" * 43 + "=", False)
    other.publish()
    with pytest.raises(sumdb.Untrustworthy, match="forked"):
        sumdb.check(MODULE, "v1.0.0")


def test_unreachable_database_is_stated_not_silently_clean(
        world: World, db: gosumdb.ChecksumDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    monkeypatch.setenv("GOSUMDB", f"{db.key.verifier()} http://127.0.0.1:{closed}")
    monkeypatch.setenv("OSSPROV_REQUEST_DEADLINE", "5")
    result = stages.verify(f"pkg:golang/{MODULE}@v1.0.0")
    found = checksum_findings(result)
    assert [(f.rule, f.severity) for f in found] == [("OSP118", Severity.INFO)]
    assert "unreachable" in found[0].message and result.verdict is Verdict.FAITHFUL


def test_gosumdb_off_and_gonosumdb_are_respected(world: World, db: gosumdb.ChecksumDatabase,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    goproxy.tamper_zip(world, MODULE, "v1.0.0", {"README.md": b"# not in the log\n"})
    for name, value in (("GOSUMDB", "off"), ("GONOSUMDB", "github.com/acme")):
        with monkeypatch.context() as m:
            m.setenv(name, value)
            assert sumdb.configured(MODULE) is None
            assert checksum_findings(stages.verify(f"pkg:golang/{MODULE}@v1.0.0")) == []
    assert world.server and not any("/lookup/" in path for _, path in world.server.requests)


def test_a_bare_database_name_takes_its_key_from_the_go_installation(monkeypatch: pytest.MonkeyPatch) -> None:
    """The go command's default GOSUMDB is a bare name whose key go compiles in."""
    monkeypatch.delenv("GOSUMDB", raising=False)
    monkeypatch.setenv("GONOSUMDB", "")
    monkeypatch.setenv("GOPRIVATE", "")
    default = sumdb.setting("GOSUMDB")
    assert default and "+" not in default
    database = sumdb.configured(MODULE)
    assert database is not None and database.verifier.name == default
    monkeypatch.setenv("GOSUMDB", "sum.example")
    with pytest.raises(sumdb.Unconfirmed, match="without its key"):
        sumdb.configured(MODULE)


@pytest.mark.parametrize("bad", ["sum.example+00000000+" + "A" * 44, "sum.example", "a+b+c+d"])
def test_malformed_verifier_keys_are_refused(bad: str) -> None:
    with pytest.raises(tlog.LogError):
        tlog.parse_verifier(bad)


def test_tile_paths_follow_tlog() -> None:
    assert tlog.tile_path(0, 1234067, 256) == "tile/8/0/x001/x234/067"
    assert tlog.tile_path(2, 5, 17) == "tile/8/2/005.p/17"


def test_a_database_name_that_is_no_host_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GONOSUMDB", "")
    monkeypatch.setenv("GOSUMDB", gosumdb.Key("../../etc").verifier())
    with pytest.raises(sumdb.Unconfirmed, match="not host"):
        sumdb.configured(MODULE)


def test_tiles_are_cached_only_when_a_proof_through_them_holds(world: World, db: gosumdb.ChecksumDatabase) -> None:
    cache = sumdb._cache_dir(db.key.name) / "tile"
    db.damage_tile()
    with pytest.raises(sumdb.Untrustworthy):
        sumdb.check(MODULE, "v1.0.0")
    assert not cache.exists() or not any(p.is_file() for p in cache.rglob("*"))
    db.publish()  # the genuine tiles again
    assert sumdb.check(MODULE, "v1.0.0") is not None
    assert any(p.is_file() for p in cache.rglob("*"))


def test_a_proven_record_of_another_module_is_no_answer(world: World, db: gosumdb.ChecksumDatabase) -> None:
    """A hijacked proxy answers the lookup with a genuine record of another module, its proof valid: the go
    command finds no line for the module and refuses; ossprov does not report "no hash recorded" as if the
    database had been asked and had nothing to say."""
    goproxy.tamper_zip(world, MODULE, "v1.0.0", {"README.md": b"# not in the log\n"})
    lookups = db.root / "lookup"
    (lookups / f"{escape(MODULE)}@v1.0.0").write_bytes((lookups / "example.com/filler0@v1.0.0").read_bytes())
    with pytest.raises(sumdb.Untrustworthy, match="is not of that module version"):
        sumdb.check(MODULE, "v1.0.0")
    found = checksum_findings(stages.verify(f"pkg:golang/{MODULE}@v1.0.0"))
    assert [(f.rule, f.severity) for f in found] == [("OSP118", Severity.MEDIUM)]
