"""The cargo registry: which sparse index (ossprov's config, else cargo's own config files), its
`config.json` (the `dl` download template), and the index entry of one crate (JSON lines, one per version).

Cargo's default registry is built into cargo and not reported by it, so it must be configured somewhere
ossprov can read: `OSSPROV_CARGO_REGISTRY` (or `[registries] cargo`), a `[source.crates-io] replace-with`
chain ending in a `registry = "sparse+…"` source, or `[registry] default` naming a `[registries.NAME]` index,
in `$CARGO_HOME/config.toml` or a `.cargo/config.toml` at or above the working directory.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

from ossprov import http
from ossprov.config import explicit_registry
from ossprov.ecosystems.cargo.manifest import table, text
from ossprov.errors import InputError, NotFoundError, RegistryError
from ossprov.redaction import redact_url

DL_MARKERS = ("{crate}", "{version}", "{prefix}", "{lowerprefix}", "{sha256-checksum}")


def _config_files() -> list[Path]:
    """Cargo's config files, most specific first (cargo merges them, the nearest directory winning)."""
    files = []
    here = Path.cwd()
    for directory in (here, *here.parents):
        files += [directory / ".cargo" / "config.toml", directory / ".cargo" / "config"]
    home = Path(os.environ.get("CARGO_HOME") or Path.home() / ".cargo")
    files += [home / "config.toml", home / "config"]
    return [f for f in files if f.is_file()]


def _merged_config() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for path in reversed(_config_files()):
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
            raise InputError(f"cargo config {path} is not readable TOML: {exc}") from None
        for key, value in doc.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
    return merged


def _from_cargo_config() -> str | None:
    config = _merged_config()
    sources = table(config, "source")
    name, seen = "crates-io", set()
    while (following := text(table(sources, name), "replace-with")) and name not in seen:
        seen.add(name)
        name = following
    if name != "crates-io" and text(table(sources, name), "registry"):
        return text(table(sources, name), "registry")
    default = os.environ.get("CARGO_REGISTRY_DEFAULT") or text(table(config, "registry"), "default")
    if default:
        env = os.environ.get(f"CARGO_REGISTRIES_{default.upper().replace('-', '_')}_INDEX")
        return env or text(table(table(config, "registries"), default), "index")
    return None


def index_url() -> str:
    """The sparse index base URL (without `sparse+`, with a trailing slash)."""
    url = explicit_registry("cargo") or _from_cargo_config()
    if not url:
        raise InputError("no cargo registry configured: set OSSPROV_CARGO_REGISTRY to the sparse index URL "
                         "(sparse+https://…/), or configure a sparse registry in cargo's config.toml")
    if not url.startswith("sparse+"):
        raise InputError(f"cargo registry {redact_url(url)} is not a sparse index (git indexes are not supported)")
    return url.removeprefix("sparse+").rstrip("/") + "/"


def index_path(name: str) -> str:
    """Where a crate's entry sits in the index (by its lower-cased name: 1/a, 2/ab, 3/a/abc, ab/cd/abcd…)."""
    lower = name.lower()
    return f"{prefix(lower)}/{lower}"


def prefix(name: str) -> str:
    if len(name) <= 2:
        return str(len(name))
    if len(name) == 3:
        return f"3/{name[0]}"
    return f"{name[:2]}/{name[2:4]}"


def download_template() -> str:
    doc = http.client().get_json(index_url() + "config.json")
    dl = doc.get("dl") if isinstance(doc, dict) else None
    if not isinstance(dl, str) or not dl:
        raise RegistryError("the cargo index's config.json names no download location (`dl`)")
    return dl


def download_url(template: str, name: str, version: str, checksum: str) -> str:
    if not any(marker in template for marker in DL_MARKERS):
        return f"{template.rstrip('/')}/{name}/{version}/download"
    return (template.replace("{crate}", name).replace("{version}", version).replace("{prefix}", prefix(name))
            .replace("{lowerprefix}", prefix(name.lower())).replace("{sha256-checksum}", checksum))


def entries(name: str) -> list[dict[str, Any]] | None:
    """Every version record of a crate (oldest first, as the index lists them), or None for an unknown crate."""
    try:
        body = http.client().get(index_url() + index_path(name)).content
    except NotFoundError:
        return None
    records = []
    for line in body.decode("utf-8", "replace").splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            raise RegistryError(f"the cargo index entry of {name} has a line that is not JSON") from None
        if isinstance(record, dict) and isinstance(record.get("vers"), str):
            records.append(record)
    return records
