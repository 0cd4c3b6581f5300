"""Repository URLs as they appear in the wild, normalised to one clone URL plus a subdirectory.

npm alone accepts `github:user/repo`, `user/repo`, `git+ssh://git@host/user/repo.git`, `git@host:user/repo`,
`git://host/user/repo`, `https://host/user/repo/tree/<ref>/<dir>` and more. Everything is reduced to
`https://host/owner/name` for forges whose layout is known (so `url.<base>.insteadOf` rules written for
https apply), and to the URL minus `.git` and noise for any other git host.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

FORGES = {
    "github.com": "github",
    "gitlab.com": "gitlab",
    "bitbucket.org": "bitbucket",
    "codeberg.org": "codeberg",
    "gitee.com": "gitee",
    "sr.ht": "sourcehut",
    "git.sr.ht": "sourcehut",
}
SHORTCUT_HOSTS = {"github": "github.com", "gitlab": "gitlab.com", "bitbucket": "bitbucket.org"}
_SCP_LIKE = re.compile(r"^(?:[\w.-]+@)?(?P<host>[\w.-]+\.[a-z]{2,}):(?!//)(?P<path>[^\s]+)$", re.I)
_SHORTHAND = re.compile(r"^[\w.-]+/[\w.-]+$")
_TREE_MARKERS = ("tree", "blob", "src", "-")
URL_IN_TEXT = re.compile(r"""(?:https?|git|git\+https|git\+ssh)://[^\s<>"'`)\]}]+""", re.I)


@dataclass(frozen=True)
class RepoUrl:
    """A normalised repository location."""

    url: str
    """What `git clone` is given."""
    subdir: str = ""
    """Subdirectory named inside the URL (`/tree/main/packages/x`)."""
    host: str = ""


def _strip_git(path: str) -> str:
    path = path.rstrip("/")
    return path[:-4] if path.endswith(".git") else path


def normalize(raw: str) -> RepoUrl | None:
    """The clone URL and subdirectory for a repository reference, or None if it names no repository."""
    text = raw.strip().strip("<>").strip()
    if not text or " " in text:
        return None
    shortcut = re.match(r"^(github|gitlab|bitbucket):(.+)$", text, re.I)
    if shortcut:
        host = SHORTCUT_HOSTS[shortcut.group(1).lower()]
        return _forge(host, shortcut.group(2).split("#")[0])
    if _SHORTHAND.match(text) and "." not in text.split("/")[0]:
        return _forge("github.com", text)
    if text.startswith(("file://", "/")):
        return RepoUrl(text if text.startswith("file://") else "file://" + text, host="")
    scp = _SCP_LIKE.match(text)
    if scp and "://" not in text:
        return _from_host_path(scp.group("host"), scp.group("path"), scheme="https")
    if text.startswith("git+"):
        text = text[4:]
    if "://" not in text:
        if re.match(r"^(www\.)?[\w-]+(\.[\w-]+)+/", text):
            text = "https://" + text
        else:
            return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https", "git", "ssh"):
        return None
    gitweb = re.search(r"(?:^|[;&])p=([^;&]+)", parts.query)
    if gitweb:  # a gitweb/gitbox view `.../repos/asf?p=commons-lang.git`: the repository is the `p` path
        parts = parts._replace(path=parts.path.rstrip("/") + "/" + unquote(gitweb.group(1)), query="")
    host = (parts.hostname or "").lower()
    if not host:
        return None
    port = f":{parts.port}" if parts.port and parts.scheme in ("http", "https") else ""
    return _from_host_path(host + port, unquote(parts.path), scheme=parts.scheme)


def _from_host_path(host: str, path: str, scheme: str) -> RepoUrl | None:
    host = host.lower().removeprefix("www.")
    if host in FORGES:
        return _forge(host, path)
    path = path.split("#")[0].split("?")[0]
    if not _strip_git(path).strip("/"):
        return None
    use_scheme = "http" if scheme == "http" else "https"
    return RepoUrl(f"{use_scheme}://{host}/{path.strip('/')}", host=host)


def _forge(host: str, path: str) -> RepoUrl | None:
    path = path.split("#")[0].split("?")[0].strip("/")
    segments = [s for s in path.split("/") if s]
    if len(segments) < 2:
        return None
    if host == "gitlab.com" and "-" in segments:
        # gitlab: group/subgroup/project/-/tree/ref/dir
        cut = segments.index("-")
        repo, rest = segments[:cut], segments[cut + 1:]
    elif host == "gitlab.com":
        cut = next((i for i, s in enumerate(segments) if s in ("tree", "blob")), len(segments))
        repo, rest = segments[:cut], segments[cut:]
    else:
        repo, rest = segments[:2], segments[2:]
    repo[-1] = _strip_git(repo[-1])
    if not all(re.match(r"^[\w.-]+$", s) for s in repo) or repo[-1] in ("", ".", ".."):
        return None
    subdir = ""
    if len(rest) >= 3 and rest[0] in _TREE_MARKERS:
        subdir = "/".join(rest[2:])
        if rest[0] == "blob":  # a link to a file: its directory
            subdir = "/".join(rest[2:-1])
    return RepoUrl(f"https://{host}/{'/'.join(repo)}", subdir=subdir.strip("/"), host=host)


def same_repository(a: str, b: str) -> bool:
    """Whether two normalised URLs name the same repository (forges are case-insensitive)."""
    return _strip_git(a).lower() == _strip_git(b).lower()


def repo_links_in_text(text: str, limit: int = 50) -> list[str]:
    """URLs in free text (README, description) that point into a known forge: candidate repositories."""
    found: list[str] = []
    for m in URL_IN_TEXT.finditer(text):
        url = m.group(0).rstrip(".,;:")
        host = (urlsplit(url.removeprefix("git+")).hostname or "").lower().removeprefix("www.")
        if host in FORGES and url not in found:
            found.append(url)
            if len(found) >= limit:
                break
    return found
