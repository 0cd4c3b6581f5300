"""What the Go and cargo tests share: pointing ossprov at a world's extra registry, and the high findings."""

from __future__ import annotations

import pytest

from ossprov import http
from ossprov.model import Finding, Severity, VerifyResult


def point_at(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    http.reset_client()


def highs(result: VerifyResult) -> list[Finding]:
    return [f for f in result.findings if f.severity is Severity.HIGH]
