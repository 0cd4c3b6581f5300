"""The Maven (and Gradle) rebuild recipe: dependencies resolved from the configured repository in the install
phase (the only one with network), then the jar built offline and copied to {out}."""

from __future__ import annotations

from pathlib import Path

from ossprov.ecosystems.maven import buildtool
from ossprov.ecosystems.maven.registry import repository_url
from ossprov.errors import InputError
from ossprov.model import PackageTree
from ossprov.verify.recipe import Recipe, Step, Unbuildable, mismatch_notes, tool_version

MAVEN = ("mvn", "-B", "-s", "{home}/settings.xml", "-Dmaven.repo.local={home}/m2")
"""Every mvn run: batch mode, our settings.xml (one mirror: the configured repository), a private local
repository in the build directory."""
GO_OFFLINE = "org.apache.maven.plugins:maven-dependency-plugin:3.6.1:go-offline"
"""Fully qualified, so that no plugin-prefix metadata is needed (a local repository used as a mirror has none)."""


def _jar_toolchain(published: PackageTree | None, tool: str) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """(original toolchain, host toolchain, notes) of a jar build: JDK, and Maven's version for Maven."""
    toolchain: dict[str, str] = {}
    notes: list[str] = []
    jdk = buildtool.original_jdk(published)
    if jdk:
        toolchain["jdk"] = jdk[0]
        notes.append(f"original JDK from {jdk[1]}")
    host = {"jdk": buildtool.jdk_release(buildtool.host_version(tool_version(("javac", "-version")))) or ""}
    maven = buildtool.original_maven(published) if tool == "maven" else None
    if maven:
        toolchain["maven"] = maven
    if tool == "maven":
        host["maven"] = buildtool.host_version(tool_version(("mvn", "-v", "-B"))) or ""
    host = {k: v for k, v in host.items() if v}
    return toolchain, host, notes + mismatch_notes(toolchain, host)


def infer(source: Path, subdir: str, published: PackageTree | None, artifact_filename: str) -> Recipe:
    """Maven: dependencies resolved from the configured repository in the install phase (the only one with
    network), then `mvn -o -DskipTests package` offline; Gradle: `assemble` offline. The jar is copied to {out}."""
    sub = source / subdir
    tool = buildtool.build_tool({p.name for p in sub.iterdir()} if sub.is_dir() else set())
    if tool is None:
        raise Unbuildable(f"no pom.xml or build.gradle at {subdir or 'the repository root'}")
    if not artifact_filename.endswith(".jar"):
        raise Unbuildable(f"only jars are rebuilt, not {artifact_filename}")
    kind = "sources-jar" if artifact_filename.endswith("-sources.jar") else "jar"
    toolchain, host, notes = _jar_toolchain(published, tool)
    files: dict[str, str] = {}
    if tool == "maven":
        try:
            files["settings.xml"] = buildtool.settings_xml(repository_url())
        except InputError as exc:
            raise Unbuildable(str(exc)) from None
        goals = ("package", "source:jar-no-fork") if kind == "sources-jar" else ("package",)
        steps = [Step("install", (*MAVEN, GO_OFFLINE), subdir, network=True),
                 Step("build", (*MAVEN, "-o", "-DskipTests", *goals), subdir)]
        target = "target"
    else:
        gradle = "./gradlew" if (sub / "gradlew").is_file() else "gradle"
        steps = [Step("build", (gradle, "--no-daemon", "--offline", "-x", "test", "assemble"), subdir)]
        target = "build/libs"
        notes.append("Gradle runs offline: its dependencies must already be in the build's Gradle home")
    steps.append(Step("build", ("cp", f"{target}/{artifact_filename}", "{out}/"), subdir))
    env = {"MAVEN_OPTS": "-Duser.home={home}", "GRADLE_USER_HOME": "{home}/gradle"}
    return Recipe("maven", kind, subdir, tuple(steps), artifact_filename, env, toolchain, host, tuple(notes),
                  files=files)


