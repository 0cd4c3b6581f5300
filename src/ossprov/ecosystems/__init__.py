"""Ecosystem plug-ins by purl type."""

from __future__ import annotations

import importlib

from ossprov.ecosystems.interface import Ecosystem
from ossprov.errors import InputError

_MODULES = {"npm": "npm", "pypi": "pypi", "nuget": "nuget", "maven": "maven", "golang": "golang", "cargo": "cargo"}
_instances: dict[str, Ecosystem] = {}


def supported() -> list[str]:
    """Purl types with a plug-in installed."""
    found = []
    for purl_type, module in _MODULES.items():
        try:
            importlib.import_module(f"ossprov.ecosystems.{module}")
        except ModuleNotFoundError:
            continue
        found.append(purl_type)
    return found


def get(purl_type: str) -> Ecosystem:
    """The plug-in for `purl_type`; InputError for a type ossprov does not handle."""
    if purl_type in _instances:
        return _instances[purl_type]
    module_name = _MODULES.get(purl_type)
    if module_name is None:
        raise InputError(f"unsupported package type {purl_type!r} (supported: {', '.join(supported())})")
    try:
        module = importlib.import_module(f"ossprov.ecosystems.{module_name}")
    except ModuleNotFoundError as exc:
        raise InputError(f"package type {purl_type!r} is not supported yet") from exc
    _instances[purl_type] = module.ECOSYSTEM
    return module.ECOSYSTEM
