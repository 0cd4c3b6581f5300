"""Maven: a commit embedded in the jar (git.properties, MANIFEST.MF) that is not the pinned commit is OSP116."""

from __future__ import annotations

from ossprov import stages
from ossprov.fixtures.maven import MANIFEST, pom_xml, publish_maven
from ossprov.fixtures.world import World
from ossprov.model import Severity
from tests.ecosystems.test_maven import JAVA, binary_jar

SOURCES = {p.removeprefix("src/main/java/").removeprefix("src/main/resources/"): c for p, c in JAVA.items()}


def tagged_project(world: World, name: str) -> tuple[str, str]:
    """(release commit tagged <name>-1.0.0, a later commit)."""
    repo = world.repo(f"acme/{name}")
    release = repo.commit("release", {"pom.xml": pom_xml("org.acme", name, "1.0.0"), **JAVA})
    repo.tag(f"{name}-1.0.0")
    later = repo.commit("later work", {"NEWS.md": "next\n"})
    return release, later


def mismatches(result) -> list[tuple[Severity, str | None]]:
    return [(f.severity, f.path) for f in result.findings if f.rule == "OSP116"]


def test_git_properties_commit_absent_from_the_repository_is_high(world: World) -> None:
    release, _ = tagged_project(world, "unpushed")
    foreign = "0badc0de" * 5
    purl = publish_maven(world, "org.acme", "unpushed", "1.0.0",
                         pom_xml("org.acme", "unpushed", "1.0.0", scm="https://github.com/acme/unpushed"),
                         jar=binary_jar(foreign))
    result = stages.verify(purl)
    assert result.locate.commit == release
    assert mismatches(result) == [(Severity.HIGH, "git.properties")]
    message = next(f.message for f in result.findings if f.rule == "OSP116")
    assert foreign[:12] in message and release[:12] in message


def test_binary_jar_manifest_commit_checked_when_the_sources_jar_is_compared(world: World) -> None:
    release, later = tagged_project(world, "manifested")
    manifest = MANIFEST + f"Implementation-SCM-Revision: {later[:10]}\r\n"
    jar = {**binary_jar(release), "META-INF/MANIFEST.MF": manifest}
    del jar["git.properties"]
    purl = publish_maven(world, "org.acme", "manifested", "1.0.0",
                         pom_xml("org.acme", "manifested", "1.0.0", scm="https://github.com/acme/manifested"),
                         jar=jar, sources=SOURCES)
    result = stages.verify(purl)
    assert result.locate.commit == release
    # the sources jar's comparison checks the binary jar's manifest, and the binary jar is verified too
    assert mismatches(result) == [(Severity.HIGH, "manifested-1.0.0.jar!META-INF/MANIFEST.MF"),
                                  (Severity.HIGH, "META-INF/MANIFEST.MF")]
    assert {f.artifact for f in result.findings if f.rule == "OSP116"} == {"manifested-1.0.0-sources.jar",
                                                                          "manifested-1.0.0.jar"}


def test_abbreviated_agreeing_commit_is_no_finding(world: World) -> None:
    release, _ = tagged_project(world, "short")
    manifest = MANIFEST + f"Implementation-SCM-Revision: {release[:10]}\r\n"
    jar = {**binary_jar(release), "META-INF/MANIFEST.MF": manifest}
    del jar["git.properties"]
    purl = publish_maven(world, "org.acme", "short", "1.0.0",
                         pom_xml("org.acme", "short", "1.0.0", scm="https://github.com/acme/short"),
                         jar=jar, sources=SOURCES)
    result = stages.verify(purl)
    assert result.locate.commit == release
    assert mismatches(result) == []
