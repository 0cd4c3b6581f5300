"""Go module paths as squatters imitate them.

A module path names its publisher: on a forge, the host and the account (`github.com/stretchr`); under
`gopkg.in`, the GitHub account it redirects to (`gopkg.in/yaml.v3` is `go-yaml`'s); elsewhere the domain
(`golang.org`, `go.uber.org`), whose owner alone serves its `go-import` meta. Nobody else can publish under it,
so a path that keeps the popular module's publisher is that publisher's own module (`github.com/spf13/cobraa`
would be spf13's), never a squat; forge accounts are case-insensitive, so `github.com/Sirupsen/logrus` is the
same account as `github.com/sirupsen/logrus`. A squat has to change the host or the account:
`github.com/stretchr-/testify`, `github.com/strechr/testify`, `github.com/gin-gonlc/gin`, or the same account
name taken on another forge (`gitlab.com/stretchr/testify`).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from ossprov.ecosystems.golang.modpath import KNOWN_FORGES

if TYPE_CHECKING:
    from ossprov.threats.popular import PopularIndex


def publisher(path: str) -> str:
    """Who alone can publish modules under this path (lower-cased where the host folds case)."""
    parts = path.split("/")
    host = parts[0].lower()
    if host in KNOWN_FORGES and len(parts) >= 2:
        return f"{host}/{parts[1].lower()}"
    if host == "gopkg.in" and len(parts) >= 2:
        return f"github.com/{parts[1].lower()}" if len(parts) > 2 else f"github.com/go-{parts[1].split('.')[0].lower()}"
    return host


def same_publisher(name: str, popular: str) -> str | None:
    """Why two module paths with one publisher are no squat, or None when their publishers differ."""
    owner = publisher(name)
    if owner != publisher(popular):
        return None
    return f"both are published under {owner}: only its owner can publish there, so it cannot imitate the other"


def _forge_tail(path: str) -> tuple[str, str] | None:
    """(forge, `account/repository/...` lower-cased) of a path on a known forge."""
    host, _, rest = path.partition("/")
    return (host.lower(), rest.lower()) if host.lower() in KNOWN_FORGES and rest.count("/") >= 1 else None


@functools.lru_cache(maxsize=4)
def _tails(index: PopularIndex) -> dict[str, list[tuple[str, str]]]:
    """The list's forge paths by account and repository (once per loaded list)."""
    tails: dict[str, list[tuple[str, str]]] = {}
    for path in index.score:
        if found := _forge_tail(path):
            tails.setdefault(found[1], []).append((found[0], path))
    return tails


def on_another_forge(name: str, index: PopularIndex) -> list[str]:
    """The popular paths with this path's account and repository on another known forge."""
    found = _forge_tail(name)
    if found is None:
        return []
    return [path for host, path in _tails(index).get(found[1], []) if host != found[0]]
