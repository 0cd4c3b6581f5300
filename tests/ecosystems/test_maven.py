"""Maven: locate by git.properties and parent <scm>, injected classes, hostile and broken POMs."""

from __future__ import annotations

import re

import pytest
from packageurl import PackageURL

from ossprov import ecosystems, stages
from ossprov.errors import RegistryError
from ossprov.fixtures.maven import compile_java, pom_xml, publish_maven
from ossprov.fixtures.world import World
from ossprov.model import FileStatus, Severity, Verdict

JAVA = {"src/main/java/org/acme/Greeter.java": "package org.acme;\npublic class Greeter {\n"
        "    class Inner { int depth; }\n}\n",
        "src/main/java/org/acme/util/Strings.java": "package org.acme.util;\npublic final class Strings {}\n",
        "src/main/resources/org/acme/messages.properties": "hello=Hello\n"}


def project(world: World, name: str = "greeter"):
    repo = world.repo(f"acme/{name}")
    sha = repo.commit("release", {"pom.xml": pom_xml("org.acme", name, "1.0.0"), **JAVA})
    repo.commit("later work", {"NEWS.md": "next\n"})
    return repo, sha


CLASSES: dict[str, bytes] = {}


def binary_jar(sha: str, extra: dict[str, str | bytes] | None = None) -> dict[str, str | bytes]:
    if not CLASSES:
        CLASSES.update(compile_java({p: t for p, t in JAVA.items() if p.endswith(".java")}))
    return {**CLASSES, "org/acme/messages.properties": "hello=Hello\n",
            "git.properties": f"git.commit.id={sha}\ngit.branch=main\n", **(extra or {})}


def test_jar_with_git_properties_is_located_at_that_commit(world: World) -> None:
    repo, sha = project(world)
    purl = publish_maven(world, "org.acme", "greeter", "1.0.0",
                         pom_xml("org.acme", "greeter", "1.0.0", scm="https://github.com/acme/greeter"),
                         jar=binary_jar(sha))
    result = stages.verify(purl)
    assert result.locate.commit == sha and result.locate.commit != repo.head()
    assert any(e.kind == "vcs-commit" and e.supports for e in result.locate.evidence)
    statuses = {r.path: r.status for r in result.file_results}
    assert statuses["org/acme/Greeter$Inner.class"] is FileStatus.GENERATED
    assert statuses["org/acme/messages.properties"] is FileStatus.IDENTICAL
    assert statuses["git.properties"] is FileStatus.NORMALIZED
    assert not [f for f in result.findings if f.severity is Severity.HIGH], result.findings


def test_injected_class_is_high(world: World) -> None:
    _, sha = project(world, "injected")
    purl = publish_maven(world, "org.acme", "injected", "1.0.0",
                         pom_xml("org.acme", "injected", "1.0.0", scm="https://github.com/acme/injected"),
                         jar=binary_jar(sha, {"org/acme/Backdoor.class": b"\xca\xfe\xba\xbeevil"}))
    result = stages.verify(purl)
    assert result.verdict is Verdict.MISMATCH
    assert any(f.path == "org/acme/Backdoor.class" and f.rule == "OSP102" for f in result.findings)


def test_sources_jar_preferred_and_binary_jar_checked(world: World) -> None:
    _, sha = project(world, "both")
    sources = {p.removeprefix("src/main/java/").removeprefix("src/main/resources/"): c for p, c in JAVA.items()}
    purl = publish_maven(world, "org.acme", "both", "1.0.0",
                         pom_xml("org.acme", "both", "1.0.0", scm="scm:git:https://github.com/acme/both.git"),
                         jar=binary_jar(sha, {"org/acme/Evil.class": b"\xca\xfe"}), sources=sources)
    result = stages.verify(purl)
    assert result.locate.artifact and result.locate.artifact.filename == "both-1.0.0-sources.jar"
    assert result.locate.commit == sha
    statuses = {r.path: r.status for r in result.file_results}
    assert statuses["org/acme/Greeter.java"] is FileStatus.IDENTICAL
    assert statuses["org/acme/messages.properties"] is FileStatus.IDENTICAL
    assert any(f.rule == "OSP102" and f.path == "both-1.0.0.jar!org/acme/Evil.class" for f in result.findings)


def test_scm_inherited_from_parent_pom_with_interpolation(world: World) -> None:
    publish_maven(world, "org.acme", "acme-parent", "7", pom_xml(
        "org.acme", "acme-parent", "7", packaging="pom",
        extra="<scm><url>https://github.com/acme/${project.artifactId}</url></scm>"))
    pom = pom_xml("org.acme", "child", "2.0", parent=("org.acme", "acme-parent", "7"))
    purl = publish_maven(world, "org.acme", "child", "2.0", pom, jar={})
    release = ecosystems.get("maven").release(PackageURL.from_string(purl))
    assert [h.url for h in release.hints] == ["https://github.com/acme/child"]
    assert release.hints[0].origin == "declared-repository-parent"


def test_missing_parent_is_recorded_not_fatal(world: World) -> None:
    pom = pom_xml("org.acme", "orphan", "1.0", parent=("org.acme", "gone", "1"))
    purl = publish_maven(world, "org.acme", "orphan", "1.0", pom, jar={})
    release = ecosystems.get("maven").release(PackageURL.from_string(purl))
    assert release.missing_fields == ("parent-pom:org.acme:gone:1",)


def test_parent_cycle_is_a_clear_error(world: World) -> None:
    publish_maven(world, "org.acme", "a", "1", pom_xml("org.acme", "a", "1", parent=("org.acme", "b", "1")))
    publish_maven(world, "org.acme", "b", "1", pom_xml("org.acme", "b", "1", parent=("org.acme", "a", "1")))
    with pytest.raises(RegistryError, match=re.escape("parent POM cycle: org.acme:a:1 -> org.acme:b:1 -> org.acme:a:1")):
        ecosystems.get("maven").release(PackageURL.from_string("pkg:maven/org.acme/a@1"))


@pytest.mark.timeout(10)
@pytest.mark.parametrize("pom, message", [
    (b"<project><groupId>x</groupId>", "not well-formed"),
    (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
     b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><project><name>&lol3;</name></project>', "entities"),
])
def test_hostile_or_broken_pom(world: World, pom: bytes, message: str) -> None:
    purl = publish_maven(world, "org.acme", "bad", "1", pom)
    with pytest.raises(RegistryError, match=message):
        stages.locate(purl)


def test_repository_from_settings_mirror_and_file_url(world: World, own_home, monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("OSSPROV_MAVEN_REPOSITORY")
    (own_home / ".m2").mkdir()
    repo_dir = world.root / "registry" / "maven"
    (own_home / ".m2" / "settings.xml").write_text(
        f"<settings><mirrors><mirror><id>m</id><mirrorOf>central</mirrorOf><url>{repo_dir.as_uri()}</url>"
        "</mirror></mirrors></settings>")
    purl = publish_maven(world, "org.acme", "mirrored", "3", pom_xml("org.acme", "mirrored", "3",
                                                                        scm="https://github.com/acme/m"), jar={})
    release = ecosystems.get("maven").release(PackageURL.from_string(purl))
    assert release.hints[0].url == "https://github.com/acme/m"
    assert dict(release.artifacts[1].digests).keys() == {"sha1", "sha256"}


def test_changed_resource_in_sources_jar_is_modified(world: World) -> None:
    _, sha = project(world, "resources")
    sources = {"org/acme/Greeter.java": JAVA["src/main/java/org/acme/Greeter.java"],
               "org/acme/util/Strings.java": JAVA["src/main/java/org/acme/util/Strings.java"],
               "org/acme/messages.properties": "hello=Pwned\n", "git.properties": f"git.commit.id={sha}\n"}
    purl = publish_maven(world, "org.acme", "resources", "1.0.0",
                         pom_xml("org.acme", "resources", "1.0.0", scm="https://github.com/acme/resources"),
                         jar=binary_jar(sha), sources=sources)
    result = stages.verify(purl)
    changed = next(r for r in result.file_results if r.path == "org/acme/messages.properties")
    assert changed.status is FileStatus.MODIFIED
    assert changed.source_path == "src/main/resources/org/acme/messages.properties"
    assert changed.diff and "+hello=Pwned" in changed.diff


def test_local_repository_is_consulted_first(world: World, own_home) -> None:
    publish_maven(world, "org.acme", "cached", "1", pom_xml("org.acme", "cached", "1", scm="https://github.com/a/remote"))
    local = own_home / ".m2" / "repository" / "org" / "acme" / "cached" / "1"
    local.mkdir(parents=True)
    (local / "cached-1.pom").write_text(pom_xml("org.acme", "cached", "1", scm="https://github.com/a/local"))
    release = ecosystems.get("maven").release(PackageURL.from_string("pkg:maven/org.acme/cached@1"))
    assert release.hints[0].url == "https://github.com/a/local"


def test_default_repository_comes_from_installed_maven() -> None:
    from ossprov.ecosystems.maven.registry import maven_home, super_pom_central

    if maven_home() is None:
        pytest.skip("Maven is not installed")
    assert (super_pom_central() or "").startswith("https://")


def test_read_manifest_and_tags() -> None:
    eco = ecosystems.get("maven")
    files = {"core/pom.xml": pom_xml("org.acme", "core", "${revision}").encode()}
    manifest = eco.read_manifest(files.get, "core")
    assert manifest and manifest.name == "org.acme:core" and manifest.version is None
    assert "rel/core-1.0" in eco.tag_names("org.acme:core", "1.0")
