"""npm's configured registry is asked once per state of npm's configuration, not on every run."""

from __future__ import annotations

from pathlib import Path

import pytest

from ossprov import config


def test_npm_is_asked_again_only_when_its_configuration_changes(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    calls = tmp_path / "calls"
    bindir = tmp_path / "bin"
    bindir.mkdir()
    npm = bindir / "npm"
    npm.write_text(f'#!/bin/sh\necho called >> "{calls}"\necho https://npm.example/\n')
    npm.chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("PATH", str(bindir))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)

    def ask() -> str | None:
        config.npm_configured_registry.cache_clear()
        return config.npm_configured_registry()

    assert ask() == "https://npm.example/"
    assert ask() == "https://npm.example/"
    assert calls.read_text().count("called") == 1
    (home / ".npmrc").write_text("registry=https://other.example/\n")
    ask()
    monkeypatch.setenv("npm_config_registry", "https://third.example/")
    ask()
    assert calls.read_text().count("called") == 3
