"""Cargo.toml: `repository` in `[package]`, edited with tomlkit so comments and layout survive."""

from __future__ import annotations

import re
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

from ossprov.errors import InputError
from ossprov.fix.manifests.base import ManifestEditor, eol_of, web_url
from ossprov.model import Repository, SourceHint


def _parse(text: str) -> Any:
    try:
        return tomlkit.parse(text)
    except TOMLKitError as exc:
        raise InputError(f"Cargo.toml is not valid TOML: {exc}") from None


class CargoToml(ManifestEditor):
    def carries(self, text: str) -> bool:
        """A `[package]` table (a workspace root without one publishes nothing)."""
        try:
            return isinstance(_parse(text).get("package"), dict)
        except InputError:
            return False

    def declared(self, text: str) -> list[SourceHint]:
        repository = _parse(text)["package"].get("repository")
        return [SourceHint(str(repository), "declared-repository")] if isinstance(repository, str) else []

    def apply(self, text: str, target: Repository) -> str:
        doc = _parse(text)
        doc["package"]["repository"] = web_url(target)
        out = tomlkit.dumps(doc)
        return re.sub(r"(?<!\r)\n", "\r\n", out) if eol_of(text) == "\r\n" else out
