"""The package.json files dual-publish writes, per release line: its `replacePackage`, re-derived.

Every dual-publish release from 1.0.3 to 4.0.0 rewrites module text the same way; what changed is how it
writes package.json: 1.0.5 added the `default` export condition, 1.0.9 merged the repository's `browser` map
(adding the `.cjs` twin) instead of replacing it, 3.0.1 moved `types` first among the root's conditions and
4.0.0 replaced it by typed `require`/`import` conditions (and copies the `.d.ts` to `.d.cts`). A devDependencies
range is answered with every release it admits (the lockfile, not kept here, said which one ran). Releases
before 1.0.3 (2020 and earlier) are not modelled: their packages get no dual-publish explanation at all.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass
from typing import Any

import semver


@dataclass(frozen=True)
class Line:
    """How one dual-publish release writes package.json."""

    version: str
    merges_browser: bool
    default_condition: bool
    types: str
    """Where the root's `types` goes: "last" among the conditions, "first", or "typed" conditions."""


RELEASES = tuple(Line(*row) for row in (
    ("1.0.3", False, False, "last"), ("1.0.4", False, False, "last"), ("1.0.5", False, True, "last"),
    ("1.0.9", True, True, "last"), ("2.0.2", True, True, "last"), ("3.0.0", True, True, "last"),
    ("3.0.1", True, True, "first"), ("4.0.0", True, True, "typed"),
))
"""Every published release from 1.0.3 on (the registry lists no other)."""
ENTRY_FIELDS = ("type", "main", "module", "react-native", "browser", "exports")
"""The package.json fields dual-publish sets."""
STYLE_FIELDS = ("style", "styl", "sass", "less")
_COMPARATOR = re.compile(r"\s*(\^|~|>=|=)?\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*")


def _admits(part: str, version: semver.Version) -> bool | None:
    """Whether one npm range (`^1.0.3`, `~3.0.0`, `>=2`, `4.0.0`) admits `version`; None when unreadable."""
    m = _COMPARATOR.fullmatch(part)
    if m is None:
        return None
    op, nums = m.group(1) or "=", [int(n) if n else 0 for n in m.group(2, 3, 4)]
    low = semver.Version(*nums)
    if op == ">=":
        return version >= low
    if op == "=" and m.group(4) is not None:
        return version == low
    if (op == "~" and m.group(3) is not None) or (op == "=" and m.group(3) is not None):
        return low <= version < low.bump_minor()
    if op in ("=", "~"):
        return low <= version < low.bump_major()
    first = next((i for i, n in enumerate(nums) if n), 2)  # caret: the first non-zero part may not change
    upper = (low.bump_major, low.bump_minor, low.bump_patch)[first]()
    return low <= version < upper


def lines_for(spec: str) -> tuple[Line, ...]:
    """The releases a devDependencies range admits (every modelled one when it says no version: `*`, a tag)."""
    parts = [p for p in spec.split("||") if p.strip()]
    answers = [[_admits(p, semver.Version.parse(line.version)) for p in parts] for line in RELEASES]
    if not parts or any(a is None for row in answers for a in row):
        return RELEASES
    return tuple(line for line, row in zip(RELEASES, answers, strict=True) if any(row))


def replace_package(pkg: dict[str, Any], module: str, modules: list[str], env_targets: set[str],
                    line: Line) -> dict[str, Any] | None:
    """replacePackage: `pkg` (the directory's package.json, or {}) with the fields dual-publish sets for
    `module`; the root's gets `exports`. None where dual-publish would fail (a `browser` that is no object)."""
    pkg["type"], pkg["main"], pkg["module"], pkg["react-native"] = "module", "index.cjs", "index.js", "index.js"
    if module[:-3] + ".browser.js" in modules:
        if not line.merges_browser:
            pkg["browser"] = {"./index.js": "./index.browser.js"}
        else:
            if not pkg.get("browser"):
                pkg["browser"] = {}
            if not isinstance(pkg["browser"], dict):
                return None
            pkg["browser"]["./index.js"] = "./index.browser.js"
            pkg["browser"]["./index.cjs"] = "./index.browser.cjs"
    if module[:-3] + ".native.js" in modules:
        pkg["react-native"] = {"./index.js": "./index.native.js"}
    if module != "index.js":
        return pkg
    if line.merges_browser and not pkg.get("browser"):
        pkg["browser"] = {}
    exports: dict[str, Any] = {".": {}}
    pkg["exports"] = exports
    _style_entries(pkg, exports, (("types",) if line.types == "first" else ()) + STYLE_FIELDS)
    for item in modules:
        if not item.endswith((".browser.js", ".native.js")):
            _export_entry(exports, item, modules, env_targets, line, pkg.get("types"))
    if line.types == "last":
        _style_entries(pkg, exports, ("types", *STYLE_FIELDS))
    if line.merges_browser and isinstance(pkg["browser"], dict) and not pkg["browser"]:
        del pkg["browser"]
    return pkg


def _export_entry(exports: dict[str, Any], item: str, modules: list[str], env_targets: set[str], line: Line,
                  types: Any) -> None:
    path = "." if item == "index.js" else "./" + posixpath.dirname(item)
    exports[path + "/package.json"] = path + "/package.json"
    entry = exports.setdefault(path, {})
    if item in env_targets or item[:-3] + ".browser.js" in env_targets:
        entry["browser"] = {"development": path + "/index.dev.js", "production": path + "/index.prod.js"}
        if line.default_condition:
            entry["browser"]["default"] = path + "/index.prod.js"
    elif item[:-3] + ".browser.js" in modules:
        entry["browser"] = path + "/index.browser.js"
    cjs, esm = path + "/index.cjs", path + "/index.js"
    if line.types == "typed" and isinstance(types, str) and types.endswith(".d.ts"):
        entry["require"] = {"types": types[:-5] + ".d.cts", "default": cjs}
        entry["import"] = {"types": types, "default": esm}
    else:
        entry["require"], entry["import"] = cjs, esm
    if line.default_condition:
        entry["default"] = esm


def _style_entries(pkg: dict[str, Any], exports: dict[str, Any], fields: tuple[str, ...]) -> None:
    for name in fields:
        value = pkg.get(name)
        if value:
            exports[value] = value
            exports["."][name] = value


def stringify(doc: Any) -> bytes | None:
    """`JSON.stringify(doc, null, 2)`, or None for values JavaScript would print otherwise (floats, big ints)."""
    def plain(value: Any) -> bool:
        if isinstance(value, dict):
            return all(plain(v) for v in value.values())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return not isinstance(value, float) and not (isinstance(value, int) and abs(value) > 2 ** 53)
    if not plain(doc):
        return None
    return json.dumps(doc, indent=2, ensure_ascii=False).encode("utf-8")


def _ordered(value: Any) -> Any:
    """A JSON value whose objects compare with their key order (the order of `exports` conditions decides)."""
    if isinstance(value, dict):
        return [(k, _ordered(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_ordered(v) for v in value]
    return value


def entry_fields_match(published: dict[str, Any], expected: dict[str, Any]) -> bool:
    """The published dual-publish fields are the expected ones: `exports` subpaths in any order, each entry's
    conditions (and every other field) in dual-publish's order."""
    for name in ENTRY_FIELDS:
        mine, theirs = expected.get(name), published.get(name)
        if name == "exports" and isinstance(mine, dict) and isinstance(theirs, dict):
            if {k: _ordered(v) for k, v in mine.items()} != {k: _ordered(v) for k, v in theirs.items()}:
                return False
        elif _ordered(mine) != _ordered(theirs):
            return False
    return True
