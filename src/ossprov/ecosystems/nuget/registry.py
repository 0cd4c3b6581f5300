"""The NuGet v3 feed: which source (ossprov config, else NuGet.Config), its service index, the flat container
and the registration (catalog entry) of one version."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Any

from ossprov import http
from ossprov.config import explicit_registry
from ossprov.ecosystems.xmlsafe import parse_xml
from ossprov.errors import InputError, NotFoundError, RegistryError


def _nuget_config_source() -> str | None:
    """The first v3 package source of the user's NuGet.Config (honouring <clear/>)."""
    path = Path.home() / ".nuget" / "NuGet" / "NuGet.Config"
    if not path.is_file():
        return None
    root = parse_xml(path.read_bytes(), f"NuGet config {path}", InputError)
    sources: list[str] = []
    listed = root.find("packageSources")
    for el in listed if listed is not None else []:
        if el.tag == "clear":
            sources = []
        elif el.tag == "add" and (el.get("value") or "").startswith(("http://", "https://")):
            sources.append(el.get("value") or "")
    return sources[0] if sources else None


def source_url() -> str:
    url = explicit_registry("nuget") or _nuget_config_source()
    if not url:
        raise InputError("no NuGet source configured: set OSSPROV_NUGET_SOURCE or add one to NuGet.Config")
    return url


def normalize_version(version: str) -> str:
    """NuGet's normalised form, lower-cased: build metadata dropped, `1.0` → `1.0.0`, `1.0.0.0` → `1.0.0`."""
    core, _, pre = version.split("+", 1)[0].lower().partition("-")
    parts = core.split(".")
    while len(parts) < 3:
        parts.append("0")
    if len(parts) == 4 and parts[3] == "0":
        parts = parts[:3]
    return ".".join(parts) + (f"-{pre}" if pre else "")


def services() -> dict[str, str]:
    doc = http.client().get_json(source_url())
    resources = doc.get("resources") if isinstance(doc, dict) else None
    if not isinstance(resources, list):
        raise RegistryError("the NuGet service index has no resources")
    out: dict[str, str] = {}
    for res in resources:
        if isinstance(res, dict) and isinstance(res.get("@type"), str) and isinstance(res.get("@id"), str):
            kind = res["@type"].split("/", 1)[0]
            out.setdefault(kind, res["@id"].rstrip("/") + "/")
    if "PackageBaseAddress" not in out:
        raise RegistryError("the NuGet service index names no PackageBaseAddress (flat container)")
    return out


def catalog_entry(registrations: str, package_id: str, version: str) -> dict[str, Any] | None:
    """The registration catalogEntry of one version (pages fetched when not inlined), or None."""
    try:
        index = http.client().get_json(f"{registrations}{package_id.lower()}/index.json")
    except NotFoundError:
        return None
    for page in index.get("items", []) if isinstance(index, dict) else []:
        if isinstance(page, dict) and "items" not in page and isinstance(page.get("@id"), str):
            page = http.client().get_json(page["@id"])
        for leaf in page.get("items", []) if isinstance(page, dict) else []:
            entry = leaf.get("catalogEntry") if isinstance(leaf, dict) else None
            if isinstance(entry, str):
                entry = http.client().get_json(entry)
            if isinstance(entry, dict) and normalize_version(str(entry.get("version", ""))) == version:
                return entry
    return None


def hash_hex(entry: dict[str, Any]) -> dict[str, str]:
    """{algo: hex} from packageHash/packageHashAlgorithm (base64), when the catalog has them."""
    value, algo = entry.get("packageHash"), str(entry.get("packageHashAlgorithm", "SHA512")).lower()
    if not isinstance(value, str):
        return {}
    try:
        return {algo: base64.b64decode(value, validate=True).hex()}
    except (binascii.Error, ValueError):
        return {}
