"""npm manifest confusion: the registry's version metadata against the `package.json` inside the tarball.

npm resolves and installs dependencies, decides on install scripts, links `bin` and checks `os`/`cpu` from
the packument's version object, which the publisher sends beside the tarball and the registry does not derive
from it. A comparison of the tarball with the repository reads the tarball's `package.json`, so a version
object that adds a dependency or an install script the tarball lacks passes it unseen. Every field an install
acts on is compared here, after the rewrites npm itself makes at publish (normalize-package-data: `bin` as a
string becomes `{name: path}` and loses `./`, `directories.bin` becomes `bin`; optional dependencies are listed
in `dependencies` too; a `binding.gyp` without an install script gets `node-gyp rebuild`). Of the scripts,
those an install runs are compared.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from typing import Any

from ossprov.model import Finding, Severity

INSTALL_FIELDS = ("dependencies", "optionalDependencies", "peerDependencies", "peerDependenciesMeta",
                  "bundleDependencies", "scripts", "bin", "os", "cpu", "libc", "engines", "gypfile", "directories")
"""What `npm install` reads from the version metadata to decide what to fetch, run, link or refuse."""
INSTALL_SCRIPTS = ("preinstall", "install", "postinstall", "prepare", "preprepare", "postprepare")
"""The scripts an install runs (others, such as the `start` old npm adds for a server.js, it does not)."""


def _bin(value: Any, name: str) -> dict[str, str]:
    if isinstance(value, str):
        value = {name.rsplit("/", 1)[-1]: value}
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v).removeprefix("./") for k, v in value.items()}


def normalized(doc: dict[str, Any], name: str, has_gyp: bool, files: Iterable[str] = ()) -> dict[str, Any]:
    """The install fields of a package.json-shaped document as npm's publish normalises them (empty and
    absent alike); `files` are the tarball's paths, from which `directories.bin` becomes `bin`."""
    out: dict[str, Any] = {}
    for key in INSTALL_FIELDS:
        value = doc.get("bundledDependencies") if key == "bundleDependencies" and key not in doc else doc.get(key)
        if key == "bin":
            value = _bin(value, name) or _directory_bin(doc, files)
        elif key == "scripts":
            value = {k: v for k, v in value.items() if k in INSTALL_SCRIPTS} if isinstance(value, dict) else None
        elif key == "directories":
            value = {"bin": value["bin"]} if isinstance(value, dict) and "bin" in value else None
        if value not in (None, {}, [], False):
            out[key] = value
    deps = {**(out.get("dependencies") or {}), **(out.get("optionalDependencies") or {})}
    if deps:
        out["dependencies"] = deps
    scripts = dict(out.get("scripts") or {})
    if has_gyp and not (scripts.get("install") or scripts.get("preinstall")):
        scripts["install"] = "node-gyp rebuild"
        out["gypfile"] = True
    if scripts:
        out["scripts"] = scripts
    return out


def _directory_bin(doc: dict[str, Any], files: Iterable[str]) -> dict[str, str]:
    directories = doc.get("directories")
    folder = directories.get("bin") if isinstance(directories, dict) else None
    if not isinstance(folder, str) or not folder.strip("./"):
        return {}
    prefix = folder.removeprefix("./").rstrip("/") + "/"
    return {posixpath.basename(p): p for p in files if p.startswith(prefix) and "/" not in p[len(prefix):]}


def findings(registry: dict[str, Any], tarball: dict[str, Any], name: str, has_gyp: bool,
             files: Iterable[str] = ()) -> list[Finding]:
    """High findings for each install field the registry's metadata sets otherwise than the tarball."""
    if not registry:
        return []
    files = list(files)
    ours, theirs = normalized(registry, name, has_gyp, files), normalized(tarball, name, has_gyp, files)
    out = []
    for key in INSTALL_FIELDS:
        a, b = ours.get(key), theirs.get(key)
        if a == b:
            continue
        if isinstance(a, dict | None) and isinstance(b, dict | None):
            a, b = a or {}, b or {}
            changed = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            detail = ", ".join(f"{k}: {b.get(k)!r} in the tarball, {a.get(k)!r} in the registry" for k in changed[:4])
        else:
            detail = f"{b!r} in the tarball, {a!r} in the registry"
        out.append(Finding(Severity.HIGH, "OSP117", "package.json",
                           f"manifest confusion: the registry's `{key}` (what npm installs from) differs from the "
                           f"tarball's package.json ({detail})"))
    return out
