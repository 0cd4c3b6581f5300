"""The one HTTP client of the program: timeouts, retries with backoff, a user agent, size limits.

Registry answers are untrusted: bodies are size-capped, JSON is parsed defensively, and every failure becomes
a `RegistryError` (exit code 3) or `NotFoundError` with a one-line message naming the URL (never a token).
"""

from __future__ import annotations

import datetime
import email.utils
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from urllib.request import url2pathname

import httpx
import tenacity

from ossprov import __version__
from ossprov.cache import file_digests
from ossprov.config import settings
from ossprov.errors import NotFoundError, RegistryError

USER_AGENT = f"ossprov/{__version__} (+supply-chain provenance checker)"
MAX_JSON_BYTES = 256 * 1024 * 1024
"""Largest registry document accepted (the biggest npm packuments are tens of MB)."""
MAX_DOWNLOAD_BYTES = 2 * 1024 * 1024 * 1024
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 60.0


class _Retryable(Exception):
    """A response or connection failure worth another try; carries the Retry-After wait, if any."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def without_credentials(url: str) -> str:
    """The URL without user info (a token in `https://user:TOKEN@host/...`), query kept: what may be handed to
    code that must reach the registry but not hold its credentials."""
    parts = urlsplit(url)
    if not (parts.username or parts.password):
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def redact(url: str) -> str:
    """The URL without user info or query string, fit for messages and logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def retry_after(response: httpx.Response) -> float | None:
    """Seconds the server asks us to wait (Retry-After, or an exhausted rate limit's reset), capped."""
    value = response.headers.get("retry-after")
    if not value:
        reset = response.headers.get("x-ratelimit-reset")
        if reset and response.headers.get("x-ratelimit-remaining") == "0":
            try:
                return max(0.0, min(MAX_RETRY_AFTER, float(reset) - time.time()))
            except ValueError:
                return None
        return None
    try:
        return min(MAX_RETRY_AFTER, max(0.0, float(value)))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):  # neither seconds nor an HTTP date: ignore it, back off as usual
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return min(MAX_RETRY_AFTER, max(0.0, parsed.timestamp() - time.time()))


def _wait(state: tenacity.RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, _Retryable) and exc.retry_after is not None:
        return exc.retry_after
    return tenacity.wait_exponential_jitter(multiplier=0.2, max=8.0, jitter=0.2)(state)


class HttpClient:
    """A thin wrapper over one `httpx.Client` that retries what is worth retrying and names failures."""

    def __init__(self, timeout: float | None = None, retries: int | None = None) -> None:
        conf = settings()
        self.retries = conf.retries if retries is None else retries
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout or conf.timeout),
            headers={"User-Agent": USER_AGENT},
            follow_redirects=True,
            trust_env=True,
        )

    def close(self) -> None:
        self._client.close()

    def _retrying(self) -> tenacity.Retrying:
        return tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Retryable),
            stop=tenacity.stop_after_attempt(self.retries + 1),
            wait=_wait,
            reraise=True,
        )

    def _open(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """An open streaming response whose status is final: retried on 429/5xx and connection errors.
        Only opening is retried, never the caller's reading of the body."""
        def attempt() -> httpx.Response:
            try:
                response = self._client.send(self._client.build_request(method, url, **kwargs), stream=True)
            except httpx.TransportError as exc:
                raise _Retryable(f"cannot reach {redact(url)}: {exc.__class__.__name__} {exc}") from exc
            if response.status_code in RETRY_STATUSES:
                response.close()
                raise _Retryable(f"{response.status_code} from {redact(url)}", retry_after(response))
            return response

        try:
            return self._retrying()(attempt)
        except _Retryable as exc:
            raise RegistryError(f"{exc} (after {self.retries + 1} attempts)") from None

    @contextmanager
    def _stream(self, method: str, url: str, **kwargs: Any) -> Iterator[httpx.Response]:
        response = self._open(method, url, **kwargs)
        try:
            yield response
        finally:
            response.close()

    def request(self, method: str, url: str, *, max_bytes: int = MAX_JSON_BYTES, **kwargs: Any) -> httpx.Response:
        """Send a request and read the whole body (capped). The caller looks at the status."""
        with self._stream(method, url, **kwargs) as response:
            body = bytearray()
            try:
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > max_bytes:
                        raise RegistryError(f"answer from {redact(url)} is larger than {max_bytes} bytes")
            except (httpx.TransportError, httpx.DecodingError) as exc:
                raise RegistryError(f"answer from {redact(url)} was cut short: {exc}") from None
            declared = response.headers.get("content-length")
            if (declared and declared.isdigit() and "content-encoding" not in response.headers
                    and int(declared) != len(body)):
                raise RegistryError(f"answer from {redact(url)} was cut short ({len(body)} of {declared} bytes)")
            return httpx.Response(
                response.status_code, headers=response.headers, content=bytes(body), request=response.request
            )

    def get(self, url: str, *, allow_404: bool = False, **kwargs: Any) -> httpx.Response:
        """GET a resource; 404/410 raise NotFoundError unless `allow_404`; other 4xx raise RegistryError."""
        response = self.request("GET", url, **kwargs)
        if response.status_code in (404, 410):
            if allow_404:
                return response
            raise NotFoundError(f"not found: {redact(url)}")
        if response.status_code >= 400:
            raise RegistryError(f"{response.status_code} from {redact(url)}")
        return response

    def get_json(self, url: str, **kwargs: Any) -> Any:
        response = self.get(url, **kwargs)
        if response.status_code in (404, 410):
            return None
        try:
            return json.loads(response.content)
        except RecursionError:
            raise RegistryError(f"answer from {redact(url)} is nested too deeply to be a registry document") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise RegistryError(f"answer from {redact(url)} is not valid JSON: {exc}") from None

    def download(
        self, url: str, dest: Path, *, on_progress: Callable[[int, int | None], None] | None = None
    ) -> dict[str, str]:
        """Stream `url` into `dest` (written atomically) and return its sha1/sha256/sha512 hex digests.
        `file://` URLs (local Maven repositories, mirrors on disk) are copied."""
        if url.startswith("file://"):
            return _copy_local(url, dest)
        hashes = {name: hashlib.new(name) for name in ("sha1", "sha256", "sha512")}
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
        try:
            with self._stream("GET", url) as response:
                if response.status_code in (404, 410):
                    raise NotFoundError(f"not found: {redact(url)}")
                if response.status_code >= 400:
                    raise RegistryError(f"{response.status_code} from {redact(url)}")
                total_header = response.headers.get("content-length")
                total = int(total_header) if total_header and total_header.isdigit() else None
                done = 0
                with tmp.open("wb") as out:
                    try:
                        for chunk in response.iter_bytes():
                            done += len(chunk)
                            if done > MAX_DOWNLOAD_BYTES:
                                raise RegistryError(f"{redact(url)} is larger than {MAX_DOWNLOAD_BYTES} bytes")
                            out.write(chunk)
                            for h in hashes.values():
                                h.update(chunk)
                            if on_progress:
                                on_progress(done, total)
                    except (httpx.TransportError, httpx.DecodingError) as exc:
                        raise RegistryError(f"download of {redact(url)} was cut short: {exc}") from None
                if total is not None and done != total and "content-encoding" not in response.headers:
                    raise RegistryError(f"download of {redact(url)} was cut short ({done} of {total} bytes)")
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
        return {name: h.hexdigest() for name, h in hashes.items()}


def _copy_local(url: str, dest: Path) -> dict[str, str]:
    source = Path(url2pathname(urlsplit(url).path))
    if not source.is_file():
        raise NotFoundError(f"not found: {url}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return file_digests(dest)


_client: HttpClient | None = None


def client() -> HttpClient:
    """The process-wide client (one connection pool for the whole program)."""
    global _client
    if _client is None:
        _client = HttpClient()
    return _client


def reset_client() -> None:
    """Forget the shared client (tests change timeouts and environment between runs)."""
    global _client
    if _client is not None:
        _client.close()
    _client = None
