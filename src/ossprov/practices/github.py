"""The GitHub REST reads the API-based checks make: one repository, answers cached, through ossprov's GitHub
client (`ossprov.github`: base URL from OSSPROV_GITHUB_API, rate limits waited out, the token only in the
Authorization header and never in a message)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ossprov.errors import RegistryError
from ossprov.github import GitHub, api_base, repo_path
from ossprov.http import HttpClient
from ossprov.source.urls import normalize


def github_slug(url: str | None) -> tuple[str, str] | None:
    """(owner, name) when `url` is a repository on github.com or on the host of the configured API."""
    norm = normalize(url) if url else None
    if norm is None:
        return None
    parts = urlsplit(norm.url)
    hosts = {"github.com", (urlsplit(api_base()).hostname or "").lower()}
    segments = [s for s in parts.path.split("/") if s]
    if (parts.hostname or "").lower() not in hosts or len(segments) != 2:
        return None
    return segments[0], segments[1].removesuffix(".git")


class GitHubApi:
    """Read-only REST access to one repository, each answer fetched once."""

    def __init__(self, owner: str, name: str, token: str, base: str | None = None) -> None:
        self.owner, self.name = owner, name
        self._http = HttpClient(retries=1)
        self._client = GitHub(token, base_url=base, http=self._http)
        self._prefix = repo_path(owner, name)
        self._cache: dict[tuple[str, tuple[tuple[str, Any], ...]], Any] = {}
        self._failure: RegistryError | None = None
        """The first failure to reach the API: later calls fail fast with it instead of retrying again."""

    def get(self, path: str, **params: str | int) -> Any | None:
        """JSON of `/repos/{owner}/{name}{path}`; None when GitHub answers 403 or 404 (no access, no such)."""
        key = (path, tuple(sorted(params.items())))
        if key in self._cache:
            return self._cache[key]
        if self._failure is not None:
            raise self._failure
        try:
            value = self._client.get(self._prefix + path, params=dict(params) or None, allow_404=True,
                                     none_for=(403, 410))
        except RegistryError as exc:
            self._failure = exc
            raise
        self._cache[key] = value
        return value

    def close(self) -> None:
        self._http.close()
