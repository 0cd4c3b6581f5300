"""pyproject.toml: `Source` in `[project.urls]`, edited with tomlkit so comments and layout survive."""

from __future__ import annotations

import re
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

from ossprov.errors import InputError
from ossprov.fix.manifests.base import (
    ManifestEditor,
    eol_of,
    is_source_label,
    names_repository,
    project_url_hints,
    web_url,
)
from ossprov.model import Repository, SourceHint


def _project(text: str) -> tuple[Any, Any]:
    try:
        doc = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise InputError(f"pyproject.toml is not valid TOML: {exc}") from None
    return doc, doc.get("project")


class PyprojectToml(ManifestEditor):
    def carries(self, text: str) -> bool:
        """Only a static `[project]` table can carry the URL: `dynamic = ["urls"]` hands it to setup.py/cfg."""
        try:
            _, project = _project(text)
        except InputError:
            return False
        return isinstance(project, dict) and "urls" not in project.get("dynamic", [])

    def declared(self, text: str) -> list[SourceHint]:
        _, project = _project(text)
        urls = project.get("urls") if isinstance(project, dict) else None
        return project_url_hints({str(k): str(v) for k, v in urls.items()}) if isinstance(urls, dict) else []

    def apply(self, text: str, target: Repository) -> str:
        url = web_url(target)
        doc, project = _project(text)
        urls = project.get("urls")
        if urls is None:
            urls = tomlkit.table()
            urls.add("Source", url)
            urls.add(tomlkit.nl())
            project.append("urls", urls)
        else:
            wrong = [k for k, v in urls.items() if is_source_label(k) and not names_repository(str(v), url)]
            urls[wrong[0] if wrong else "Source"] = url
        out = tomlkit.dumps(doc)
        if out.endswith("\n\n") and not text.endswith("\n\n"):
            out = out[:-1]
        if eol_of(text) == "\r\n":
            out = re.sub(r"(?<!\r)\n", "\r\n", out)
        return out
