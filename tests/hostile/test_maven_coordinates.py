"""A hostile parent POM names coordinates with `..` in them: the path built from them must not reach a
`*-VERSION.pom` outside the Maven repository (here, one beside the user's home)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ossprov.fixtures.maven import pom_xml, publish_maven
from ossprov.fixtures.world import World
from tests.hostile.conftest import leaks, ossprov

SECRET = "MAVEN-PRIVATE-POM-5c1e"


def test_parent_coordinates_cannot_leave_the_local_repository(world: World, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    local = home / ".m2" / "repository"
    (local / "x").mkdir(parents=True)
    (home / "outside" / "1").mkdir(parents=True)
    private = home.parent / "outside-1.pom"
    private.write_text(pom_xml("org.private", "outside", "1", scm=f"https://github.com/acme/{SECRET}"))
    parent = ("x", "../../../outside", "1")
    layout = f"x/{parent[1]}/1/{parent[1]}-1.pom"
    assert os.path.realpath(local / layout) == str(private)  # without the check, this is what would be read
    monkeypatch.setenv("HOME", str(home))
    purl = publish_maven(world, "org.acme", "child", "2.0", pom_xml("org.acme", "child", "2.0", parent=parent),
                         jar={})
    proc = ossprov("verify", purl, "--format", "json")
    assert not leaks(SECRET, proc, home / ".m2", tmp_path / "world" / "work")
    assert proc.returncode == 3, proc.stderr
    assert "refused Maven coordinates" in proc.stderr and len(proc.stderr.splitlines()) == 1
