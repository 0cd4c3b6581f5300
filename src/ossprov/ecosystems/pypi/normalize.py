"""What Python build backends write or rewrite that stays faithful to the source: core metadata (PKG-INFO,
`*.egg-info`, `*.dist-info`, whose dependencies and entry points `metadata` checks), setup.cfg as setuptools
rewrites it into sdists, and the version files setuptools_scm and hatch-vcs write."""

from __future__ import annotations

import re
from configparser import ConfigParser
from configparser import Error as ConfigError

METADATA_FILES = ("PKG-INFO",)
VERSION_FILE = re.compile(rb"^(__version__|version|VERSION|__version_tuple__|version_tuple)\b", re.M)


def is_build_metadata(path: str) -> bool:
    """PKG-INFO and the files of `*.egg-info`/`*.dist-info` directories, wherever they sit (src layouts put
    egg-info under src/)."""
    return path in METADATA_FILES or any(part.endswith((".egg-info", ".dist-info")) for part in path.split("/")[:-1])


def setup_cfg_settings(data: bytes) -> dict[str, dict[str, list[str]]] | None:
    """setup.cfg's settings without the [egg_info] section setuptools adds, with values split into stripped
    lines: setuptools rewrites the file through configparser (comments dropped, indentation changed)."""
    parser = ConfigParser(interpolation=None)
    try:
        parser.read_string(data.decode("utf-8"))
    except (ConfigError, UnicodeDecodeError):
        return None
    return {section: {key: [line.strip() for line in value.splitlines() if line.strip()]
                      for key, value in parser[section].items()}
            for section in parser.sections() if section != "egg_info"}


def looks_like_version_file(data: bytes, version: str | None) -> bool:
    """A small module that only assigns version strings (what setuptools_scm and hatch-vcs write)."""
    if len(data) > 4096:
        return False
    text = data.decode("utf-8", "replace")
    code = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    allowed = re.compile(r"^\s*(__all__|__version__|version|VERSION|__version_tuple__|version_tuple|TYPE_CHECKING|"
                         r"VERSION_TUPLE|commit_id|__commit_id__|if |else|from typing|from __future__|"
                         r"Tuple|Union|__version_info__|version_info|\)|\]|\s*['\"0-9])")
    if not code or not all(allowed.match(line) for line in code) or not VERSION_FILE.search(data):
        return False
    return version is None or version in text
