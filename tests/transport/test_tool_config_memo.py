"""npm's registry and pip's index are asked once per state of their configuration, not on every run."""

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
        config._npm_registry_in.cache_clear()
        return config.npm_configured_registry()

    assert ask() == "https://npm.example/"
    assert ask() == "https://npm.example/"
    assert calls.read_text().count("called") == 1
    (home / ".npmrc").write_text("registry=https://other.example/\n")
    ask()
    monkeypatch.setenv("npm_config_registry", "https://third.example/")
    ask()
    assert calls.read_text().count("called") == 3


def test_pip_index_follows_pip_config_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conf = tmp_path / "pip.conf"
    conf.write_text("[global]\nindex-url = https://first.example/simple/\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)

    def ask() -> str | None:
        config.pip_configured_index.cache_clear()
        return config.pip_configured_index()

    assert ask() == "https://first.example/simple/"
    assert ask() == "https://first.example/simple/"
    conf.write_text("[global]\nindex-url = https://second.example/simple/\n")
    assert ask() == "https://second.example/simple/"
