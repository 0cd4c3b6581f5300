"""Settings: ossprov's config file and environment, over the ecosystems' own configuration.

Registry base URLs are never written in ossprov's source. In order of precedence they come from:
the environment (`OSSPROV_NPM_REGISTRY`, `OSSPROV_PYPI_INDEX`, `OSSPROV_NUGET_SOURCE`,
`OSSPROV_MAVEN_REPOSITORY`, `OSSPROV_GOPROXY`, `OSSPROV_CARGO_REGISTRY`), ossprov's config file (`[registries]`
table), then the ecosystem's own configuration (npm config, pip config, NuGet.Config, Maven settings.xml,
`go env GOPROXY`, cargo's config.toml), then the client's built-in default as the installed client itself
reports it.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from ossprov.errors import InputError, OssprovError
from ossprov.safefile import racy, stamp

ENV_PREFIX = "OSSPROV_"


def _config_path() -> Path:
    explicit = os.environ.get("OSSPROV_CONFIG")
    if explicit:
        return Path(explicit)
    return _default_config_path(os.environ.get("XDG_CONFIG_HOME"), os.environ.get("HOME"))


@functools.lru_cache(maxsize=8)
def _default_config_path(_xdg_config_home: str | None, _home: str | None) -> Path:
    """platformdirs' answer, which only those two variables decide (on the platforms ossprov runs on)."""
    return Path(platformdirs.user_config_dir("ossprov")) / "config.toml"


@functools.lru_cache(maxsize=8)
def _parsed_config(path: Path, _stamp: object) -> dict[str, Any]:
    """The config file's tables, parsed once per state of the file (`_stamp`: an edit is read again)."""
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"config file {path} is not valid TOML: {exc}") from None


def _config_stamp(path: Path) -> object:
    """What the memos of the config file are keyed on: its stamp, or a key of its own for a file changed this
    instant (read again on each call until its stamp can be trusted)."""
    st = stamp(path)
    return object() if racy(st) else st


def _config_file() -> dict[str, Any]:
    path = _config_path()
    return _parsed_config(path, _config_stamp(path))


def config_value(section: str, key: str) -> Any:
    """A value from ossprov's config file, or None."""
    return _table(_config_file(), section).get(key)


def _table(config: dict[str, Any], section: str) -> dict[str, Any]:
    table = config.get(section, {})
    return table if isinstance(table, dict) else {}


@dataclass(frozen=True)
class Settings:
    """Where ossprov keeps things and how it talks to the world. Built once by `settings()`."""

    cache_dir: Path
    """Artifact cache (content addressed) and clone cache live below this."""
    data_dir: Path
    """The results database and the verified-artifact mirror store live below this."""
    timeout: float = 30.0
    """Seconds one network read or connect may wait (the whole request has `request_deadline`)."""
    request_deadline: float = 60.0
    """Seconds a registry request may take in all: connect, headers and whole body, retries included."""
    download_deadline: float = 900.0
    """Seconds an artifact download may take in all."""
    git_deadline: float = 600.0
    """Seconds one git call (a clone, a fetch, a log) may take before it is killed."""
    package_deadline: float = 1800.0
    """Seconds all the network and git work for one package may take (requests and git calls are cut to it)."""
    metadata_max_age: float = 600.0
    """Seconds a cached registry document is used without asking the registry (then it is revalidated)."""
    offline: bool = False
    """Use only what is cached: no registry request, no fetch; say what could not be checked."""
    retries: int = 4
    """How often a request is retried on 429, 5xx and connection errors."""
    registries: dict[str, str] = field(default_factory=dict)
    """Explicit registry overrides by ecosystem (from env or config file)."""

    @property
    def artifact_cache(self) -> Path:
        return self.cache_dir / "artifacts"

    @property
    def clone_cache(self) -> Path:
        return self.cache_dir / "clones"

    @property
    def db_url(self) -> str:
        explicit = os.environ.get("OSSPROV_DB") or config_value("database", "url")
        return explicit or f"sqlite:///{self.data_dir / 'results.sqlite'}"


_REGISTRY_ENV = {
    "npm": "OSSPROV_NPM_REGISTRY",
    "pypi": "OSSPROV_PYPI_INDEX",
    "nuget": "OSSPROV_NUGET_SOURCE",
    "maven": "OSSPROV_MAVEN_REPOSITORY",
    "golang": "OSSPROV_GOPROXY",
    "cargo": "OSSPROV_CARGO_REGISTRY",
}


_DURATIONS = {"timeout": ("TIMEOUT", 30.0), "request_deadline": ("REQUEST_DEADLINE", 60.0),
              "download_deadline": ("DOWNLOAD_DEADLINE", 900.0), "git_deadline": ("GIT_DEADLINE", 600.0),
              "package_deadline": ("PACKAGE_DEADLINE", 1800.0), "metadata_max_age": ("METADATA_MAX_AGE", 600.0)}
_SETTINGS_ENV = ("OSSPROV_CACHE", "OSSPROV_DATA", "OSSPROV_OFFLINE", "XDG_CACHE_HOME", "XDG_DATA_HOME", "HOME",
                 *_REGISTRY_ENV.values(), *(ENV_PREFIX + env for env, _ in _DURATIONS.values()))
"""Every variable `Settings` is built from (with the config file): the key of its memo."""


def settings() -> Settings:
    """Settings from the environment and config file. Built once for each state of what they are built from
    (those variables, the config file's location and stamp), so a test or a batch worker that changes the
    environment gets settings of the new one, and a run that asks a hundred times reads them once."""
    path = _config_path()
    return _settings(tuple(os.environ.get(name) for name in _SETTINGS_ENV), path, _config_stamp(path))


@functools.lru_cache(maxsize=8)
def _settings(env_values: tuple[str | None, ...], path: Path, file_stamp: object) -> Settings:
    config = _parsed_config(path, file_stamp)
    environment = dict(zip(_SETTINGS_ENV, env_values, strict=True))

    def value(env: str, section: str, key: str) -> Any:
        return environment[env] or _table(config, section).get(key)

    cache, data = value("OSSPROV_CACHE", "cache", "dir"), value("OSSPROV_DATA", "data", "dir")
    registries = {eco: str(v) for eco, env in _REGISTRY_ENV.items() if (v := value(env, "registries", eco))}
    offline = value("OSSPROV_OFFLINE", "http", "offline") or ""

    def seconds(key: str) -> float:
        env, default = _DURATIONS[key]
        return _seconds(env, key, default, value(ENV_PREFIX + env, "http", key), allow_zero=key == "metadata_max_age")

    return Settings(
        cache_dir=Path(cache) if cache else Path(platformdirs.user_cache_dir("ossprov")),
        data_dir=Path(data) if data else Path(platformdirs.user_data_dir("ossprov")),
        timeout=seconds("timeout"), request_deadline=seconds("request_deadline"),
        download_deadline=seconds("download_deadline"), git_deadline=seconds("git_deadline"),
        package_deadline=seconds("package_deadline"), metadata_max_age=seconds("metadata_max_age"),
        offline=str(offline).lower() not in ("", "0", "false", "no"),
        registries=registries,
    )


def _seconds(env: str, key: str, default: float, raw: Any, *, allow_zero: bool = False) -> float:
    """A duration (`raw`, from `OSSPROV_<env>` or the config file's `[http]` table): a positive number of
    seconds."""
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = float("nan")
    if not (value > 0 or (allow_zero and value == 0)) or value == float("inf"):
        raise InputError(f"{ENV_PREFIX}{env} (or [http] {key}) must be a positive number of seconds, "
                         f"got {str(raw)[:40]!r}")
    return value


def explicit_registry(ecosystem: str) -> str | None:
    """The registry URL set for ossprov itself (environment or config file), if any."""
    return settings().registries.get(ecosystem)


PROJECT_DIR: contextvars.ContextVar[Path | None] = contextvars.ContextVar("ossprov_project_dir", default=None)
"""The project whose dependencies are being checked (`scan PATH` sets it): its own registry configuration
(`.npmrc`) applies, as it does when the package manager runs there, wherever ossprov was started."""


def npm_configured_registry() -> str | None:
    """The registry npm itself is configured with (`npm config get registry`), honouring .npmrc files, those of
    the scanned project included."""
    return _npm_registry_in(PROJECT_DIR.get() or Path.cwd())


@functools.cache
def _npm_registry_in(cwd: Path) -> str | None:
    npm = shutil.which("npm")
    if not npm:
        return None
    program = Path(os.path.realpath(npm))
    prefix = program.parent.parent
    npm_env = {k.lower(): v for k, v in os.environ.items() if k.lower().startswith("npm_config_")}
    read = [program, Path(npm_env.get("npm_config_userconfig") or Path.home() / ".npmrc"), prefix / "etc" / "npmrc",
            prefix / "lib" / "node_modules" / "npm" / "npmrc", *(d / ".npmrc" for d in (cwd, *cwd.parents))]

    def ask() -> str | None:
        try:
            out = subprocess.run([npm, "config", "get", "registry"], capture_output=True, text=True, timeout=30,
                                 check=False, cwd=cwd)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    return _remembered("npm-registry", [str(program), str(cwd), *sorted(npm_env.items())], read, ask)


@functools.cache
def pip_configured_index() -> str | None:
    """The index pip is configured with (PIP_INDEX_URL, pip.conf files), else pip's own default."""
    env = os.environ.get("PIP_INDEX_URL")
    if env:
        return env
    pip_env = sorted((k, v) for k, v in os.environ.items() if k.startswith("PIP_"))
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    dirs = [Path(d) for d in os.environ.get("XDG_CONFIG_DIRS", "/etc/xdg").split(":") if d]
    read = [Path(os.environ.get("PIP_CONFIG_FILE") or "/nonexistent"), config_home / "pip" / "pip.conf",
            Path.home() / ".pip" / "pip.conf", Path(sys.prefix) / "pip.conf", Path("/etc/pip.conf"),
            *(d / "pip" / "pip.conf" for d in dirs)]
    spec = importlib.util.find_spec("pip")
    if spec is None or not spec.origin:  # pip not importable: no configuration to honour
        return None
    return _remembered("pip-index", [sys.prefix, *map(str, pip_env)], [Path(spec.origin), *read], _ask_pip)


def _ask_pip() -> str | None:
    from pip._internal.configuration import Configuration
    from pip._internal.models.index import PyPI

    try:
        conf = Configuration(isolated=False)
        conf.load()
        for key in ("global.index-url", "install.index-url", ":env:.index-url"):
            try:
                return str(conf.get_value(key))
            except Exception:  # pip raises ConfigurationError for an unset key
                continue
    except Exception:  # a broken pip.conf is pip's problem; fall back to its default
        pass
    return str(PyPI.simple_url)


def _remembered(name: str, facts: list, files: list[Path], ask: Callable[[], str | None]) -> str | None:
    """A registry URL an ecosystem's own tool reports, remembered in the cache directory under a digest of
    everything the tool's answer depends on (`facts`, and the state of the `files` it reads), so that a warm run
    starts no node or pip for it."""
    parts = [*map(str, facts), *(f"{f}:{stamp(f)}" for f in files)]
    memo = settings().cache_dir / name / hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]
    try:
        value: str | None = memo.read_text().strip()
    except OSError:
        value = ask()
        if value and value.startswith(("http://", "https://")):
            from ossprov.atomic import atomic_write

            with contextlib.suppress(OssprovError):  # an unwritable cache only costs the next run one more ask
                atomic_write(memo, value.encode())
    return value if value and value.startswith(("http://", "https://")) else None

