"""Repository URLs as they appear in the wild, normalised to one clone URL plus a subdirectory.

npm alone accepts `github:user/repo`, `user/repo`, `git+ssh://git@host/user/repo.git`, `git@host:user/repo`,
`git://host/user/repo`, `https://host/user/repo/tree/<ref>/<dir>` and more. Everything is reduced to
`https://host/owner/name` for forges whose layout is known (so `url.<base>.insteadOf` rules written for
https apply), and to the URL minus `.git` and noise for any other git host.

Every URL that comes from metadata passes `unsafe_reason` before anything is cloned or fetched: git rewrites
`url.<base>.insteadOf` prefixes textually, so a `..` segment (or `%2e%2e`, which git decodes for `file://`) behind
a forge-to-mirror mapping would walk out of the mirror directory onto any repository of this machine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from ossprov.errors import RegistryError
from ossprov.redaction import redact_url

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
MAX_URL_LENGTH = 2048
"""Longer than any real repository or artifact URL; a megabyte URL is an attack on whatever logs it."""
_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$|^[0-9a-f:.]*:[0-9a-f:.]*$")
_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_DOT_SEGMENT_SPLIT = re.compile(r"[/\\?#;=&]")
_FORGE_SHORTCUT = re.compile(r"^(github|gitlab|bitbucket):(.+)$", re.I)
_BARE_HOST_PATH = re.compile(r"^(www\.)?[\w-]+(\.[\w-]+)+/")
_GITWEB_PROJECT = re.compile(r"(?:^|[;&])p=([^;&]+)")
_SEGMENT = re.compile(r"^[\w.-]+$")
URL_IN_TEXT = re.compile(r"""(?:https?|git|git\+https|git\+ssh)://[^\s<>"'`)\]}]+""", re.I)


@dataclass(frozen=True)
class RepoUrl:
    """A normalised repository location."""

    url: str
    """What `git clone` is given."""
    subdir: str = ""
    """Subdirectory named inside the URL (`/tree/main/packages/x`)."""
    host: str = ""


def valid_host(host: str) -> bool:
    """A DNS name or an IP address, lowercase, not starting with `-`."""
    return bool(_HOST.match(host))


def unsafe_reason(url: str, *, schemes: tuple[str, ...] = ("https", "http", "git", "ssh"),
                  credentials: bool = False) -> str | None:
    """Why a URL taken from metadata may not be cloned or fetched, or None when it may.

    Refused: longer than MAX_URL_LENGTH; control, space or invisible format characters; a scheme outside
    `schemes`; a missing or malformed host (or one starting with `-`, which a tool could read as an option); a
    bad port; a password in the user info unless `credentials` (a configured index's own token); and a `.` or
    `..` segment anywhere after the host, percent-decoded (`%2e%2e`, `%2f..`), in path, query or fragment alike."""
    if len(url) > MAX_URL_LENGTH:
        return f"longer than {MAX_URL_LENGTH} characters ({len(url)})"
    if _CONTROL.search(url):
        return "contains control, space or invisible characters"
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        return f"scheme {scheme or '(none)'!r} is not one of {', '.join(schemes)}"
    if scheme != "file":
        try:
            host, _port = parts.hostname or "", parts.port
        except ValueError:
            return "has a malformed port"
        if not host or not valid_host(host) or "%" in parts.netloc.rpartition("@")[2]:
            return "has no valid host name"
        if parts.password is not None and not credentials:
            return "carries credentials"
    rest = url.split("://", 1)[1] if "://" in url else url
    rest = rest[len(parts.netloc):] if scheme != "file" else rest
    for _ in range(3):  # a twice-encoded `%252e%252e` is decoded by nothing we hand it to, but stay strict
        decoded = unquote(rest)
        if decoded == rest:
            break
        rest = decoded
    if any(seg in (".", "..") for seg in _DOT_SEGMENT_SPLIT.split(rest)):
        return "has a '.' or '..' segment"
    return None


def check_artifact_location(url: str, local_bases: list[str] | tuple[str, ...] = ()) -> None:
    """Registry answers are untrusted: an artifact is fetched over HTTP(S) from a well-formed URL (an index's
    own credentials allowed), or from a `file://` location only under a directory the user configured as a
    registry (never a path a packument chose). RegistryError otherwise, with the URL redacted."""
    local = url.startswith("file://") and any(url.startswith(base) for base in local_bases)
    reason = unsafe_reason(url, schemes=("https", "http", "file") if local else ("https", "http"),
                           credentials=True)
    if reason:
        raise RegistryError(f"the registry names the artifact at {redact_url(url)[:200]}: {reason}; only "
                            "http(s) locations (and the directories configured as registries) are followed")


def safe_subdir(subdir: str) -> str | None:
    """A subdirectory named by metadata, or None when it would leave the repository (absolute, `..`, control
    characters): it becomes a path inside the clone."""
    text = unquote(subdir).strip().strip("/")
    if len(text) > 512 or _CONTROL.search(text.replace(" ", "")) or text.startswith("/") or "\\" in text:
        return None
    if any(seg in (".", "..") for seg in text.split("/")):
        return None
    return text


def _strip_git(path: str) -> str:
    path = path.rstrip("/")
    return path[:-4] if path.endswith(".git") else path


def normalize(raw: str) -> RepoUrl | None:
    """The clone URL and subdirectory for a repository reference, or None if it names no repository or names
    one unsafely (see `unsafe_reason`: checked on the reference as written and on the URL given to git)."""
    text = raw.strip().strip("<>").strip()
    if not text or len(text) > MAX_URL_LENGTH or _CONTROL.search(text):
        return None
    if "://" in text and unsafe_reason(text.removeprefix("git+"), schemes=("https", "http", "git", "ssh", "file")):
        return None
    found = _normalize(text)
    if found is None or found.url.startswith("file://"):
        return found
    subdir = safe_subdir(found.subdir)
    if unsafe_reason(found.url) or subdir is None:
        return None
    return RepoUrl(found.url, subdir=subdir, host=found.host)


def _normalize(text: str) -> RepoUrl | None:
    shortcut = _FORGE_SHORTCUT.match(text)
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
        if _BARE_HOST_PATH.match(text):
            text = "https://" + text
        else:
            return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https", "git", "ssh"):
        return None
    gitweb = _GITWEB_PROJECT.search(parts.query)
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
    if not all(_SEGMENT.match(s) for s in repo) or repo[-1] in ("", ".", ".."):
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


_LONGEST_SCHEME = len("git+https")


def urls_in_text(text: str) -> Iterator[re.Match[str]]:
    """The matches `URL_IN_TEXT.finditer(text)` gives, found from each `://` (str.find, at C speed) rather than
    by trying the pattern at every position of a long page: a match's scheme ends at the first `://` after
    where the last match ended (a scheme holds no `:`), so it starts at most `_LONGEST_SCHEME` before it."""
    pos = 0
    while (colon := text.find("://", pos)) != -1:
        for start in range(max(pos, colon - _LONGEST_SCHEME), colon):
            m = URL_IN_TEXT.match(text, start)
            if m:
                yield m
                pos = m.end()
                break
        else:
            pos = colon + 1


def repo_links_in_text(text: str, limit: int = 50) -> list[str]:
    """URLs in free text (README, description) that point into a known forge: candidate repositories."""
    found: list[str] = []
    for m in urls_in_text(text):
        url = m.group(0).rstrip(".,;:")
        host = (urlsplit(url.removeprefix("git+")).hostname or "").lower().removeprefix("www.")
        if host in FORGES and url not in found:
            found.append(url)
            if len(found) >= limit:
                break
    return found


def submodule_url(superproject: str, raw: str) -> tuple[str | None, str]:
    """The clone URL of a submodule whose `.gitmodules` URL is `raw`, in a superproject cloned from
    `superproject`, and "" — or None and why it is refused.

    A relative URL (`./x`, `../x`) is resolved as git resolves it, against the superproject's URL: each
    leading `../` drops one path segment, and one that would reach into the host is refused. The result, like
    an absolute URL, must pass `normalize` (no credentials, no dot segments, a known scheme) and must not be
    local: `.gitmodules` is written by the repository's author, and a `file://` or plain path would read a
    repository of this machine (`ext::` and other transports are no URL `normalize` accepts)."""
    text = raw.strip()
    if text.startswith(("./", "../")):
        parts = urlsplit(superproject)
        if parts.scheme not in ("https", "http", "git", "ssh") or not parts.netloc:
            return None, "its URL is relative and the superproject has no remote URL"
        segments = [s for s in _strip_git(parts.path).split("/") if s]
        while text.startswith(("./", "../")):
            up, _, text = text.partition("/")
            if up == "..":
                if not segments:
                    return None, "its relative URL leaves the superproject's host"
                segments.pop()
        text = f"{parts.scheme}://{parts.netloc}/{'/'.join([*segments, text])}"
    found = normalize(text)
    if found is None or found.url.startswith("file://") or _path_of(found.url) != _path_of(text):
        return None, f"its URL is refused: {unsafe_reason(text) or 'not a remote repository URL'}"
    return found.url, ""


def _path_of(url: str) -> str:
    """The repository path a URL (or scp-like `host:path`) names, as `normalize` compares it: a submodule URL
    that `normalize` would shorten to another repository (`forge/owner/name/more`) is not the one git clones."""
    path = urlsplit(url).path if "://" in url else url.partition(":")[2]
    return _strip_git(unquote(path).strip("/")).lower()
