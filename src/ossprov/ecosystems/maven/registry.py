"""Where Maven artifacts come from, decided as Maven decides: the local repository first, then the remote
repository from ossprov's configuration, the user's settings.xml (a mirror of central, or an active profile's
repository), and finally the central repository URL of the installed Maven's own super POM.
"""

from __future__ import annotations

import email.utils
import functools
import os
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ossprov import http
from ossprov.config import explicit_registry
from ossprov.ecosystems.xmlsafe import parse_xml, text
from ossprov.errors import InputError, NotFoundError, RegistryError
from ossprov.redaction import redact_url
from ossprov.safefile import read_limited

SUPER_POM = "org/apache/maven/model/pom-4.0.0.xml"
MAX_FILE_BYTES = 64 << 20
"""A POM, checksum or metadata file read from a local or `file://` repository (jars are downloaded, not read)."""
MAX_SETTINGS_BYTES = 4 << 20
_SEGMENT = re.compile(r"^[A-Za-z0-9_$+~-][A-Za-z0-9_.$+~-]{0,199}$")
"""A repository layout segment: a groupId part, an artifactId, a version or a file name. Coordinates come from
POMs (a hostile parent POM names them), so `..`, `/`, `\\`, `%` and control characters never get through."""


def _settings_files() -> list[Path]:
    """User settings first, then the installation's global settings (Maven merges them, user winning)."""
    files = [Path.home() / ".m2" / "settings.xml"]
    home = maven_home()
    if home:
        files.append(home / "conf" / "settings.xml")
    return [f for f in files if f.is_file()]


def maven_home() -> Path | None:
    """The installed Maven's home (M2_HOME / MAVEN_HOME, else the directory above the real `mvn`)."""
    for env in ("MAVEN_HOME", "M2_HOME"):
        if os.environ.get(env):
            return Path(os.environ[env])
    mvn = shutil.which("mvn")
    return Path(mvn).resolve().parent.parent if mvn else None


def _settings_repository(path: Path) -> str | None:
    """A mirror of central (mirrorOf `*`, `central`, or a list naming it) or an active profile's repository."""
    root = parse_xml(read_limited(path, MAX_SETTINGS_BYTES), f"Maven settings {path}", InputError)
    for mirror in root.iterfind("mirrors/mirror"):
        targets = [t.strip() for t in (text(mirror, "mirrorOf") or "").split(",")]
        if ("*" in targets or "central" in targets or "external:*" in targets) and "!central" not in targets:
            url = text(mirror, "url")
            if url:
                return url
    active = {(p.text or "").strip() for p in root.iterfind("activeProfiles/activeProfile")}
    for profile in root.iterfind("profiles/profile"):
        by_default = text(profile, "activation/activeByDefault") == "true"
        if text(profile, "id") in active or by_default:
            for repo in profile.iterfind("repositories/repository"):
                if text(repo, "url"):
                    return text(repo, "url")
    return None


@functools.cache
def super_pom_central() -> str | None:
    """The central repository URL the installed Maven itself defaults to (from its super POM)."""
    home = maven_home()
    if home is None:
        return None
    for jar in sorted((home / "lib").glob("maven-model-builder-*.jar")):
        try:
            with zipfile.ZipFile(jar) as zf:
                root = parse_xml(zf.read(SUPER_POM), f"{jar.name}!{SUPER_POM}", InputError)
        except (OSError, KeyError, zipfile.BadZipFile):
            continue
        for repo in root.iterfind("repositories/repository"):
            if text(repo, "id") == "central" and text(repo, "url"):
                return text(repo, "url")
    return None


def repository_url() -> str:
    """The remote repository base URL, with a trailing slash."""
    url = explicit_registry("maven")
    for settings in _settings_files():
        url = url or _settings_repository(settings)
    url = url or super_pom_central()
    if not url:
        raise InputError("no Maven repository configured: set OSSPROV_MAVEN_REPOSITORY, a mirror in "
                         "~/.m2/settings.xml, or install Maven")
    return url if url.endswith("/") else url + "/"


def local_repository() -> Path:
    """settings.xml <localRepository>, else ~/.m2/repository."""
    for settings in _settings_files():
        local = text(parse_xml(read_limited(settings, MAX_SETTINGS_BYTES), f"Maven settings {settings}", InputError),
                     "localRepository")
        if local:
            return Path(local.replace("${user.home}", str(Path.home())))
    return Path.home() / ".m2" / "repository"


@dataclass(frozen=True)
class Fetched:
    data: bytes
    url: str
    last_modified: str | None = None
    """HTTP Last-Modified of a remote file (a local copy's mtime says when it was downloaded, not published)."""


def _file(path: Path, url: str) -> Fetched | None:
    if not path.is_file():
        return None
    return Fetched(read_limited(path, MAX_FILE_BYTES), url)


def check_layout_path(path: str) -> None:
    """RegistryError unless `path` is a plain repository layout path (`org/x/a/1.0/a-1.0.pom`): every segment a
    coordinate part, none `.` or `..`, so that no coordinate a POM names reaches a file outside the repository."""
    segments = path.split("/")
    if len(path) > 1024 or len(segments) < 2 or not all(_SEGMENT.match(seg) and seg.strip(".") for seg in segments):
        raise RegistryError(f"refused Maven coordinates: {path[:200]!r} is not a repository layout path")


def fetch(path: str, *, local_first: bool = True) -> Fetched | None:
    """A repository file by layout path (`org/x/a/1.0/a-1.0.pom`), or None when absent; the path is checked
    (`check_layout_path`) before the local repository or the remote one is asked."""
    check_layout_path(path)
    if local_first:
        found = _file(local_repository() / path, (local_repository() / path).as_uri())
        if found:
            return found
    url = repository_url() + path
    if url.startswith("file:"):
        return _file(Path(unquote(urlsplit(url).path)), url)
    try:
        response = http.client().get(url, allow_404=True)
    except NotFoundError:
        return None
    if response.status_code in (404, 410):
        return None
    if response.status_code >= 400:
        raise RegistryError(f"{response.status_code} from {redact_url(url)}")
    return Fetched(response.content, url, response.headers.get("last-modified"))


def remote_url(path: str) -> str:
    """The URL an artifact is downloaded from."""
    return repository_url() + path


def iso_time(http_date: str | None) -> str | None:
    if not http_date:
        return None
    try:
        return email.utils.parsedate_to_datetime(http_date).isoformat()
    except (TypeError, ValueError):
        return None
