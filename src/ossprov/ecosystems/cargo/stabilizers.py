"""Stabilisers for what cargo, not the crate's author, writes into a `.crate`: the normalised `Cargo.toml`
and, in a library, `Cargo.lock`. The rebuild asks for them through the Builder concern (`stabilizers`).

The crate does not record the cargo that packaged it, so the rebuild's cargo (today's) writes the normalised
`Cargo.toml` differently from the publisher's: another header comment, another key and table order, and
since cargo 1.78-1.84 every target spelled out (`build = "build.rs"` or `build = false`, `autolib`,
`autobins`, `autoexamples`, `autotests`, `autobenches = false`, `[lib] name/path`, one `[[bin]]`,
`[[example]]`, `[[test]]`, `[[bench]]` per file) where older cargo left cargo to discover them from the files.
`crate_manifest` replaces the file, in both crates, by the manifest's *meaning*, parsed with tomllib and
written one sorted `key.path = value` line per leaf (the diff of a real difference stays readable):

- resolved, not dropped: the targets (the lib, bins, examples, tests, benches, each with its path), the build
  script, `edition` (default 2015) and `readme` (README.md, README.txt or README when not named), each as
  cargo would find them in that crate's own files, so an implicit target and a spelled-out one compare equal
  and a target that points elsewhere does not;
- dropped, because they only steer the discovery just resolved: `package.autolib`, `package.autobins`,
  `package.autoexamples`, `package.autotests`, `package.autobenches`;
- spelled one way: the underscore aliases cargo accepts (`dev_dependencies`, `build_dependencies`,
  `default_features`, `crate_type`, `proc_macro`, `required_features` ...) as their hyphenated names; a
  dependency given as a version string as `{version = ...}`, without the keys a cargo writes or omits at their
  default (`optional = false`, `default-features = true`, `features = []`); feature lists as sets;
  `readme`/`license-file` paths that leave the package as the file name cargo copies them to.

Everything else (package fields, every dependency with its version, features, optionality and platform, the
features table, `links`, `[lints]`, metadata) is kept as written, so an added dependency, a changed build
script, a feature enabling more code or a moved `[lib] path` is still a difference.

`crate_lockfile_format` does the same for `Cargo.lock`: the format (`version = 3`/`4`, format 1's `[metadata]`
checksums, dependencies named `name`, `name version` or `name version (source)`) is the writing cargo's; which
package, version, source and checksum is locked is kept.

Before cargo 1.57 `.cargo_vcs_info.json` named the commit but not the directory (`path_in_vcs`):
`vcs_info_directory` drops the directory, and is offered only when the published file has none.

Before cargo 1.84 a library's crate held no `Cargo.lock`; today's cargo adds one. A lockfile in a crate is read
only by `cargo install`, which installs binaries: `library_lockfile` drops it from a crate with no bin target,
and is offered only when the published crate has none (`stabilizers`), so a lockfile the publisher shipped is
always compared.
"""

from __future__ import annotations

import dataclasses
import json
import posixpath
import re
import tomllib
from typing import Any

from ossprov.ecosystems.cargo.manifest import table
from ossprov.verify.stabilize import Entry, Image, Stabilizer

MANIFEST = "Cargo.toml"
LOCKFILE = "Cargo.lock"
VCS_INFO = ".cargo_vcs_info.json"
DISCOVERY_KEYS = ("autolib", "autobins", "autoexamples", "autotests", "autobenches")
"""`package` keys that only switch target discovery on or off (cargo 1.83+ writes them all `false`)."""
TARGET_DIRS = {"bin": "src/bin", "example": "examples", "test": "tests", "bench": "benches"}
"""Where cargo discovers each kind of target besides the lib and `src/main.rs`."""
DEPENDENCY_DEFAULTS: tuple[tuple[str, Any], ...] = (("optional", False), ("default-features", True), ("features", []))
README_NAMES = ("README.md", "README.txt", "README")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _hyphenated(doc: dict[str, Any]) -> dict[str, Any]:
    """Keys with cargo's underscore aliases spelled with hyphens (one level). A key given both ways keeps both:
    merging them would pick one value where cargo may honour the other."""
    return {k.replace("_", "-") if k.replace("_", "-") not in doc else k: v for k, v in doc.items()}


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _root(image: Image) -> str | None:
    """The crate's one top-level directory (`name-version/`), or None when the image is not laid out so."""
    tops = {e.name.split("/", 1)[0] for e in image.entries}
    return tops.pop() + "/" if len(tops) == 1 and image.format == "tar" else None


def _files(image: Image, root: str) -> set[str]:
    return {e.name.removeprefix(root) for e in image.entries if e.kind == "file" and e.name.startswith(root)}


def _manifest(image: Image, root: str) -> dict[str, Any] | None:
    entry = next((e for e in image.entries if e.name == root + MANIFEST and e.kind == "file"), None)
    try:
        return tomllib.loads(entry.data.decode("utf-8")) if entry else None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError):
        return None


def _copied_path(path: Any) -> Any:
    """A file cargo copies into the package root when it lies outside (readme, license-file) by its new name."""
    if not isinstance(path, str):
        return path
    path = posixpath.normpath(path.replace("\\", "/"))
    return posixpath.basename(path) if path.startswith("../") else path


def _dependency(spec: Any) -> Any:
    if isinstance(spec, str):
        return {"version": spec}
    if not isinstance(spec, dict):
        return spec
    spec = _hyphenated(spec)
    if isinstance(spec.get("features"), list):
        spec["features"] = sorted(spec["features"], key=str)
    return {k: v for k, v in spec.items() if (k, v) not in DEPENDENCY_DEFAULTS}


def _dependencies(doc: dict[str, Any]) -> dict[str, Any]:
    """The dependency tables of a manifest or a `[target.'cfg']` table, normalised; other keys as written."""
    out = {}
    for key, value in _hyphenated(doc).items():
        if key in ("dependencies", "dev-dependencies", "build-dependencies") and isinstance(value, dict):
            value = {name: _dependency(spec) for name, spec in value.items()}
        out[key] = value
    return out


def _auto(package: dict[str, Any], kind: str, explicit: list[Any], edition: str) -> bool:
    """Whether cargo discovers targets of `kind`: its `auto*` key, else on (edition 2015: off when any target
    of the kind is declared)."""
    flag = package.get("autolib" if kind == "lib" else f"auto{kind}s" if kind != "bench" else "autobenches")
    if isinstance(flag, bool):
        return flag
    return not (edition == "2015" and explicit)


def _discovered(kind: str, files: set[str], package_name: str) -> dict[str, str]:
    """Target name → path of the targets of `kind` cargo finds among the crate's files."""
    found = {}
    if kind == "bin" and "src/main.rs" in files:
        found[package_name] = "src/main.rs"
    base = TARGET_DIRS[kind] + "/"
    for path in sorted(files):
        rest = path.removeprefix(base)
        if not path.startswith(base):
            continue
        if "/" not in rest and rest.endswith(".rs"):
            found.setdefault(rest.removesuffix(".rs"), path)
        elif rest.count("/") == 1 and rest.endswith("/main.rs"):
            found.setdefault(rest.split("/")[0], path)
    return found


def _default_path(kind: str, name: str, files: set[str], package_name: str) -> str:
    candidates = [f"{TARGET_DIRS[kind]}/{name}.rs", f"{TARGET_DIRS[kind]}/{name}/main.rs"]
    if kind == "bin" and name == package_name:
        candidates.insert(0, "src/main.rs")
    return next((c for c in candidates if c in files), candidates[0])


def targets(doc: dict[str, Any], files: set[str]) -> dict[str, Any]:
    """The crate's targets as cargo resolves them from the manifest and the files: `lib` (one table or absent)
    and, per kind, target name → table with its `path`."""
    package = table(doc, "package")
    name = _string(package.get("name"))
    edition = str(package.get("edition", "2015"))
    out: dict[str, Any] = {}
    lib = _hyphenated(table(doc, "lib"))
    if lib or (_auto(package, "lib", [], edition) and "src/lib.rs" in files):
        out["lib"] = {"name": name.replace("-", "_"), "path": "src/lib.rs", **lib}
    for kind in TARGET_DIRS:
        declared = doc.get(kind)
        explicit = [_hyphenated(t) for t in declared if isinstance(t, dict)] if isinstance(declared, list) else []
        resolved: dict[str, Any] = {}
        for t in explicit:
            key = _string(t.get("name"))
            resolved[key] = {**t, "path": t.get("path", _default_path(kind, key, files, name))}
        if _auto(package, kind, explicit, edition):
            taken = {t["path"] for t in resolved.values()}
            for key, path in _discovered(kind, files, name).items():
                if key not in resolved and path not in taken:
                    resolved[key] = {"name": key, "path": path}
        if resolved:
            out[kind] = resolved
    return out


def _build_script(package: dict[str, Any], files: set[str]) -> Any:
    build = package.get("build")
    if build is None or build is True:
        return "build.rs" if "build.rs" in files else None
    return None if build is False else build


def _readme(package: dict[str, Any], files: set[str]) -> Any:
    readme = package.get("readme")
    if readme is None or readme is True:
        return next((n for n in README_NAMES if n in files), None)
    return None if readme is False else _copied_path(readme)


def meaning(doc: dict[str, Any], files: set[str]) -> dict[str, Any]:
    """What a normalised Cargo.toml says, with what only the writing cargo decides taken out (module doc)."""
    package = _hyphenated(table(doc, "package"))
    package.update(build=_build_script(package, files), readme=_readme(package, files),
                   edition=str(package.get("edition", "2015")))
    if "license-file" in package:
        package["license-file"] = _copied_path(package["license-file"])
    for key in DISCOVERY_KEYS:
        package.pop(key, None)
    out = _dependencies({k: v for k, v in doc.items() if k not in ("package", "lib", *TARGET_DIRS)})
    out["package"] = {k: v for k, v in package.items() if v is not None}
    if isinstance(out.get("target"), dict):
        out["target"] = {cfg: _dependencies(t) if isinstance(t, dict) else t for cfg, t in out["target"].items()}
    if isinstance(out.get("features"), dict):
        out["features"] = {k: sorted(v, key=str) if isinstance(v, list) else v for k, v in out["features"].items()}
    out["targets"] = targets(doc, files)
    return out


def _key(part: str) -> str:
    return part if _BARE_KEY.fullmatch(part) else json.dumps(part)


def lines(value: Any, prefix: str = "") -> list[str]:
    """`key.path = value` for every leaf of a parsed document, sorted (lists of tables as JSON values)."""
    if isinstance(value, dict) and value:
        return sorted(line for k, v in value.items() for line in lines(v, f"{prefix}.{_key(k)}" if prefix else _key(k)))
    return [f"{prefix} = {json.dumps(value, sort_keys=True, default=str)}"]


def _rewrite(image: Image, fix: Any) -> Image:
    """`fix(image, root, entry)` → new entries for the crate's entries (None drops one)."""
    root = _root(image)
    if root is None:
        return image
    out = []
    for e in image.entries:
        new = fix(image, root, e)
        if new is not None:
            out.append(new)
    return dataclasses.replace(image, entries=tuple(out)) if out != list(image.entries) else image


def crate_manifest(image: Image) -> Image:
    """A crate's normalised Cargo.toml compared by meaning: parsed, targets, build script, edition and readme
    resolved against the crate's files, discovery switches (autolib, autobins, autoexamples, autotests,
    autobenches) dropped, cargo's aliases and defaults spelled one way; key order, comments and layout,
    which follow the cargo that packaged it, no longer count."""

    def fix(image: Image, root: str, e: Entry) -> Entry:
        if e.name != root + MANIFEST or (doc := _manifest(image, root)) is None:
            return e
        text = "\n".join(lines(meaning(doc, _files(image, root)))) + "\n"
        return dataclasses.replace(e, data=text.encode())

    return _rewrite(image, fix)


def library_lockfile(image: Image) -> Image:
    """Cargo.lock dropped from a crate with no bin target, offered only when the published crate has none:
    cargo before 1.84 left it out of libraries, today's adds it, and only `cargo install` (binaries) reads it."""

    def fix(image: Image, root: str, e: Entry) -> Entry | None:
        if e.name != root + LOCKFILE or (doc := _manifest(image, root)) is None:
            return e
        return e if "bin" in targets(doc, _files(image, root)) else None

    return _rewrite(image, fix)


_METADATA_CHECKSUM = re.compile(r"checksum (\S+) (\S+) \((.+)\)")


def _dependency_id(entry: Any, versions: dict[str, list[str]]) -> Any:
    """A lockfile dependency as `name version`: format 1 writes `name version (source)`, later formats just
    `name` when one version of it is locked."""
    if not isinstance(entry, str):
        return entry
    name, _, rest = entry.partition(" ")
    version = rest.split(" ", 1)[0] if rest else (versions[name][0] if len(versions.get(name, [])) == 1 else "")
    return f"{name} {version}".strip()


def lock_meaning(doc: dict[str, Any]) -> dict[str, Any]:
    """What a Cargo.lock pins, whatever its format: each package by name, version and source with its checksum
    and dependencies; the format `version` dropped and format 1's `[metadata]` checksums moved to their
    packages."""
    packages = [p for p in doc.get("package", []) if isinstance(p, dict)] if isinstance(doc.get("package"), list) else []
    versions: dict[str, list[str]] = {}
    for p in packages:
        versions.setdefault(_string(p.get("name")), []).append(_string(p.get("version")))
    checksums = {m.groups(): v for k, v in table(doc, "metadata").items() if (m := _METADATA_CHECKSUM.fullmatch(k))}
    pinned = {}
    for p in packages:
        key = (_string(p.get("name")), _string(p.get("version")), _string(p.get("source")))
        entry = {**p, "checksum": p.get("checksum", checksums.get(key))}
        if isinstance(p.get("dependencies"), list):
            entry["dependencies"] = sorted(str(_dependency_id(d, versions)) for d in p["dependencies"])
        pinned[" ".join(key).strip()] = {k: v for k, v in entry.items() if v is not None}
    rest = {k: v for k, v in doc.items() if k not in ("version", "package", "metadata")}
    return {**rest, "package": pinned}


def crate_lockfile_format(image: Image) -> Image:
    """A crate's Cargo.lock compared by what it pins: the lockfile format (`version = 3` or `4`, format 1's
    `[metadata]` checksums, how a dependency is named) follows the cargo that wrote it; every package's
    name, version, source, checksum and dependencies still count."""

    def fix(image: Image, root: str, e: Entry) -> Entry:
        if e.name != root + LOCKFILE or e.kind != "file":
            return e
        try:
            doc = tomllib.loads(e.data.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError):
            return e
        return dataclasses.replace(e, data=("\n".join(lines(lock_meaning(doc))) + "\n").encode())

    return _rewrite(image, fix)


def vcs_info_directory(image: Image) -> Image:
    """`path_in_vcs` dropped from a crate's .cargo_vcs_info.json, offered only when the published one has none:
    cargo before 1.57 did not record the directory; the commit (`git.sha1`) and `dirty` still count."""

    def fix(image: Image, root: str, e: Entry) -> Entry:
        if e.name != root + VCS_INFO or e.kind != "file":
            return e
        try:
            doc = json.loads(e.data)
        except (ValueError, RecursionError):
            return e
        if not isinstance(doc, dict):
            return e
        doc.pop("path_in_vcs", None)
        return dataclasses.replace(e, data=("\n".join(lines(doc)) + "\n").encode())

    return _rewrite(image, fix)


def _without_directory(published: Image, root: str) -> bool:
    """The published .cargo_vcs_info.json is an object without `path_in_vcs`."""
    entry = next((e for e in published.entries if e.name == root + VCS_INFO and e.kind == "file"), None)
    try:
        doc = json.loads(entry.data) if entry else None
    except (ValueError, RecursionError):
        return False
    return isinstance(doc, dict) and "path_in_vcs" not in doc


def stabilizers(published: Image) -> tuple[tuple[str, Stabilizer], ...]:
    """The crate stabilisers that apply to a published crate (none for an image that is not one). The lockfile
    one runs first: it reads the manifest before `crate_manifest` rewrites it."""
    root = _root(published)
    if root is None or _manifest(published, root) is None:
        return ()
    has_lock = root + LOCKFILE in {e.name for e in published.entries}
    return (*(() if has_lock else (("crate-library-lockfile", library_lockfile),)),
            ("crate-manifest", crate_manifest), ("crate-lockfile-format", crate_lockfile_format),
            *((("crate-vcs-info-directory", vcs_info_directory),) if _without_directory(published, root) else ()))
