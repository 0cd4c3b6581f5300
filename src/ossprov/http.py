"""The one HTTP client of the program: deadlines, retries with backoff, a user agent, size limits, and the
registry-metadata cache.

Registry answers are untrusted: bodies are size-capped, JSON is parsed with bounds on size and structure, and
every failure becomes a `RegistryError` (exit code 3) or `NotFoundError` with a one-line message naming the
URL (never a token). Every request has a deadline for the whole exchange (connect, headers, body, retries),
enforced at the socket: a server that trickles one byte a second ends at the deadline like one that never
answers. GET answers are kept in the metadata cache (`cache.MetadataCache`) with their validators: within the
freshness window no request is made, after it a conditional one; offline, only the cache answers.

httpx is imported only when a request goes out, so a warm run never pays for it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from ossprov import __version__
from ossprov.atomic import partial_path, storage_errors
from ossprov.cache import MetadataCache, file_digests
from ossprov.config import settings
from ossprov.deadline import end_of
from ossprov.errors import DeadlineError, NotFoundError, OfflineError, RegistryError
from ossprov.redaction import redact_url

if TYPE_CHECKING:
    import httpx
    import tenacity

USER_AGENT = f"ossprov/{__version__} (+supply-chain provenance checker)"
MAX_JSON_BYTES = 256 * 1024 * 1024
"""Largest registry document accepted (the biggest npm packuments are tens of MB)."""
MAX_JSON_CONTAINERS = 2_000_000
"""Most objects and arrays a registry document may hold (the biggest real packuments hold a few hundred
thousand): bounds the memory of parsing whatever the byte count."""
MAX_JSON_ITEMS = 20_000_000
"""Most comma-separated items a registry document may hold (each costs a pointer once parsed)."""
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


def retry_after(response: Response | httpx.Response) -> float | None:
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
    import email.utils  # only a Retry-After date needs it

    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):  # neither seconds nor an HTTP date: ignore it, back off as usual
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return min(MAX_RETRY_AFTER, max(0.0, parsed.timestamp() - time.time()))


def _wait(state: tenacity.RetryCallState) -> float:
    import tenacity

    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, _Retryable) and exc.retry_after is not None:
        return exc.retry_after
    return tenacity.wait_exponential_jitter(multiplier=0.2, max=8.0, jitter=0.2)(state)


class Headers(dict[str, str]):
    """Response headers by lower-cased name."""

    def __init__(self, items: Mapping[str, str] | None = None) -> None:
        super().__init__({k.lower(): v for k, v in (items or {}).items()})

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key.lower() if isinstance(key, str) else key)


class Response:
    """A complete answer: status, headers, body (from the network or the metadata cache)."""

    def __init__(self, status_code: int, headers: Mapping[str, str], content: bytes, url: str) -> None:
        self.status_code = status_code
        self.headers = Headers(headers)
        self.content = content
        self.url = url

    @property
    def text(self) -> str:
        return self.content.decode(_charset(self.headers.get("content-type", "")), "replace")

    def json(self) -> Any:
        """The body as JSON, bounded (see `parse_json`); ValueError when it is not JSON."""
        return parse_json(self.content, self.url)


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            try:
                "".encode(value.strip('"'))
                return value.strip('"')
            except LookupError:
                break
    return "utf-8"


def parse_json(data: bytes, url: str) -> Any:
    """Parse a registry document with bounds on its structure, counted before parsing (every `{`, `[` and `,`
    is counted, those inside strings too, so the bound is safe): a 200 MB document of empty objects is refused
    in a fraction of a second instead of taking gigabytes. ValueError (a RegistryError) when it is no JSON."""
    if len(data) > MAX_JSON_BYTES:
        raise RegistryError(f"answer from {redact_url(url)} is larger than {MAX_JSON_BYTES} bytes")
    if data.count(b"{") + data.count(b"[") > MAX_JSON_CONTAINERS or data.count(b",") > MAX_JSON_ITEMS:
        raise RegistryError(f"answer from {redact_url(url)} holds more JSON values than any registry document")
    try:
        return json.loads(data)
    except RecursionError:
        raise RegistryError(f"answer from {redact_url(url)} is nested too deeply to be a registry document") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _JSONError(f"answer from {redact_url(url)} is not valid JSON: {exc}") from None


class _JSONError(RegistryError, ValueError):
    """Not JSON: a RegistryError for the CLI, a ValueError for callers that try JSON and fall back."""


_request_end: ContextVar[float | None] = ContextVar("ossprov_request_deadline", default=None)


def _clamp(timeout: float | None, error: type[Exception]) -> float | None:
    """The socket timeout for one read/write/connect: no later than the request's deadline."""
    end = _request_end.get()
    if end is None:
        return timeout
    remaining = end - time.monotonic()
    if remaining <= 0:
        raise error("request deadline reached")
    return remaining if timeout is None else min(timeout, remaining)


def _deadline_backend(inner: Any) -> Any:
    """An httpcore network backend whose every socket operation ends by the current request's deadline."""
    import httpcore

    class Stream(httpcore.NetworkStream):
        def __init__(self, stream: httpcore.NetworkStream) -> None:
            self._stream = stream

        def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            return self._stream.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

        def write(self, buffer: bytes, timeout: float | None = None) -> None:
            self._stream.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

        def close(self) -> None:
            self._stream.close()

        def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                      timeout: float | None = None) -> httpcore.NetworkStream:
            return Stream(self._stream.start_tls(ssl_context, server_hostname,
                                                 _clamp(timeout, httpcore.ConnectTimeout)))

        def get_extra_info(self, info: str) -> Any:
            return self._stream.get_extra_info(info)

    class Backend(httpcore.NetworkBackend):
        def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                        socket_options: Any = None) -> httpcore.NetworkStream:
            return Stream(inner.connect_tcp(host, port, _clamp(timeout, httpcore.ConnectTimeout), local_address,
                                            socket_options))

        def connect_unix_socket(self, path: str, timeout: float | None = None,
                                socket_options: Any = None) -> httpcore.NetworkStream:
            return Stream(inner.connect_unix_socket(path, _clamp(timeout, httpcore.ConnectTimeout), socket_options))

        def sleep(self, seconds: float) -> None:
            inner.sleep(seconds)

    return Backend()


def _import_transport() -> None:
    """Import httpx and httpcore without trio, which httpcore imports eagerly for its async side (0.1 s of every
    online run; ossprov's requests are synchronous). A process that already uses trio keeps it."""
    blocked = "trio" not in sys.modules
    if blocked:
        sys.modules["trio"] = None  # type: ignore[assignment]
    try:
        import httpcore  # noqa: F401
        import httpx  # noqa: F401
    finally:
        if blocked and sys.modules.get("trio") is None:
            del sys.modules["trio"]


def _build_client(timeout: float) -> httpx.Client:
    _import_transport()
    import httpx

    client = httpx.Client(timeout=httpx.Timeout(timeout), headers={"User-Agent": USER_AGENT},
                          follow_redirects=True, trust_env=True)
    # httpx has no public hook for the network backend; its transports keep their httpcore pool in `_pool`.
    for transport in [client._transport, *client._mounts.values()]:
        pool = getattr(transport, "_pool", None)
        if pool is not None:
            pool._network_backend = _deadline_backend(pool._network_backend)
    return client


_unchecked: list[str] = []


def note_unchecked(what: str) -> None:
    """Remember something offline mode could not check (printed by the CLI when the command ends)."""
    if what not in _unchecked:
        _unchecked.append(what)


def unchecked() -> list[str]:
    return list(_unchecked)


class HttpClient:
    """One `httpx.Client` (made on first use) that retries what is worth retrying, keeps every request to its
    deadline, names failures, and answers GETs from the metadata cache when it may."""

    def __init__(self, timeout: float | None = None, retries: int | None = None, *, cache: bool = True) -> None:
        conf = settings()
        self.retries = conf.retries if retries is None else retries
        self.timeout = timeout or conf.timeout
        self._cache = MetadataCache() if cache else None
        self._client: httpx.Client | None = None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    @property
    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = _build_client(self.timeout)
        return self._client

    def _open(self, method: str, url: str, end: float, **kwargs: Any) -> httpx.Response:
        """An open streaming response whose status is final: retried on 429/5xx and connection errors until
        the deadline. Only opening is retried, never the caller's reading of the body."""
        import httpx
        import tenacity

        def attempt() -> httpx.Response:
            try:
                response = self._http.send(self._http.build_request(method, url, **kwargs), stream=True)
            except httpx.TransportError as exc:
                if time.monotonic() >= end - 0.05:
                    raise DeadlineError(f"no answer from {redact_url(url)} within its deadline") from None
                raise _Retryable(f"cannot reach {redact_url(url)}: {exc.__class__.__name__} {exc}") from exc
            if response.status_code in RETRY_STATUSES:
                response.close()
                raise _Retryable(f"{response.status_code} from {redact_url(url)}", retry_after(response))
            return response

        def wait(state: tenacity.RetryCallState) -> float:
            return min(_wait(state), max(0.0, end - time.monotonic()))

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Retryable),
            stop=tenacity.stop_after_attempt(self.retries + 1) | tenacity.stop_after_delay(end - time.monotonic()),
            wait=wait, reraise=True)
        try:
            return retrying(attempt)
        except _Retryable as exc:
            if time.monotonic() >= end - 0.05:
                raise DeadlineError(f"{exc} (deadline reached)") from None
            raise RegistryError(f"{exc} (after {self.retries + 1} attempts)") from None

    @contextmanager
    def _stream(self, method: str, url: str, seconds: float, **kwargs: Any) -> Iterator[httpx.Response]:
        if settings().offline:
            raise OfflineError(f"offline: {redact_url(url)} is not in the cache")
        end = end_of(seconds)
        token = _request_end.set(end)
        try:
            response = self._open(method, url, end, **kwargs)
            try:
                yield response
            finally:
                response.close()
        finally:
            _request_end.reset(token)

    @staticmethod
    def _chunks(response: httpx.Response, url: str, max_bytes: int, what: str) -> Iterator[bytes]:
        """The body's chunks, stopped past `max_bytes`; transport failures and the deadline named."""
        import httpx

        size = 0
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise RegistryError(f"{what} {redact_url(url)} is larger than {max_bytes} bytes")
                yield chunk
        except (httpx.TransportError, httpx.DecodingError) as exc:
            if isinstance(exc, httpx.TimeoutException) and _past_deadline():
                raise DeadlineError(f"{what} {redact_url(url)} did not finish within its deadline") from None
            raise RegistryError(f"{what} {redact_url(url)} was cut short: {exc}") from None
        declared = response.headers.get("content-length")
        if (declared and declared.isdigit() and "content-encoding" not in response.headers
                and int(declared) != size):
            raise RegistryError(f"{what} {redact_url(url)} was cut short ({size} of {declared} bytes)")

    def request(self, method: str, url: str, *, max_bytes: int = MAX_JSON_BYTES, **kwargs: Any) -> Response:
        """Send a request and read the whole body (capped), all within the request deadline. The caller looks at
        the status."""
        with self._stream(method, url, settings().request_deadline, **kwargs) as response:
            body = b"".join(self._chunks(response, url, max_bytes, "answer from"))
            return Response(response.status_code, response.headers, body, url)

    def _cached_get(self, url: str, headers: Mapping[str, str], **kwargs: Any) -> Response:
        """GET through the metadata cache: fresh → no request; stale → a conditional request; offline → the
        cache only (what it cannot check is noted). Requests that carry credentials are never cached."""
        cache = self._cache
        if (cache is None or kwargs or without_credentials(url) != url
                or any(k.lower() == "authorization" for k in headers)):
            return self.request("GET", url, headers=dict(headers), **kwargs)
        key = cache.key(url, headers.get("Accept") or headers.get("accept") or "")
        entry = cache.load(key)
        conf = settings()
        if entry is not None and (conf.offline or entry.age() <= conf.metadata_max_age):
            if conf.offline and entry.age() > conf.metadata_max_age:
                note_unchecked(f"{redact_url(url)}: cached copy {entry.age() / 3600:.1f} h old, not revalidated")
            return Response(entry.status, entry.headers, entry.body, url)
        if conf.offline:
            raise OfflineError(f"offline: {redact_url(url)} is not in the cache")
        conditional = dict(headers)
        if entry is not None and entry.headers.get("etag"):
            conditional["If-None-Match"] = entry.headers["etag"]
        if entry is not None and entry.headers.get("last-modified"):
            conditional["If-Modified-Since"] = entry.headers["last-modified"]
        response = self.request("GET", url, headers=conditional)
        if response.status_code == 304 and entry is not None:
            cache.touch(key)
            return Response(entry.status, entry.headers, entry.body, url)
        if response.status_code == 200 and "no-store" not in response.headers.get("cache-control", ""):
            cache.store(key, response.status_code, response.headers, response.content)
        return response

    def get(self, url: str, *, allow_404: bool = False, headers: Mapping[str, str] | None = None,
            **kwargs: Any) -> Response:
        """GET a resource; 404/410 raise NotFoundError unless `allow_404`; other 4xx raise RegistryError."""
        response = self._cached_get(url, headers or {}, **kwargs)
        if response.status_code in (404, 410):
            if allow_404:
                return response
            raise NotFoundError(f"not found: {redact_url(url)}")
        if response.status_code >= 400:
            raise RegistryError(f"{response.status_code} from {redact_url(url)}")
        return response

    def get_json(self, url: str, **kwargs: Any) -> Any:
        response = self.get(url, **kwargs)
        if response.status_code in (404, 410):
            return None
        return parse_json(response.content, url)

    def download(
        self, url: str, dest: Path, *, on_progress: Callable[[int, int | None], None] | None = None
    ) -> dict[str, str]:
        """Stream `url` into `dest` (written atomically) within the download deadline and return its
        sha1/sha256/sha512 hex digests. `file://` URLs (local Maven repositories, mirrors on disk) are copied."""
        if url.startswith("file://"):
            return _copy_local(url, dest)
        hashes = {name: hashlib.new(name) for name in ("sha1", "sha256", "sha512")}
        tmp = partial_path(dest)
        try:
            with self._stream("GET", url, settings().download_deadline) as response:
                if response.status_code in (404, 410):
                    raise NotFoundError(f"not found: {redact_url(url)}")
                if response.status_code >= 400:
                    raise RegistryError(f"{response.status_code} from {redact_url(url)}")
                total_header = response.headers.get("content-length")
                total = int(total_header) if total_header and total_header.isdigit() else None
                done = 0
                with storage_errors(dest), tmp.open("wb") as out:
                    for chunk in self._chunks(response, url, MAX_DOWNLOAD_BYTES, "download of"):
                        done += len(chunk)
                        out.write(chunk)
                        for h in hashes.values():
                            h.update(chunk)
                        if on_progress:
                            on_progress(done, total)
            with storage_errors(dest):
                os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
        return {name: h.hexdigest() for name, h in hashes.items()}


def _past_deadline() -> bool:
    end = _request_end.get()
    return end is not None and time.monotonic() >= end - 0.05


def _copy_local(url: str, dest: Path) -> dict[str, str]:
    from urllib.request import url2pathname

    source = Path(url2pathname(urlsplit(url).path))
    if not source.is_file():
        raise NotFoundError(f"not found: {url}")
    tmp = partial_path(dest)
    try:
        with storage_errors(dest):
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
    _unchecked.clear()
