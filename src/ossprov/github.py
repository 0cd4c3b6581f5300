"""A small GitHub REST client over `ossprov.http`: base URL from OSSPROV_GITHUB_API, a token from an
environment variable the user names, patience with rate limits.

GitHub answers a spent rate limit with 403 (or 429) and says when to come back, in `Retry-After` or in
`x-ratelimit-remaining: 0` plus `x-ratelimit-reset`; the client waits that long (capped) and tries again
instead of failing a half-done operation. The token is sent only in the Authorization header and never
appears in a message, a log record or a repr.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from collections.abc import Callable
from typing import Any

from ossprov.errors import InputError, NotFoundError, RegistryError
from ossprov.http import HttpClient, client, retry_after

API_ENV = "OSSPROV_GITHUB_API"
DEFAULT_API = "https://api.github.com"
RATE_LIMIT_WAITS = 3
"""How many times a rate-limited request is retried after waiting."""
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
log = logging.getLogger(__name__)


class GitHubError(RegistryError):
    """GitHub refused or failed a request (exit code 3)."""


def api_base() -> str:
    return (os.environ.get(API_ENV) or DEFAULT_API).rstrip("/")


def repo_path(owner: str, name: str) -> str:
    """`/repos/{owner}/{name}`, refusing names that could smuggle another path into the URL."""
    if not (_NAME.match(owner) and _NAME.match(name)) or ".." in (owner, name):
        raise InputError(f"not a GitHub repository name: {owner}/{name}")
    return f"/repos/{owner}/{name}"


class GitHub:
    def __init__(self, token: str | None, *, base_url: str | None = None, http: HttpClient | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._token = token
        self.base_url = (base_url or api_base()).rstrip("/")
        self._http = http or client()
        self._sleep = sleep

    @classmethod
    def from_env(cls, token_env: str, **kwargs: Any) -> GitHub:
        """A client authenticated with the token in environment variable `token_env` (InputError if unset)."""
        token = os.environ.get(token_env, "").strip()
        if not token:
            raise InputError(f"environment variable {token_env} holds no GitHub token")
        return cls(token, **kwargs)

    def __repr__(self) -> str:
        return f"GitHub({self.base_url!r}, authenticated={self._token is not None})"

    @property
    def token(self) -> str | None:
        """For handing to git through its environment; never print it."""
        return self._token

    def request(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None,
                allow_404: bool = False, none_for: tuple[int, ...] = ()) -> Any:
        """The decoded JSON answer (None for 204, for 404 when `allow_404`, and for the statuses in
        `none_for`, e.g. 403 for what the token may not see); waits out rate limits."""
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        for attempt in range(RATE_LIMIT_WAITS + 1):
            response = self._http.request(method, self.base_url + path, headers=headers, json=json, params=params)
            wait = retry_after(response) if response.status_code in (403, 429) else None
            if wait is None or attempt == RATE_LIMIT_WAITS:
                break
            log.info("GitHub rate limit on %s %s: waiting %.0f s", method, path, wait)
            self._sleep(wait)
        if (response.status_code == 404 and allow_404) or response.status_code in none_for:
            return None
        if response.status_code >= 400:
            message = ""
            with contextlib.suppress(ValueError, AttributeError):
                message = str(response.json().get("message", ""))[:200]
            error = NotFoundError if response.status_code == 404 else GitHubError
            raise error(f"GitHub answered {response.status_code} to {method} {path}"
                        + (f": {message}" if message else ""))
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise GitHubError(f"GitHub's answer to {method} {path} is not JSON") from None

    def get(self, path: str, *, params: dict[str, Any] | None = None, allow_404: bool = False,
            none_for: tuple[int, ...] = ()) -> Any:
        return self.request("GET", path, params=params, allow_404=allow_404, none_for=none_for)

    def post(self, path: str, json: Any = None) -> Any:
        return self.request("POST", path, json=json)
