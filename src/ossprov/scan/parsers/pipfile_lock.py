"""Pipfile.lock: JSON with `default` and `develop` sections mapping names to `version: "==x"` and hashes.

Entries without a version (git, path, editable) are skipped. The lock does not record which packages the
Pipfile names directly.
"""

from __future__ import annotations

from ossprov.scan.parsers.base import (
    Collector,
    LockFormat,
    ParseResult,
    Source,
    TextLocator,
    load_json,
    prefixed_digest,
    require,
)


def parse(src: Source) -> ParseResult:
    data = require(src, load_json(src), dict, "the top level", 1)
    locator = TextLocator(src.text)
    out = Collector(src)
    for section in ("default", "develop"):
        entries = require(src, data.get(section) or {}, dict, f'"{section}"')
        locator.json_entry(section)
        for name, entry in entries.items():
            line = locator.json_entry(name)
            entry = require(src, entry, dict, f'"{section}"["{name}"]', line)
            version = entry.get("version")
            if not isinstance(version, str) or not version.startswith("=="):
                out.skip(name, line, "no pinned registry version (git, path or editable entry)")
                continue
            hashes = [h for h in entry.get("hashes", []) if isinstance(h, str)]
            allowed = [prefixed_digest(src, line, h) for h in hashes]
            out.add("pypi", name, version[2:], line, hashes=dict(allowed[:1]), allowed=allowed)
    return out.result()


FORMAT = LockFormat(
    name="pipfile",
    parse=parse,
    matches_name=lambda path: path.name == "Pipfile.lock",
    sniff=lambda head: '"pipfile-spec"' in head,
)
