"""Go modules from a loopback GOPROXY whose zips the real go command made from the world's forge: tags,
nested modules, /v2 subdirectories, pseudo-versions, the zip rules (vendor, nested modules), tampered
zips served by a hijacked proxy, retractions, proxy-list fallbacks, and go.sum checked by `scan`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ossprov import ecosystems, stages
from ossprov.ecosystems.golang import modpath, proxy, ziprules
from ossprov.errors import NotFoundError, RegistryError
from ossprov.fixtures import goproxy
from ossprov.fixtures.world import World
from ossprov.model import FileStatus, Verdict
from ossprov.purls import parse_purl
from tests.conftest import only_result, results
from tests.ecosystems.plugin_worlds import highs, point_at

pytestmark = pytest.mark.skipif(shutil.which("go") is None, reason="needs the go command")

MODULE = "github.com/acme/widget"
FILES: dict[str, str | bytes] = {"go.mod": f"module {MODULE}\n\ngo 1.21\n", "widget.go": "package widget\n\nfunc A() int { return 1 }\n",
         "LICENSE": "MIT\n", "vendor/modules.txt": "# vendored\n", "vendor/x/y/y.go": "package y\n",
         "tools/go.mod": f"module {MODULE}/tools\n\ngo 1.21\n", "tools/t.go": "package tools\n"}


@pytest.fixture
def goworld(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    point_at(goproxy.go_environment(world), monkeypatch)
    return world


def widget(world: World, tag: str = "v1.0.0"):
    repo = world.repo("acme/widget")
    sha = repo.commit("release", FILES)
    repo.tag(tag)
    repo.commit("later", {"widget.go": "package widget\n\nfunc A() int { return 2 }\n"})
    return repo, sha


def test_tagged_module_made_by_go_is_faithful_and_pinned_at_its_tag(goworld: World) -> None:
    _, sha = widget(goworld)
    purl = goproxy.publish_go(goworld, MODULE, "v1.0.0")
    result = stages.verify(purl)
    assert result.verdict is Verdict.FAITHFUL, result.findings
    assert result.locate.commit == sha
    assert any(e.kind == "tag" and e.data.get("tag") == "v1.0.0" for e in result.locate.evidence)
    shipped = {r.path for r in result.file_results}
    assert "vendor/x/y/y.go" not in shipped and "tools/t.go" not in shipped  # the go command's rules left them out
    assert "vendor/modules.txt" in shipped and not result.findings


def test_h1_of_the_zip_is_what_the_go_command_records(goworld: World) -> None:
    widget(goworld)
    goproxy.publish_go(goworld, MODULE, "v1.0.0")
    expected = goproxy.go_download(goworld, MODULE, "v1.0.0")["Sum"]
    release = ecosystems.get("golang").release(parse_purl(f"pkg:golang/{MODULE}@v1.0.0"))
    assert release.golang is not None and release.golang.h1 == expected


def test_nested_module_is_located_by_its_directory_tag(goworld: World) -> None:
    repo, _ = widget(goworld)
    sha = repo.commit("tools release", {"tools/t.go": "package tools\n\nconst V = 2\n"})
    repo.tag("tools/v0.2.0")
    purl = goproxy.publish_go(goworld, f"{MODULE}/tools", "v0.2.0")
    result = stages.verify(purl)
    assert result.verdict is Verdict.FAITHFUL, result.findings
    assert result.locate.commit == sha and result.locate.repository and result.locate.repository.subdir == "tools"
    statuses = {r.path: r for r in result.file_results}
    assert statuses["LICENSE"].status is FileStatus.IDENTICAL and statuses["LICENSE"].source_path == "LICENSE"


def test_major_version_subdirectory(goworld: World) -> None:
    repo, _ = widget(goworld)
    sha = repo.commit("v2", {"v2/go.mod": f"module {MODULE}/v2\n\ngo 1.21\n",
                             "v2/widget.go": "package widget\n\nfunc B() int { return 3 }\n"})
    repo.tag("v2.0.0")
    result = stages.verify(goproxy.publish_go(goworld, f"{MODULE}/v2", "v2.0.0"))
    assert result.verdict is Verdict.FAITHFUL, result.findings
    assert result.locate.commit == sha and result.locate.content_root == "v2/"


def test_pseudo_version_names_its_commit(goworld: World) -> None:
    repo, _ = widget(goworld)
    sha = repo.commit("untagged work", {"widget.go": "package widget\n\nfunc A() int { return 7 }\n"})
    purl = goproxy.publish_go(goworld, MODULE, sha[:12])
    assert "-" in purl and purl.endswith(sha[:12])
    result = stages.verify(purl)
    assert result.verdict is Verdict.FAITHFUL, result.findings
    assert result.locate.commit == sha


def test_incompatible_major_version_without_go_mod(goworld: World) -> None:
    repo = goworld.repo("acme/old")
    sha = repo.commit("old style", {"old.go": "package old\n", "LICENSE": "BSD\n"})
    repo.tag("v2.1.0")
    result = stages.verify(goproxy.publish_go(goworld, "github.com/acme/old", "v2.1.0+incompatible"))
    assert result.verdict is Verdict.FAITHFUL, result.findings
    assert result.locate.commit == sha


@pytest.mark.parametrize(("changes", "rule", "path"), [
    ({"widget.go": b"package widget\n\nimport \"os/exec\"\n\nfunc A() int { exec.Command(\"sh\").Run(); return 1 }\n"},
     "OSP101", "widget.go"),
    ({"init.go": b"package widget\n\nfunc init() { panic(\"owned\") }\n"}, "OSP102", "init.go"),
    ({"vendor/x/y/y.go": b"package y\n"}, "OSP102", "vendor/x/y/y.go"),
    ({"go.mod": f"module {MODULE}\n\ngo 1.21\n\nrequire github.com/evil/x v1.0.0\n".encode()}, "OSP113", "go.mod"),
])
def test_hijacked_proxy_serving_a_tampered_zip(goworld: World, changes: dict, rule: str, path: str) -> None:
    widget(goworld)
    purl = goproxy.publish_go(goworld, MODULE, "v1.0.0")
    goproxy.tamper_zip(goworld, MODULE, "v1.0.0", changes)
    proc = subprocess.run([sys.executable, "-m", "ossprov", "verify", purl, "--format", "json"],
                          capture_output=True, text=True, timeout=300)
    doc = only_result(proc.stdout)
    assert proc.returncode == 1, proc.stderr
    assert doc["verdict"] == "mismatch"
    assert any(f["rule"] == rule and f["path"] == path and f["severity"] == "high" for f in doc["findings"])


def test_zip_lacking_a_file_of_the_tag_is_reported(goworld: World) -> None:
    widget(goworld)
    purl = goproxy.publish_go(goworld, MODULE, "v1.0.0")
    goproxy.tamper_zip(goworld, MODULE, "v1.0.0", {"vendor/modules.txt": None})
    result = stages.verify(purl)
    assert any(f.rule == "OSP106" and f.path == "vendor/modules.txt" for f in result.findings)


def test_pseudo_version_whose_commit_is_not_the_content(goworld: World) -> None:
    repo, first = widget(goworld)
    purl = goproxy.publish_go(goworld, MODULE, repo.head()[:12])
    version = purl.rsplit("@", 1)[1]
    # The proxy serves the tagged release's files under a pseudo-version naming the later commit.
    tagged = goproxy.go_download(goworld, MODULE, "v1.0.0")["Zip"]
    with zipfile.ZipFile(tagged) as z:
        files: dict[str, bytes | None] = {i.filename.split("/", 3)[3]: z.read(i) for i in z.infolist()}
    goproxy.tamper_zip(goworld, MODULE, version, files)
    info = goproxy.served_zip(goworld, MODULE, version).with_suffix(".info")
    doc = json.loads(info.read_text())
    doc.pop("Origin", None)
    info.write_text(json.dumps(doc))
    result = stages.verify(purl)
    assert result.locate.commit == first
    assert any(f.rule == "OSP116" for f in highs(result)), result.findings


def test_retracted_version_is_reported(goworld: World) -> None:
    repo, _ = widget(goworld)
    purl = goproxy.publish_go(goworld, MODULE, "v1.0.0")
    repo.commit("retract", {"go.mod": f"module {MODULE}\n\ngo 1.21\n\nretract v1.0.0 // leaks credentials\n"})
    repo.tag("v1.0.1")
    goproxy.publish_go(goworld, MODULE, "v1.0.1")
    result = stages.verify(purl)
    found = [f for f in result.findings if f.rule == "OSP511"]
    assert found and "leaks credentials" in found[0].message


def test_proxy_list_falls_back_after_404_and_respects_off(goworld: World, monkeypatch: pytest.MonkeyPatch) -> None:
    widget(goworld)
    purl = goproxy.publish_go(goworld, MODULE, "v1.0.0")
    assert goworld.server
    good = f"{goworld.server.url}/goproxy"
    monkeypatch.setenv("OSSPROV_GOPROXY", f"{goworld.server.url}/empty,{good}")
    assert stages.locate(purl).located
    monkeypatch.setenv("OSSPROV_GOPROXY", "off")
    with pytest.raises(RegistryError, match="GOPROXY=off"):
        stages.locate(purl)
    monkeypatch.setenv("OSSPROV_GOPROXY", f"{goworld.server.url}/empty,direct")
    with pytest.raises(RegistryError, match="direct"):  # not "removed": the go command would fetch it direct
        stages.locate(purl)
    monkeypatch.setenv("OSSPROV_GOPROXY", f"{goworld.server.url}/empty|{goworld.server.url}/empty2")
    with pytest.raises(NotFoundError):
        stages.locate(purl)


def test_scan_go_sum_flags_a_module_modified_at_rest(goworld: World, tmp_path: Path) -> None:
    widget(goworld)
    purl = goproxy.publish_go(goworld, MODULE, "v1.0.0")
    recorded = goproxy.go_download(goworld, MODULE, "v1.0.0")["Sum"]
    project = tmp_path / "app"
    project.mkdir()
    (project / "go.mod").write_text(f"module example.org/app\n\ngo 1.21\n\nrequire {MODULE} v1.0.0\n")
    (project / "go.sum").write_text(f"{MODULE} v1.0.0 {recorded}\n{MODULE} v1.0.0/go.mod h1:{'A' * 43}=\n")

    def scan(home: Path) -> dict:
        env = {**os.environ, "OSSPROV_CACHE": str(home / "cache"), "OSSPROV_DATA": str(home / "data")}
        proc = subprocess.run([sys.executable, "-m", "ossprov", "scan", str(project), "--format", "json"],
                              capture_output=True, text=True, timeout=300, env=env)
        return {d["purl"]: d for d in results(proc.stdout)}[purl]

    assert not [f for f in scan(tmp_path / "first")["findings"] if f["rule"] == "OSP514"]
    goproxy.tamper_zip(goworld, MODULE, "v1.0.0", {"README.md": b"# changed at rest\n"})
    assert any(f["rule"] == "OSP514" for f in scan(tmp_path / "later")["findings"])


def test_vanity_path_resolved_by_its_go_import_meta(goworld: World, monkeypatch: pytest.MonkeyPatch) -> None:
    assert goworld.server
    host = goworld.server.url.removeprefix("http://")
    meta = (f'<html><head><meta name="go-import" content="{host}/vanity/kit git https://github.com/acme/kit">'
            f'<meta name="go-import" content="{host}/vanity/kit mod https://proxy.example/"></head></html>')
    pages = [goworld.root / "registry" / "vanity" / "kit" / "index.html",
             goworld.root / "registry" / "vanity" / "kit" / "sub" / "v2" / "index.html"]
    for page in pages:  # a vanity server answers for every package path below its prefix
        page.parent.mkdir(parents=True)
        page.write_text(meta)
    monkeypatch.setenv("GOINSECURE", "127.0.0.1*")
    where = modpath.locate(f"{host}/vanity/kit/sub/v2", proxy.insecure(f"{host}/vanity/kit"))
    assert where == modpath.Location("https://github.com/acme/kit", "sub")
    pages[0].write_text(meta + f'<meta name="go-import" content="{host}/vanity git https://github.com/x/y">')
    assert modpath.locate(f"{host}/vanity/kit", True) is None  # two matching prefixes: the go command refuses


def test_proxy_from_the_go_command_and_bad_input(goworld: World, monkeypatch: pytest.MonkeyPatch) -> None:
    widget(goworld)
    purl = goproxy.publish_go(goworld, MODULE, "v1.0.0")
    assert goworld.server
    monkeypatch.delenv("OSSPROV_GOPROXY")
    monkeypatch.setenv("GOPROXY", f"{goworld.server.url}/goproxy")  # the variable `go env GOPROXY` reports
    assert stages.locate(purl).located
    for bad, code in ((f"pkg:golang/{MODULE}@1.0.0", 2), (f"pkg:golang/{MODULE}@v9.9.9", 2)):
        proc = subprocess.run([sys.executable, "-m", "ossprov", "verify", bad], capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == code and "Traceback" not in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


def test_history_lists_versions_with_their_times(goworld: World) -> None:
    repo, _ = widget(goworld)
    goproxy.publish_go(goworld, MODULE, "v1.0.0")
    repo.tag("v1.1.0")
    goproxy.publish_go(goworld, MODULE, "v1.1.0")
    history = ecosystems.get("golang").history(MODULE)
    assert history and [v.version for v in history.versions] == ["v1.0.0", "v1.1.0"]
    assert all(v.published_at for v in history.versions) and history.repository == "https://github.com/acme/widget"


def test_proxy_mod_file_adding_a_requirement(goworld: World) -> None:
    widget(goworld)
    purl = goproxy.publish_go(goworld, MODULE, "v1.0.0")
    goproxy.tamper_mod(goworld, MODULE, "v1.0.0", f"module {MODULE}\n\ngo 1.21\n\nrequire github.com/evil/x v1.0.0\n")
    result = stages.verify(purl)
    assert result.verdict is Verdict.MISMATCH
    assert any(f.rule == "OSP113" and ".mod" in f.message for f in highs(result))


@pytest.mark.parametrize("go_version", ["1.21", "1.24"])
def test_zip_rules_agree_with_the_go_command(goworld: World, go_version: str) -> None:
    repo = goworld.repo(f"acme/rules{go_version.replace('.', '')}")
    module = f"github.com/acme/rules{go_version.replace('.', '')}"
    files: dict[str, str | bytes] = {
        "go.mod": f"module {module}\n\ngo {go_version}\n", "main.go": "package rules\n",
        "vendor/modules.txt": "# m\n", "vendor/a/b.go": "package a\n", "pkg/vendor/vendor.go": "package vendor\n",
        "pkg/vendor/foo/foo.go": "package foo\n", "x/go.mod": f"module {module}/x\n", "x/y.go": "package x\n",
        ".hg_archival.txt": "repo: x\n", "docs/guide.md": "# guide\n", "docs/keep.txt": "kept\n",
        ".gitattributes": "docs/*.md export-ignore\n*.bin export-ignore\n", "data/blob.bin": b"\x00\x01"}
    repo.write(files)
    (repo.path / "link.go").symlink_to("main.go")
    sha = repo.commit("release")
    repo.tag("v1.0.0")
    purl = goproxy.publish_go(goworld, module, "v1.0.0")
    with zipfile.ZipFile(goproxy.served_zip(goworld, module, "v1.0.0")) as z:
        made = {n.split("/", 3)[3] for n in z.namelist()}
    listed = subprocess.run(["git", "ls-tree", "-r", "--name-only", sha], cwd=repo.path, capture_output=True,
                            text=True, check=True).stdout.split()
    regular = [p for p in listed if p != "link.go"]  # export-ignore does not apply: the go command turns it off
    assert ziprules.expected_files(regular, str(files["go.mod"]).encode()) == made
    result = stages.verify(purl)
    assert result.verdict is Verdict.FAITHFUL and not result.findings, result.findings


def test_zip_entry_outside_the_module_directory_is_refused(goworld: World) -> None:
    widget(goworld)
    purl = goproxy.publish_go(goworld, MODULE, "v1.0.0")
    path = goproxy.served_zip(goworld, MODULE, "v1.0.0")
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("github.com/acme/other@v1.0.0/x.go", "package x\n")
    result = stages.verify(purl)
    assert any(f.rule == "OSP140" and f.path == "github.com/acme/other@v1.0.0/x.go" for f in result.findings)
    assert "x.go" not in {r.path for r in result.file_results}
