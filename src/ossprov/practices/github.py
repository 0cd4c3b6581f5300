"""The few GitHub REST reads the API-based checks make, through ossprov's one HTTP client.

The base URL comes from OSSPROV_GITHUB_API (GitHub Enterprise, or a loopback server in tests); the token
comes from an environment variable the user names, travels only in the Authorization header and never
appears in a message: errors name the URL through `ossprov.http.redact`.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any
from urllib.parse import urlsplit

from ossprov.errors import RegistryError
from ossprov.http import HttpClient, redact

DEFAULT_API = "https://api.github.com"
API_ENV = "OSSPROV_GITHUB_API"
_SLUG = re.compile(r"^/?(?P<owner>[A-Za-z0-9_.-]+)/(?P<name>[A-Za-z0-9_.-]+?)(?:\.git)?/?$")


def api_base() -> str:
    return (os.environ.get(API_ENV) or DEFAULT_API).rstrip("/")


def github_slug(url: str | None) -> tuple[str, str] | None:
    """(owner, name) when `url` is a repository on github.com or on the host of the configured API."""
    if not url:
        return None
    if url.startswith("git@") and ":" in url:
        host, _, path = url[4:].partition(":")
    else:
        parts = urlsplit(url)
        host, path = parts.hostname or "", parts.path
    api_host = urlsplit(api_base()).hostname or ""
    if host.lower() not in {"github.com", "www.github.com", api_host.lower()}:
        return None
    match = _SLUG.match(path)
    return (match["owner"], match["name"]) if match else None


class GitHubApi:
    """Read-only REST access to one repository."""

    def __init__(self, owner: str, name: str, token: str, base: str | None = None) -> None:
        self.owner, self.name = owner, name
        self.base = (base or api_base()).rstrip("/")
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }
        self._http = HttpClient(retries=1)
        self._cache: dict[str, Any] = {}
        self._failure: RegistryError | None = None
        """The first failure to reach the API: later calls fail fast with it instead of retrying again."""

    def get(self, path: str, **params: str | int) -> Any | None:
        """JSON of `/repos/{owner}/{name}{path}`; None when GitHub answers 403 or 404 (no access, no such)."""
        url = f"{self.base}/repos/{self.owner}/{self.name}{path}"
        key = url + json.dumps(params, sort_keys=True)
        if key in self._cache:
            return self._cache[key]
        if self._failure is not None:
            raise self._failure
        try:
            response = self._http.request("GET", url, headers=self._headers, params=params)
        except RegistryError as exc:
            self._failure = exc
            raise
        if response.status_code in (401,):
            raise RegistryError(f"GitHub API refused the token (401 from {redact(url)})")
        if response.status_code in (403, 404, 410):
            value = None
        elif response.status_code >= 400:
            raise RegistryError(f"{response.status_code} from {redact(url)}")
        else:
            try:
                value = json.loads(response.content)
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise RegistryError(f"answer from {redact(url)} is not valid JSON") from None
        self._cache[key] = value
        return value

    def close(self) -> None:
        self._http.close()
