"""Fixtures for the squat tests: a private data directory (so a loaded popular list never leaks between
tests) and a fake registry standing in for `ossprov.ecosystems.get`."""

from __future__ import annotations

from pathlib import Path

import pytest

from ossprov.ecosystems.interface import PackageHistory


class FakeRegistry:
    """Answers `history` from a dict and counts the look-ups; unknown names are None, as the registry says."""

    def __init__(self, known: dict[str, PackageHistory]) -> None:
        self.known = known
        self.asked: list[str] = []

    def history(self, name: str) -> PackageHistory | None:
        self.asked.append(name)
        return self.known.get(name)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data"
    monkeypatch.setenv("OSSPROV_DATA", str(path))
    monkeypatch.setenv("OSSPROV_CONFIG", str(tmp_path / "none.toml"))
    return path


@pytest.fixture
def fake_registry(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Install a FakeRegistry for the given histories; returns a function taking the histories."""

    def install(known: dict[str, PackageHistory]) -> FakeRegistry:
        registry = FakeRegistry(known)
        monkeypatch.setattr("ossprov.ecosystems.get", lambda eco: registry)
        return registry

    return install
