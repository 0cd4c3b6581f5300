"""Repository candidates when metadata names none: README links into a forge, CI badges, the maintainer's account.

A package without a `repository` field usually still says where it lives, just not in a field: an image or
file link into `FORGE/OWNER/REPO/blob/BRANCH/projects/NAME/...` (a monorepo whose name differs from the
package's), a raw-content link, a CI or coverage badge (`travis-ci.org/OWNER/REPO`, CircleCI, Coveralls,
Codecov, shields.io `github/...`), and failing all that the maintainer's forge account holding a repository
named like the package. Each becomes a `SourceHint` whose origin says which evidence it is; candidates are
guesses, ranked by that origin, and a guess becomes an answer only once the repository's content holds the
package's files.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote, urlsplit

from ossprov.model import SourceHint
from ossprov.source import urls

ASSET_DIRS = frozenset({"img", "imgs", "image", "images", "assets", "media", "docs", "doc", "screenshots",
                        "static", "resources", ".github", "logo", "logos", "art", "artwork", "pics"})
"""Directories a README's images live in: the package's directory is above them."""
_RAW_HOSTS = {"raw.githubusercontent.com": "github.com"}
_BADGE_ROUTES = (
    # host, path regex with owner and repo groups
    ("travis-ci.org", r"^/(?:gh/)?(?P<o>[\w.-]+)/(?P<r>[\w.-]+?)(?:\.svg|\.png)?(?:/|$)"),
    ("travis-ci.com", r"^/(?:gh/|github/)?(?P<o>[\w.-]+)/(?P<r>[\w.-]+?)(?:\.svg|\.png)?(?:/|$)"),
    ("api.travis-ci.org", r"^/(?P<o>[\w.-]+)/(?P<r>[\w.-]+?)(?:\.svg|\.png)?(?:/|$)"),
    ("api.travis-ci.com", r"^/(?P<o>[\w.-]+)/(?P<r>[\w.-]+?)(?:\.svg|\.png)?(?:/|$)"),
    ("circleci.com", r"^/(?:gh|github)/(?P<o>[\w.-]+)/(?P<r>[\w.-]+?)(?:\.svg)?(?:/|$)"),
    ("dl.circleci.com", r"^/status-badge/(?:img|redirect)/(?:gh|circleci/[^/]+)/(?P<o>[\w.-]+)/(?P<r>[\w.-]+?)(?:\.svg)?(?:/|$)"),
    ("coveralls.io", r"^/(?:repos/(?:github/)?|r/)(?P<o>[\w.-]+)/(?P<r>[\w.-]+?)(?:\.svg)?(?:/|$)"),
    ("codecov.io", r"^/(?:gh|github)/(?P<o>[\w.-]+)/(?P<r>[\w.-]+?)(?:\.svg)?(?:/|$)"),
    ("david-dm.org", r"^/(?P<o>[\w.-]+)/(?P<r>[\w.-]+?)(?:\.svg)?(?:/|$)"),
    ("snyk.io", r"^/test/github/(?P<o>[\w.-]+)/(?P<r>[\w.-]+?)(?:/badge\.svg)?(?:/|$|\?)"),
    ("app.codacy.com", r"^/(?:project/badge/[^/]+/)?gh/(?P<o>[\w.-]+)/(?P<r>[\w.-]+?)(?:/|$)"),
)
_SHIELDS_ROUTES = ("actions/workflow/status", "workflow/status", "actions/status", "checks-status", "v/release",
                   "v/tag", "languages/top", "languages/code-size", "commit-activity/m", "commit-activity/y",
                   "commit-activity/w", "package-json/v", "downloads", "issues-pr", "issues-closed", "license",
                   "stars", "forks", "watchers", "issues", "last-commit", "release-date", "contributors",
                   "repo-size", "tag", "release", "size", "code-size", "deployments", "milestones")
_URL = re.compile(r"""(?:https?:)?//[^\s<>"'`)\]}]+""", re.I)
_PATH_SEGMENT = re.compile(r"[\w-][\w.-]*")
_NAME = re.compile(r"[\w.-]+")
_ACCOUNT = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
MAX_ACCOUNT_GUESSES = 2
DOC_DIRS = ("docs/", "doc/")
DOC_TEXT = (".rst", ".md", ".txt", ".markdown")
MAX_DOC_FILES = 50
MAX_DOC_BYTES = 256 * 1024
_CLONE = re.compile(r"git\s+clone\s+(?:-\S*\s+(?:\d+\s+)?)*+<?([^\s<>`'\"]+)")
"""`git clone [options] URL` (options skipped possessively: no backtracking on hostile text)."""


def _forge_link(url: str) -> SourceHint | None:
    """A link to a file or directory in a forge repository (blob/tree/raw links, raw-content hosts)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    segments = [unquote(s) for s in parts.path.split("/") if s]
    if host in _RAW_HOSTS and len(segments) >= 4:  # raw host: OWNER/REPO/BRANCH/path
        owner, repo, path = segments[0], segments[1], segments[3:]
        host = _RAW_HOSTS[host]
    elif host in urls.FORGES and len(segments) >= 5 and segments[2] in ("blob", "tree", "raw"):
        owner, repo, path = segments[0], segments[1], segments[4:]
    else:
        return None
    if not _name_ok(owner) or not _name_ok(repo) or any(s in (".", "..") for s in path):
        return None
    return SourceHint(f"https://{host}/{owner}/{repo}", "readme-blob-link", subdir=_package_dir(path))


def _package_dir(path: list[str]) -> str:
    """The directory a linked file suggests for the package: above the asset directory it sits in
    (`projects/NAME/docs/logo.png` → `projects/NAME`), else the file's directory."""
    for i, segment in enumerate(path):
        if segment.lower() in ASSET_DIRS:
            return "/".join(path[:i])
    return posixpath.dirname("/".join(path))


def _badge(url: str) -> SourceHint | None:
    """The repository a CI, coverage or shields.io badge is about (these services name GitHub repositories)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = unquote(parts.path)
    if host == "img.shields.io":
        for route in _SHIELDS_ROUTES:
            head = f"/github/{route}/"
            if path.startswith(head):
                segments = path[len(head):].split("/")
                if len(segments) >= 2 and segments[0] and segments[1]:
                    return _badge_hint(segments[0], segments[1].split(".")[0] if route != "tag" else segments[1],
                                       host)
        return None
    for badge_host, pattern in _BADGE_ROUTES:
        if host == badge_host:
            m = re.match(pattern, path)
            return _badge_hint(m.group("o"), m.group("r"), host) if m else None
    return None


def _name_ok(segment: str) -> bool:
    """An owner or repository name as forges allow them (never `.`/`..`, which would walk the URL)."""
    return bool(_PATH_SEGMENT.fullmatch(segment)) and segment.strip(".") != ""


def _badge_hint(owner: str, repo: str, service: str) -> SourceHint | None:
    repo = repo.removesuffix(".svg").removesuffix(".png")
    if not _name_ok(owner) or not _name_ok(repo):
        return None
    return SourceHint(f"https://github.com/{owner}/{repo}", f"ci-badge:{service}")


def hints_in_text(text: str, limit: int = 20) -> list[SourceHint]:
    """Candidates from the links and badges of a README or long description, in order of appearance, one per
    (repository, origin)."""
    found: list[SourceHint] = []
    seen: set[tuple[str, str]] = set()
    for m in _URL.finditer(text):
        url = m.group(0).rstrip(".,;:")
        url = "https:" + url if url.startswith("//") else url
        hint = _forge_link(url) or _badge(url)
        if hint is None or (hint.url.lower(), hint.origin) in seen:
            continue
        seen.add((hint.url.lower(), hint.origin))
        found.append(hint)
        if len(found) >= limit:
            break
    return found


def hints_in_docs(files: Mapping[str, bytes]) -> list[SourceHint]:
    """Candidates from the documentation an artifact ships (`docs/*.rst`: old sdists name their repository only
    in an installation page, `git clone git://FORGE/OWNER/REPO.git`), and `git clone` commands anywhere in its
    text files. Bounded: the first files in path order, the first bytes of each."""
    hints: list[SourceHint] = []
    texts: dict[str, str] = {}

    def text_of(path: str) -> str:
        if path not in texts:
            texts[path] = files[path][:MAX_DOC_BYTES].decode("utf-8", "replace")
        return texts[path]

    docs = [p for p in sorted(files) if p.startswith(DOC_DIRS) and p.lower().endswith(DOC_TEXT)]
    for path in docs[:MAX_DOC_FILES]:
        hints += [SourceHint(url, "docs-link") for url in urls.repo_links_in_text(text_of(path), 10)]
    tops = [p for p in sorted(files) if "/" not in p and posixpath.splitext(p.lower())[1] in ("", *DOC_TEXT)]
    for path in [*tops[:MAX_DOC_FILES], *docs[:MAX_DOC_FILES]]:
        text = text_of(path)
        if "clone" in text:  # what `_CLONE` needs, found at C speed: most pages have none
            hints += [SourceHint(m.group(1), "clone-command") for m in _CLONE.finditer(text)]
    return list(dict.fromkeys(hints))


def account_hints(name: str, maintainers: Iterable[str], hints: Iterable[SourceHint]) -> list[SourceHint]:
    """Guesses from accounts, when no repository is declared: the owner of a repository some link names, and
    each maintainer, with a repository named like the package (a forge account often matches the registry
    account)."""
    hints = list(hints)
    short = name.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    if not _NAME.fullmatch(short) or any(h.origin == "declared-repository" for h in hints):
        return []
    owners: list[tuple[str, str]] = []
    for hint in hints:
        norm = urls.normalize(hint.url)
        if norm is None or norm.host not in urls.FORGES:
            continue
        owner = norm.url.split("/")[3]
        owners.append((f"https://{norm.host}/{owner}/{short}", "owner-account"))
    for person in list(maintainers)[:MAX_ACCOUNT_GUESSES]:
        if _ACCOUNT.fullmatch(person):
            owners.append((f"https://github.com/{person}/{short}", "maintainer-account"))
    return [SourceHint(url, origin) for url, origin in list(dict.fromkeys(owners))[:MAX_ACCOUNT_GUESSES + 1]]
