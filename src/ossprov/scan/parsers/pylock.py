"""pylock.toml (PEP 751): `[[packages]]` with an optional version and an `sdist`, `wheels`, `archive`,
`vcs` or `directory` source. Only index packages (sdist or wheels with a version) are dependencies.
"""

from __future__ import annotations

from typing import Any

from ossprov.scan.parsers.base import (
    Collector,
    LockFormat,
    ParseResult,
    Source,
    TextLocator,
    hex_digest,
    load_toml,
    require,
    sdist_first,
)


def _files(package: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    files = [package["sdist"]] if isinstance(package.get("sdist"), dict) else []
    files += [w for w in package.get("wheels", []) if isinstance(w, dict)]
    return [(str(f.get("name") or f.get("url") or f.get("path") or ""), f) for f in files]


def parse(src: Source) -> ParseResult:
    data = load_toml(src)
    if "lock-version" not in data:
        raise src.error(1, "not a pylock.toml (no lock-version)")
    locator = TextLocator(src.text)
    out = Collector(src)
    for package in require(src, data.get("packages", []), list, "[[packages]]"):
        package = require(src, package, dict, "[[packages]]")
        name, version = package.get("name"), package.get("version")
        if not isinstance(name, str):
            raise src.error(None, "malformed pylock.toml: a [[packages]] entry without a name")
        line = locator.toml_name(name)
        chosen = sdist_first(_files(package))
        if chosen is None or not isinstance(version, str):
            kind = next((k for k in ("vcs", "directory", "archive") if k in package), "no version")
            out.skip(name, line, f"not an index package ({kind})")
            continue
        digests = chosen.get("hashes") if isinstance(chosen.get("hashes"), dict) else {}
        hashes = dict(hex_digest(src, line, algo, str(value)) for algo, value in digests.items())
        allowed = [hex_digest(src, line, algo, str(value)) for _, f in _files(package)
                   for algo, value in (f.get("hashes") or {}).items()]
        out.add("pypi", name, version, line, hashes=hashes, allowed=allowed, resolved_url=chosen.get("url"))
    return out.result()


def _is_pylock(name: str) -> bool:
    return name == "pylock.toml" or (name.startswith("pylock.") and name.endswith(".toml"))


FORMAT = LockFormat(
    name="pylock",
    parse=parse,
    matches_name=lambda path: _is_pylock(path.name),
    sniff=lambda head: "lock-version" in head and "[[packages]]" in head,
)
