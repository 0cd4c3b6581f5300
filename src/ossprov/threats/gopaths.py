"""Go module paths as squatters imitate them.

A module path names its publisher: on a forge, the host and the account (`github.com/stretchr`); under
`gopkg.in`, the GitHub account it redirects to (`gopkg.in/yaml.v3` is `go-yaml`'s); elsewhere the domain
(`golang.org`, `go.uber.org`), whose owner alone serves its `go-import` meta. Nobody else can publish under it,
so a path that keeps the popular module's publisher is that publisher's own module (`github.com/spf13/cobraa`
would be spf13's), never a squat; forge accounts are case-insensitive, so `github.com/Sirupsen/logrus` is the
same account as `github.com/sirupsen/logrus`. A squat has to change the host or the account:
`github.com/stretchr-/testify`, `github.com/strechr/testify`, `github.com/gin-gonlc/gin`.
"""

from __future__ import annotations

from ossprov.ecosystems.golang.modpath import KNOWN_FORGES


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
