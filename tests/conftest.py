"""Shared fixtures: an isolated environment and a local world (git forge + loopback registry)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from ossprov import http
from ossprov.fixtures.world import World
from ossprov.report.jsonout import schema


@pytest.fixture(autouse=True)
def isolated(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Caches, data and config of ossprov and git live in a fresh directory for every test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("OSSPROV_CACHE", str(home / "cache"))
    monkeypatch.setenv("OSSPROV_DATA", str(home / "data"))
    monkeypatch.setenv("OSSPROV_CONFIG", str(home / "config.toml"))
    monkeypatch.setenv("OSSPROV_TIMEOUT", "5")
    monkeypatch.setenv("OSSPROV_METADATA_MAX_AGE", "0")  # tests republish within a run: always revalidate
    monkeypatch.setenv("OSSPROV_DAEMON", "off")  # commands run in the test's own processes (tests/transport/test_daemon.py)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(home / "run"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / "gitconfig"))
    for var in ("OSSPROV_NPM_REGISTRY", "OSSPROV_PYPI_INDEX", "OSSPROV_NUGET_SOURCE", "OSSPROV_MAVEN_REPOSITORY",
                "OSSPROV_DB"):
        monkeypatch.delenv(var, raising=False)
    http.reset_client()
    yield home
    http.reset_client()


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    w = World(tmp_path / "world").start()
    for key, value in w.environment().items():
        monkeypatch.setenv(key, value)
    http.reset_client()
    yield w
    w.stop()


def npm_project(world: World, owner_name: str, name: str, version: str, files: dict[str, str] | None = None,
                **kwargs: object) -> tuple:
    """A repository holding an npm package (see World.npm_project)."""
    return world.npm_project(owner_name, name, version, files, **kwargs)


def results(text: str) -> list[dict]:
    """The per-package documents of a command's `--format json` output, checked against the published schema
    (every command prints one document shape)."""
    doc = json.loads(text)
    jsonschema.validate(doc, schema())
    return doc["results"]


def only_result(text: str) -> dict:
    """The one per-package document of a command run on one package."""
    (doc,) = results(text)
    return doc
