"""Repository URLs as manifests write them, reduced to one comparable form.

Manifests name repositories in many spellings (`git+https://host/o/r.git`, `git@host:o/r.git`, npm's
`github:o/r` and bare `o/r`, browse links with `/tree/<ref>/<dir>`). A fix is proposed only when the declared
repository differs from the located one, so both must be reduced to the same form before comparing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

_SHORTCUT_HOSTS = {"github": "github.com", "gitlab": "gitlab.com", "bitbucket": "bitbucket.org"}
_SCP_LIKE = re.compile(r"^(?:[\w.-]+@)?(?P<host>[\w.-]+):(?P<path>(?!//)[^\s]+)$")
_NPM_SHORTHAND = re.compile(r"^(?:(?P<kind>github|gitlab|bitbucket):)?(?P<path>[\w.-]+/[\w.-]+)$")
_BROWSE_MARKERS = ("tree", "blob", "-", "src", "browse", "commits", "issues", "wiki", "pulls")
"""Path segments that end the owner/name part of a forge link (`/o/r/tree/main/pkg`)."""


@dataclass(frozen=True)
class RepoURL:
    """A repository reduced to scheme, host and path; `key` compares equal for the same repository."""

    scheme: str
    host: str
    path: str
    """Path without leading slash or `.git` suffix (`owner/name` on forges)."""

    @property
    def key(self) -> str:
        return f"{self.host.lower()}/{self.path.lower()}"

    @property
    def web(self) -> str:
        """The browsable URL (https for network hosts), as PyPI Project-URLs and Maven scm/url want it."""
        scheme = "https" if self.scheme in ("http", "https", "ssh", "git") else self.scheme
        return f"{scheme}://{self.host}/{self.path}"

    @property
    def npm(self) -> str:
        """The form `npm pkg fix` writes: git+https://host/owner/name.git."""
        return f"git+{self.web}.git"


def parse_repository(url: str) -> RepoURL | None:
    """The repository a manifest's URL names, or None when the text cannot name one."""
    text = url.strip()
    if not text or any(c.isspace() for c in text):
        return None
    shorthand = _NPM_SHORTHAND.match(text)
    if shorthand and "://" not in text:
        host = _SHORTCUT_HOSTS[shorthand["kind"] or "github"]
        return _reduce("https", host, shorthand["path"])
    scp = _SCP_LIKE.match(text)
    if scp and "://" not in text:
        return _reduce("ssh", scp["host"], scp["path"])
    parts = urlsplit(text.removeprefix("git+"))
    if parts.scheme not in ("http", "https", "git", "ssh", "file") or (parts.scheme != "file" and not parts.hostname):
        return None
    return _reduce(parts.scheme, parts.hostname or "", parts.path)


def _reduce(scheme: str, host: str, path: str) -> RepoURL | None:
    segments = [s for s in path.split("/") if s]
    if scheme != "file":
        for i, seg in enumerate(segments[2:], start=2):
            if seg in _BROWSE_MARKERS:
                segments = segments[:i]
                break
    if segments:
        segments[-1] = segments[-1].removesuffix(".git")
    if len(segments) < (1 if scheme == "file" else 2) or not all(segments):
        return None
    return RepoURL(scheme, host, "/".join(segments))


def same_repository(a: str, b: str) -> bool:
    """True when both URLs name the same repository."""
    ra, rb = parse_repository(a), parse_repository(b)
    return ra is not None and rb is not None and ra.key == rb.key
