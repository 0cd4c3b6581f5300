"""A Maven repository given as a file:// URL works end to end: release metadata, download, digest, verify."""

from __future__ import annotations

from pathlib import Path

import pytest

from ossprov import http, stages
from ossprov.errors import OssprovError
from ossprov.fixtures.maven import pom_xml, publish_maven
from ossprov.fixtures.world import World
from ossprov.model import Severity, Verdict
from tests.ecosystems.test_maven import binary_jar, project


def _file_download_supported(tmp_path: Path) -> bool:
    probe = tmp_path / "probe.txt"
    probe.write_text("x")
    try:
        http.client().download(probe.as_uri(), tmp_path / "copy.txt")
    except OssprovError:
        return False
    return (tmp_path / "copy.txt").read_text() == "x"


def test_file_repository_end_to_end(world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    if not _file_download_supported(tmp_path):
        pytest.skip("ossprov.http downloads no file:// URLs yet")
    _, sha = project(world, "ondisk")
    purl = publish_maven(world, "org.acme", "ondisk", "1.0.0",
                         pom_xml("org.acme", "ondisk", "1.0.0", scm="https://github.com/acme/ondisk"),
                         jar=binary_jar(sha))
    repository = (world.root / "registry" / "maven").as_uri() + "/"
    monkeypatch.setenv("OSSPROV_MAVEN_REPOSITORY", repository)
    result = stages.verify(purl)
    artifact = result.locate.artifact
    assert artifact and artifact.source == repository + "org/acme/ondisk/1.0.0/ondisk-1.0.0.jar"
    assert artifact.digest_ok is True
    assert result.locate.commit == sha
    assert result.verdict is not Verdict.UNVERIFIABLE
    assert not [f for f in result.findings if f.severity is Severity.HIGH], result.findings
