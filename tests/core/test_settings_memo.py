"""Settings are built once per state of what they come from: a run asking a hundred times reads the config file
once, and a changed variable or an edited config file gives the new settings at once (batch workers and tests
change the environment within one process)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ossprov import config
from ossprov.errors import InputError


def test_settings_follow_the_environment_and_the_config_file(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = Path(os.environ["OSSPROV_CONFIG"])
    path.write_text('[http]\ngit_deadline = 30\n[registries]\nnpm = "http://127.0.0.1:1/npm/"\n')
    os.utime(path, (os.stat(path).st_atime - 10, os.stat(path).st_mtime - 10))  # not changed this instant
    assert config.settings().git_deadline == 30.0
    assert config.settings() is config.settings()  # built once for one state
    assert config.explicit_registry("npm") == "http://127.0.0.1:1/npm/"
    monkeypatch.setenv("OSSPROV_GIT_DEADLINE", "7")
    monkeypatch.setenv("OSSPROV_NPM_REGISTRY", "http://127.0.0.1:2/npm/")
    assert config.settings().git_deadline == 7.0
    assert config.explicit_registry("npm") == "http://127.0.0.1:2/npm/"
    monkeypatch.delenv("OSSPROV_GIT_DEADLINE")
    path.write_text('[http]\ngit_deadline = 45\noffline = true\n')
    assert config.settings().git_deadline == 45.0 and config.settings().offline
    monkeypatch.setenv("OSSPROV_CACHE", str(tmp_path / "elsewhere"))
    assert config.settings().cache_dir == tmp_path / "elsewhere"
    other = tmp_path / "other.toml"
    other.write_text('[cache]\ndir = "/nonexistent/ossprov-cache"\n')
    monkeypatch.delenv("OSSPROV_CACHE")
    monkeypatch.setenv("OSSPROV_CONFIG", str(other))
    assert config.settings().cache_dir == Path("/nonexistent/ossprov-cache")
    assert config.config_value("cache", "dir") == "/nonexistent/ossprov-cache"


def test_a_bad_duration_is_refused_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSSPROV_GIT_DEADLINE", "soon")
    for _ in range(2):  # a refusal is not remembered as settings
        with pytest.raises(InputError, match="OSSPROV_GIT_DEADLINE"):
            config.settings()


def test_a_second_edit_in_the_same_instant_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two edits of the same size with the same modification time (one clock tick): the second is seen."""
    path = Path(os.environ["OSSPROV_CONFIG"])
    path.write_text("[http]\ngit_deadline = 30\n")
    when = os.stat(path).st_mtime_ns
    assert config.settings().git_deadline == 30.0
    path.write_text("[http]\ngit_deadline = 45\n")
    os.utime(path, ns=(when, when))
    assert config.settings().git_deadline == 45.0
    assert config.config_value("http", "git_deadline") == 45
