"""A real Maven rebuild: a tiny project built with mvn outside, "published", then rebuilt by the inferred recipe
and compared after the jar stabilisers.

Tests never reach beyond 127.0.0.1, so the plugins mvn needs must already be in the user's local repository
(~/.m2/repository), which then serves as the rebuild's repository through a file:// mirror. On a machine whose
~/.m2 lacks them the test is skipped. The build runs in the bubblewrap sandbox, which shows it the file://
repository read-only.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ossprov.ecosystems.maven.recipe import GO_OFFLINE
from ossprov.verify.rebuild import Outcome, RebuildOptions, rebuild
from ossprov.verify.sandbox import Limits
from tests.rebuild.conftest import Make, located, release

LOCAL = Path.home() / ".m2" / "repository"
PLUGINS = {"maven-jar-plugin": "3.3.0", "maven-compiler-plugin": "3.11.0", "maven-resources-plugin": "3.3.1",
           "maven-surefire-plugin": "3.2.2", "maven-dependency-plugin": GO_OFFLINE.split(":")[2]}
POM = f"""<?xml version="1.0"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.acme</groupId><artifactId>seed</artifactId><version>1.0.0</version><packaging>jar</packaging>
  <properties><maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding></properties>
  <build><plugins>{"".join(f'''
    <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>{a}</artifactId><version>{v}</version></plugin>'''
                             for a, v in PLUGINS.items() if a != "maven-dependency-plugin")}
  </plugins></build>
</project>
"""
FILES = {"pom.xml": POM, "src/main/java/org/acme/Seed.java": "package org.acme;\npublic class Seed {}\n",
         "src/main/resources/org/acme/seed.properties": "seed=1\n"}
MISSING = [f"{a}:{v}" for a, v in PLUGINS.items() if not (LOCAL / "org/apache/maven/plugins" / a / v).is_dir()]
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    shutil.which("mvn") is None or bool(MISSING),
    reason=f"needs mvn and these plugins in {LOCAL} (tests do not download): {', '.join(MISSING) or 'mvn'}")]


@pytest.mark.timeout(900)
def test_maven_rebuild_is_equal_after_stabilising(make_repo: Make, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    repo, sha = make_repo("seed", FILES)
    subprocess.run(["mvn", "-B", "-q", "-o", "-DskipTests", "package"], cwd=repo, check=True, timeout=600)
    published = tmp_path / "seed-1.0.0.jar"
    shutil.copy(repo / "target" / "seed-1.0.0.jar", published)
    monkeypatch.setenv("OSSPROV_MAVEN_REPOSITORY", LOCAL.as_uri())
    options = RebuildOptions(limits=Limits(wall_seconds=600), workdir_parent=tmp_path)
    result = rebuild(located("pkg:maven/org.acme/seed@1.0.0", repo, sha), published,
                     release("maven", "org.acme:seed"), options)
    assert result.outcome in (Outcome.BIT_FOR_BIT, Outcome.STABILIZED), (result.reason, result.log_tail)
    assert result.recipe and result.recipe.toolchain.get("jdk") == "17"
    assert not result.findings
    if result.outcome is Outcome.STABILIZED:
        assert "zip-timestamps" in result.needed_stabilizers
