"""Fixtures for the `ossprov fix` tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def forge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory standing in for github.com: `https://github.com/<o>/<r>` clones `<forge>/<o>/<r>`.

    Done with git's own `url.<base>.insteadOf`, passed through GIT_CONFIG_* so the real clone path is used.
    """
    root = tmp_path / "forge"
    root.mkdir()
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", f"url.file://{root}/.insteadOf")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "https://github.com/")
    monkeypatch.setenv("OSSPROV_CACHE", str(tmp_path / "cache"))
    return root
