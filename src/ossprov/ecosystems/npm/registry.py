"""The npm registry: its base URL from ossprov's configuration or npm's own, and a package's packument URL."""

from __future__ import annotations

from urllib.parse import quote

from ossprov.config import explicit_registry, npm_configured_registry
from ossprov.errors import InputError


def registry_url() -> str:
    """The npm registry base URL, with a trailing slash."""
    url = explicit_registry("npm") or npm_configured_registry()
    if not url:
        raise InputError("no npm registry configured: set OSSPROV_NPM_REGISTRY or `npm config set registry`")
    return url if url.endswith("/") else url + "/"


def packument_url(name: str) -> str:
    return registry_url() + quote(name, safe="@")
