"""Helpers for the dependency-file and scan-report tests: fixture files are written by the tests."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest


def sri(data: bytes, algorithm: str = "sha512") -> str:
    """The integrity string npm/yarn/pnpm write for `data`."""
    return f"{algorithm}-" + base64.b64encode(hashlib.new(algorithm, data).digest()).decode()


def hexof(data: bytes, algorithm: str = "sha512") -> str:
    return hashlib.new(algorithm, data).hexdigest()


def line_of(text: str, line: str, *, first: bool = False) -> int:
    """1-based number of the line whose stripped text is exactly `line` (unique, unless `first` is asked)."""
    lines = [n for n, raw in enumerate(text.splitlines(), 1) if raw.strip() == line]
    assert lines and (first or len(lines) == 1), f"{line!r} found on lines {lines}"
    return lines[0]


@pytest.fixture
def digest() -> Callable[..., str]:
    return hexof


@pytest.fixture
def integrity() -> Callable[..., str]:
    return sri


@pytest.fixture
def line() -> Callable[..., int]:
    return line_of


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a fixture file under tmp_path (parents created) and return its path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return _write
