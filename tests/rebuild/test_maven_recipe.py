"""Maven rebuilds without network: recipe inference (tool, JDK, settings.xml), the jar stabilisers, and an
unresolvable build that ends as build-failed with its reason instead of hanging."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest

from ossprov import ecosystems
from ossprov.fixtures.maven import pom_xml
from ossprov.model import PackageFile, PackageTree
from ossprov.verify import stabilize
from ossprov.verify.rebuild import Outcome, RebuildOptions, rebuild
from ossprov.verify.recipe import Unbuildable
from ossprov.verify.sandbox import Limits
from tests.rebuild.conftest import Make, located, release
from tests.rebuild.rebuild_archives import write_zip

POM = pom_xml("org.acme", "greeter", "1.0.0")
JAVA = {"pom.xml": POM, "src/main/java/org/acme/Greeter.java": "package org.acme;\npublic class Greeter {}\n"}
REPOSITORY = "http://127.0.0.1:9/maven/"


@pytest.fixture(autouse=True)
def _repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSSPROV_MAVEN_REPOSITORY", REPOSITORY)


def _class(major: int) -> bytes:
    return b"\xca\xfe\xba\xbe" + struct.pack(">HH", 0, major) + b"rest"


def _jar_tree(manifest: str | None, major: int = 61) -> PackageTree:
    files = {"org/acme/Greeter.class": _class(major)}
    if manifest is not None:
        files["META-INF/MANIFEST.MF"] = manifest.encode()
    return PackageTree({p: PackageFile(p, d) for p, d in files.items()})


def _source(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def test_maven_recipe_builds_offline_from_the_configured_repository(tmp_path: Path) -> None:
    published = _jar_tree("Manifest-Version: 1.0\r\nCreated-By: Apache Maven 3.9.6\r\nBuild-Jdk-Spec: 11\r\n")
    recipe = ecosystems.get("maven").recipe(_source(tmp_path, JAVA), "", release("maven", "org.acme:greeter"), published,
                   "greeter-1.0.0.jar")
    install, build, collect = recipe.steps
    assert install.phase == "install" and install.network and install.argv[-1].endswith(":go-offline")
    assert build.phase == "build" and not build.network
    assert {"-o", "-DskipTests", "package", "-B"} <= set(build.argv)
    assert collect.argv == ("cp", "target/greeter-1.0.0.jar", "{out}/") and recipe.output == "greeter-1.0.0.jar"
    assert f"<url>{REPOSITORY}</url>" in recipe.files["settings.xml"]
    assert "<mirrorOf>*</mirrorOf>" in recipe.files["settings.xml"]
    assert recipe.toolchain == {"jdk": "11", "maven": "3.9.6"}
    assert "original JDK from MANIFEST.MF build-jdk-spec: 11" in recipe.notes
    if shutil.which("javac"):
        assert recipe.host["jdk"] and any(n.startswith("original jdk 11, building with") for n in recipe.notes) \
            == (recipe.host["jdk"] != "11")


@pytest.mark.parametrize("manifest, major, jdk", [
    ("Manifest-Version: 1.0\r\nBuild-Jdk: 1.8.0_292\r\n", 52, "8"),
    (None, 52, "8"),
    ("Manifest-Version: 1.0\r\n", 65, "21"),
    (None, 45, None),
])
def test_jdk_from_manifest_or_class_file_version(tmp_path: Path, manifest: str | None, major: int,
                                                 jdk: str | None) -> None:
    recipe = ecosystems.get("maven").recipe(_source(tmp_path, JAVA), "", release("maven", "g:a"), _jar_tree(manifest, major),
                   "a-1.0.0.jar")
    assert recipe.toolchain.get("jdk") == jdk


def test_sources_jar_and_gradle_and_missing_build(tmp_path: Path) -> None:
    src = _source(tmp_path, {**JAVA, "lib/build.gradle.kts": "plugins { java }\n", "lib/gradlew": "#!/bin/sh\n",
                             "docs/README.md": "docs\n"})
    sources = ecosystems.get("maven").recipe(src, "", release("maven", "g:a"), None, "greeter-1.0.0-sources.jar")
    assert sources.artifact_kind == "sources-jar" and "source:jar-no-fork" in sources.steps[1].argv
    gradle = ecosystems.get("maven").recipe(src, "lib", release("maven", "g:lib"), None, "lib-1.0.0.jar")
    assert gradle.steps[0].argv[:2] == ("./gradlew", "--no-daemon") and "--offline" in gradle.steps[0].argv
    assert gradle.steps[-1].argv == ("cp", "build/libs/lib-1.0.0.jar", "{out}/") and not gradle.files
    with pytest.raises(Unbuildable, match=r"no pom\.xml or build\.gradle at docs"):
        ecosystems.get("maven").recipe(src, "docs", release("maven", "g:d"), None, "d-1.0.jar")
    with pytest.raises(Unbuildable, match="only jars"):
        ecosystems.get("maven").recipe(src, "", release("maven", "g:a"), None, "greeter-1.0.0.pom")


# --- jar stabilisers ----------------------------------------------------------------------------------------------
MANIFEST = "Manifest-Version: 1.0\r\nCreated-By: Maven JAR Plugin 3.3.0\r\nBuild-Jdk-Spec: 17\r\n\r\n"
POM_PROPERTIES = "artifactId=greeter\ngroupId=org.acme\nversion=1.0.0\n"
JAR = {"META-INF/MANIFEST.MF": MANIFEST.encode(), "org/acme/Greeter.class": _class(61),
       "META-INF/maven/org.acme/greeter/pom.properties": POM_PROPERTIES.encode()}
SIGNED_MANIFEST = (MANIFEST + "Name: org/acme/Greeter.class\r\nSHA-256-Digest: abc=\r\n\r\n").encode()
JAR_CASES = {
    "jar-manifest-build-attributes": {"META-INF/MANIFEST.MF": (
        b"Manifest-Version: 1.0\r\nCreated-By: Apache Maven 3.8.7\r\nBuilt-By: jenkins-agent-with-a-very-long-name-"
        b"that-folds\r\n ed-onto-two-lines\r\nBuild-Jdk: 17.0.2\r\nBuild-Jdk-Spec: 17\r\n\r\n")},
    "pom-properties-header": {"META-INF/maven/org.acme/greeter/pom.properties":
                              ("#Generated by Maven\n#Thu Jun 01 12:00:00 UTC 2023\n" + POM_PROPERTIES).encode()},
    "jar-signatures": {"META-INF/MANIFEST.MF": SIGNED_MANIFEST, "META-INF/RELEASE.SF": b"Signature-Version: 1.0\r\n",
                       "META-INF/RELEASE.RSA": b"\x30\x82binary"},
}


@pytest.mark.parametrize("case", sorted(JAR_CASES))
def test_jar_stabiliser_alone_makes_equal(tmp_path: Path, case: str) -> None:
    published = write_zip(tmp_path / "p.jar", {**JAR, **JAR_CASES[case]}, date=(2023, 6, 1, 12, 0, 0))
    rebuilt = write_zip(tmp_path / "r.jar", JAR, date=(2024, 2, 2, 8, 0, 0), reverse=True)
    result = stabilize.compare(published, rebuilt)
    assert result.stabilized_equal and not result.raw_equal
    needed = {s.name for s in result.stabilizers if s.needed}
    assert case in needed and "zip-timestamps" in needed


def test_jar_stabilisers_keep_real_differences(tmp_path: Path) -> None:
    changed_attribute = MANIFEST.replace("Manifest-Version: 1.0\r\n", "Manifest-Version: 1.0\r\nMain-Class: Evil\r\n")
    for variant in ({"org/acme/Greeter.class": _class(61) + b"injected"},
                    {"META-INF/MANIFEST.MF": changed_attribute.encode()},
                    {"META-INF/maven/org.acme/greeter/pom.properties": b"version=6.6.6\n"}):
        published = write_zip(tmp_path / "p.jar", {**JAR, **variant})
        rebuilt = write_zip(tmp_path / "r.jar", JAR, reverse=True)
        assert not stabilize.compare(published, rebuilt).stabilized_equal, variant


# --- a build that cannot resolve its dependencies ------------------------------------------------------------------
@pytest.mark.timeout(240)
@pytest.mark.skipif(shutil.which("mvn") is None, reason="Maven (mvn) is not installed")
def test_unresolvable_dependencies_end_as_build_failed(make_repo: Make, tmp_path: Path) -> None:
    repo, sha = make_repo("greeter", JAVA)
    published = write_zip(tmp_path / "greeter-1.0.0.jar", JAR)
    options = RebuildOptions(offline=True, limits=Limits(wall_seconds=180), workdir_parent=tmp_path)
    result = rebuild(located("pkg:maven/org.acme/greeter@1.0.0", repo, sha), published,
                     release("maven", "org.acme:greeter"), options)
    assert result.outcome is Outcome.BUILD_FAILED, (result.reason, result.log_tail)
    assert result.failed_phase == "install" and "exit code" in result.reason
    assert "BUILD FAILURE" in result.log_tail and not result.steps[0]["timed_out"]
