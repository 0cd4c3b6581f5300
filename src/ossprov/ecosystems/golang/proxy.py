"""The Go module proxy protocol (`$GOPROXY/<module>/@v/list`, `<version>.info`, `.mod`, `.zip`) over the proxy
list the user configured, with the go command's fallback rules.

The list comes from `OSSPROV_GOPROXY` (or `[registries] golang` in ossprov's config), else from the go
command itself (`go env GOPROXY`, which honours the GOPROXY variable and go's own default), else from the
GOPROXY variable when go is not installed. Entries are tried in order: after a `,` the next is tried only
when the proxy answers 404 or 410, after a `|` on any error. `direct` (fetch from the repository) and `off`
(no downloads) end the list: a module fetched direct has no published zip to check, so both are errors here.
Modules matching GONOPROXY/GOPRIVATE are direct by the same rules.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

from ossprov import http
from ossprov.config import explicit_registry
from ossprov.ecosystems.golang.modpath import escape
from ossprov.errors import InputError, NotFoundError, RegistryError


@functools.cache
def go_env(name: str) -> str | None:
    """`go env NAME` (None without the go command)."""
    go = shutil.which("go")
    if not go:
        return None
    try:
        out = subprocess.run([go, "env", name], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def setting(name: str) -> str:
    """A go setting as the go command sees it (environment first, then go env), "" when unset."""
    return os.environ.get(name) or go_env(name) or ""


@dataclass(frozen=True)
class Entry:
    url: str
    """A proxy base URL, or `direct` / `off`."""
    fallback_on_any_error: bool
    """True when the separator after this entry is `|`."""


def proxy_list() -> list[Entry]:
    """The configured proxies in order; InputError when none is configured."""
    value = explicit_registry("golang") or setting("GOPROXY")
    if not value:
        raise InputError("no Go module proxy configured: set OSSPROV_GOPROXY (or GOPROXY), or install go")
    entries: list[Entry] = []
    item = ""
    for ch in value + ",":
        if ch in ",|":
            if item.strip():
                entries.append(Entry(item.strip().rstrip("/"), ch == "|"))
            item = ""
        else:
            item += ch
    return entries


def matches(module: str, patterns: str) -> bool:
    """module.MatchPrefixPatterns: whether a comma-separated glob list matches a prefix of the path."""
    parts = module.split("/")
    for pattern in filter(None, (p.strip() for p in patterns.split(","))):
        depth = pattern.count("/") + 1
        if len(parts) >= depth and fnmatch.fnmatchcase("/".join(parts[:depth]), pattern):
            return True
    return False


def insecure(module: str) -> bool:
    """GOINSECURE: the module's go-import meta may be fetched over plain http."""
    return matches(module, setting("GOINSECURE"))


@dataclass(frozen=True)
class Answer:
    base: str
    """The proxy that answered: later requests for the same version go to it."""
    body: bytes


def fetch(module: str, suffix: str) -> Answer:
    """`<proxy>/<escaped module>/@v/<suffix>` from the first proxy that has it."""
    if explicit_registry("golang") is None and matches(module, setting("GONOPROXY") or setting("GOPRIVATE")):
        raise RegistryError(f"{module} matches GONOPROXY/GOPRIVATE: the go command fetches it direct from its "
                            "repository, so there is no published module zip to verify")
    last: Exception | None = None
    for entry in proxy_list():
        if entry.url == "off":
            raise RegistryError("GOPROXY=off: module downloads are disabled")
        if entry.url == "direct":
            # The go command would fetch it from the repository: not a removed version, but nothing to verify.
            where = f"no configured proxy has {suffix} and the rest of GOPROXY is" if last else "GOPROXY is"
            raise RegistryError(f"Go module {module}: {where} `direct` (the go command would fetch it from its "
                                "repository): there is no published module zip to verify; set OSSPROV_GOPROXY to "
                                "a module proxy")
        url = f"{entry.url}/{escape(module)}/@v/{suffix}"
        try:
            return Answer(entry.url, http.client().get(url).content)
        except NotFoundError as exc:
            last = exc
        except RegistryError as exc:
            if not entry.fallback_on_any_error:
                raise
            last = exc
    if isinstance(last, NotFoundError) or last is None:
        raise NotFoundError(f"Go module {module}: no configured proxy has {suffix}")
    raise last


def zip_url(base: str, module: str, version: str) -> str:
    return f"{base}/{escape(module)}/@v/{escape(version)}.zip"


def info(module: str, version: str) -> tuple[str, dict[str, Any]]:
    """(proxy base, the `.info` document) of a version."""
    answer = fetch(module, f"{escape(version)}.info")
    try:
        doc = json.loads(answer.body)
    except (ValueError, RecursionError):
        raise RegistryError(f"the proxy's .info for {module}@{version} is not JSON") from None
    if not isinstance(doc, dict) or doc.get("Version") != version:
        raise RegistryError(f"the proxy's .info for {module}@{version} names another version")
    return answer.base, doc


def versions(module: str) -> list[str]:
    """The tagged versions the proxy lists (`@v/list`), unordered as the protocol gives them."""
    try:
        body = fetch(module, "list").body
    except NotFoundError:
        return []
    return [line.split()[0] for line in body.decode("utf-8", "replace").splitlines() if line.strip()]
