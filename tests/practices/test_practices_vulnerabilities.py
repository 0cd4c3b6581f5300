"""Vulnerabilities from an OSV export fixture (records in the format OSV publishes, as a directory and as a
zip): version matching by the schema's range semantics, the package's own and its lockfiles' dependencies,
aliases counted once, Scorecard's 10-minus-count score, hostile exports, and the `--osv` option."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from packageurl import PackageURL

from ossprov.commands.practices import command
from ossprov.errors import InputError
from ossprov.practices import osv
from ossprov.practices.checks.vulnerabilities import Vulnerabilities
from ossprov.practices.context import Context
from ossprov.source.git import Repo
from tests.conftest import only_result


def _record(vid: str, ecosystem: str, name: str, *, events: list | None = None, kind: str = "ECOSYSTEM",
            versions: list[str] | None = None, aliases: list[str] | None = None, **extra) -> dict:
    affected: dict = {"package": {"ecosystem": ecosystem, "name": name}}
    if events is not None:
        affected["ranges"] = [{"type": kind, "events": events}]
    if versions is not None:
        affected["versions"] = versions
    return {"schema_version": "1.6.0", "id": vid, "modified": "2024-01-01T00:00:00Z", "aliases": aliases or [],
            "summary": f"flaw {vid}", "affected": [affected], **extra}


RECORDS = [
    _record("GHSA-jinja-0001", "PyPI", "Jinja2", events=[{"introduced": "0"}, {"fixed": "3.1.3"}],
            aliases=["CVE-2024-0001"]),
    _record("PYSEC-2024-1", "PyPI", "jinja2", events=[{"introduced": "0"}, {"fixed": "3.1.3"}],
            aliases=["CVE-2024-0001"]),  # the same flaw again: counted once
    _record("GHSA-flask-0002", "PyPI", "flask", events=[{"introduced": "2.0"}, {"last_affected": "2.3.2"}]),
    _record("GHSA-lodash-0003", "npm", "lodash", kind="SEMVER", events=[{"introduced": "0"}, {"fixed": "4.17.21"}]),
    _record("GHSA-minimist-0004", "npm", "minimist", events=[{"introduced": "1.0.0"}, {"fixed": "1.2.6"}]),
    _record("GHSA-widget-0005", "npm", "@acme/widget", versions=["1.2.0"]),
    _record("GHSA-gone-0006", "npm", "lodash", events=[{"introduced": "0"}], withdrawn="2024-02-01T00:00:00Z"),
    _record("GHSA-limit-0007", "npm", "minimist", events=[{"introduced": "0"}, {"limit": "1.0.0"}]),
]
LOCK = {"name": "app", "lockfileVersion": 3, "packages": {
    "": {"name": "app"}, "node_modules/lodash": {"version": "4.17.20"}, "node_modules/minimist": {"version": "1.2.5"}}}
FILES = {"package-lock.json": json.dumps(LOCK), "requirements.txt": "jinja2==3.1.2\nflask==3.0.0\nrequests>=2\n",
         "node_modules/x/package-lock.json": json.dumps({**LOCK, "packages": {
             "node_modules/left-pad": {"version": "0.0.1"}}})}


@pytest.fixture
def export_dir(tmp_path: Path) -> Path:
    root = tmp_path / "osv"
    (root / "PyPI").mkdir(parents=True)
    (root / "npm").mkdir()
    for record in RECORDS:
        folder = "PyPI" if record["affected"][0]["package"]["ecosystem"] == "PyPI" else "npm"
        (root / folder / f"{record['id']}.json").write_text(json.dumps(record))
    (root / "npm" / "broken.json").write_text("{not json")
    (root / "npm" / "README.txt").write_text("not a record")
    return root


@pytest.fixture
def export_zip(tmp_path: Path) -> Path:
    path = tmp_path / "all.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for record in RECORDS:
            archive.writestr(f"{record['id']}.json", json.dumps(record))
        archive.writestr("../escape.json", json.dumps(RECORDS[0] | {"id": "GHSA-escape"}))
        archive.writestr("huge.json", b" " * (osv.MAX_RECORD_BYTES + 1))
        archive.writestr("damaged.json", json.dumps(RECORDS[0]), compress_type=zipfile.ZIP_DEFLATED)
    data = bytearray(path.read_bytes())
    at = data.rfind(b"damaged.json", 0, data.find(b"PK\x01\x02"))  # the member's local header, not the index
    data[at + 20:at + 40] = b"\xff" * 20  # its compressed bytes, garbled
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(("version", "affected"), [("2.9", True), ("3.1.2", True), ("3.1.3", False), ("4.0", False)])
def test_pypi_range_with_pep440_order(export_dir, version, affected):
    assert bool(osv.load(export_dir).lookup("pypi", "Jinja2", version)) is affected


@pytest.mark.parametrize(("name", "version", "affected"), [
    ("flask", "2.3.2", True), ("flask", "2.3.3", False), ("flask", "1.1", False),  # last_affected is inclusive
    ("lodash", "4.17.20", True), ("lodash", "4.17.21", False), ("lodash", "4.17.21-rc.1", True),  # SemVer order
    ("minimist", "1.2.5", True), ("minimist", "0.9.0", True), ("minimist", "1.10.0", False),  # under the limit
    ("@acme/widget", "1.2.0", True), ("@acme/widget", "1.2.1", False),  # the versions list
])
def test_range_semantics(export_dir, name, version, affected):
    purl_type = "pypi" if name == "flask" else "npm"
    assert bool(osv.load(export_dir).lookup(purl_type, name, version)) is affected


def test_withdrawn_and_unreadable_records_are_skipped(export_dir, export_zip):
    database = osv.load(export_dir)
    assert database.read == 7 and database.skipped == 1  # broken.json; the withdrawn record is ignored
    assert [v.id for v in database.lookup("npm", "lodash", "1.0.0")] == ["GHSA-lodash-0003"]
    zipped = osv.load(export_zip)
    assert zipped.skipped == 2 and zipped.read == 8  # huge.json and damaged.json skipped; names are not paths


def test_not_an_export_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        osv.load(tmp_path / "missing")
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(InputError, match="not a directory or zip"):
        osv.load(junk)


def test_only_the_wanted_packages_are_kept(export_dir):
    database = osv.load(export_dir, [("npm", "lodash"), ("pypi", "JINJA2")])
    assert set(database.records) == {("npm", "lodash"), ("PyPI", "jinja2")} and database.read == 7
    assert database.lookup("npm", "lodash", "4.17.20") and not database.lookup("npm", "minimist", "1.2.5")


def _run(make_repo, export: Path | None, package: PackageURL | None = None):
    fixture = make_repo()
    fixture.commit(FILES)
    repo = Repo(fixture.path)
    head = repo.resolve("HEAD")
    assert head
    return Vulnerabilities().run(Context(repo, head, package=package, osv=export))


def test_lockfile_dependencies_and_the_package_itself(make_repo, export_dir):
    result = _run(make_repo, export_dir, PackageURL.from_string("pkg:npm/%40acme/widget@1.2.0"))
    found = {p.data["package"]: p.data for p in result.probes if p.outcome}
    assert set(found) == {"jinja2", "lodash", "minimist", "@acme/widget"}  # flask 3.0.0 is past last_affected
    assert found["jinja2"]["ids"] == ["CVE-2024-0001", "GHSA-jinja-0001", "PYSEC-2024-1"]
    assert found["@acme/widget"]["where"] == ["the package itself"]
    assert found["lodash"]["where"] == ["package-lock.json"]  # node_modules/ is an installed tree, not a pin
    assert [p.data["ids"] for p in result.probes if p.data.get("package") == "minimist"] == [["GHSA-minimist-0004"]]
    assert result.score == 6  # 10 − 4 vulnerabilities


def test_no_vulnerabilities_scores_10_and_no_data_is_inconclusive(make_repo, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    clean = _run(make_repo, empty)
    assert clean.score == 10 and "4 dependencies" in clean.reason
    missing = _run(make_repo, None)
    assert missing.score == -1 and "OSSPROV_OSV_DATA" in missing.reason
    bare = make_repo()
    bare.commit({"README.md": "no lockfiles"})
    nothing = Vulnerabilities().run(Context(Repo(bare.path), bare.git("rev-parse", "HEAD").strip()))
    assert nothing.score == 10 and "no dependency to look up" in nothing.reason


def test_many_vulnerabilities_floor_at_0(make_repo, tmp_path):
    root = tmp_path / "many"
    root.mkdir()
    for n in range(12):
        (root / f"r{n}.json").write_text(json.dumps(_record(f"GHSA-many-{n}", "npm", "lodash", versions=["4.17.20"])))
    assert _run(make_repo, root).score == 0


def test_command_option_and_environment(make_repo, export_dir, monkeypatch):
    fixture = make_repo()
    fixture.commit(FILES, days_ago=100)
    runner = CliRunner()
    out = runner.invoke(command, [str(fixture.path), "--format", "json", "--osv", str(export_dir)])
    assert out.exit_code == 0, out.output
    check = next(c for c in only_result(out.output)["checks"] if c["name"] == "Vulnerabilities")
    assert check["score"] == 7 and len([p for p in check["probes"] if p["outcome"]]) == 3
    monkeypatch.setenv("OSSPROV_OSV_DATA", str(export_dir))
    table = runner.invoke(command, [str(fixture.path)])
    assert table.exit_code == 0 and "existing vulnerabilities" in table.output
    bad = runner.invoke(command, [str(fixture.path), "--osv", str(export_dir / "nope")])
    assert bad.exit_code != 0 and isinstance(bad.exception, InputError)


def test_hostile_lockfiles_are_noted_not_followed(make_repo, export_dir, tmp_path):
    secret = tmp_path / "outside.txt"
    secret.write_text("jinja2==3.1.2\n")  # vulnerable in the export: found only if the include were read
    fixture = make_repo()
    fixture.commit({"package-lock.json": "{ not json", "requirements.txt": f"-r {secret}\n-r ../../outside.txt\n",
                    "poetry.lock": b"\xff\xfe binary"})
    repo = Repo(fixture.path)
    result = Vulnerabilities().run(Context(repo, repo.resolve("HEAD") or "", osv=export_dir))
    unreadable = {p.path for p in result.probes if p.name == "lockfileUnreadable"}
    assert {"package-lock.json", "poetry.lock"} <= unreadable
    # The include outside the repository is never read: nothing of it is looked up.
    assert result.score == 10 and not any(p.outcome for p in result.probes)
