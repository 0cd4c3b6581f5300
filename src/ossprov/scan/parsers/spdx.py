"""SPDX 2.x JSON documents: packages named by a purl external reference, with their checksums.

SPDX 2.2 spells the category PACKAGE-MANAGER, 2.3 PACKAGE_MANAGER; both are read. Packages without a purl
(files, the document's own root package) are skipped with a note.
"""

from __future__ import annotations

from ossprov.scan.parsers.base import (
    Collector,
    LockFormat,
    ParseResult,
    Source,
    TextLocator,
    hex_digest,
    load_json,
    require,
)

_CATEGORIES = ("PACKAGE-MANAGER", "PACKAGE_MANAGER")
_ALGORITHMS = ("MD5", "SHA1", "SHA256", "SHA384", "SHA512")


def parse(src: Source) -> ParseResult:
    data = require(src, load_json(src), dict, "the top level", 1)
    if not str(data.get("spdxVersion", "")).startswith("SPDX-2"):
        raise src.error(1, "not an SPDX 2.x document (spdxVersion)")
    locator = TextLocator(src.text)
    out = Collector(src)
    for package in require(src, data.get("packages", []), list, '"packages"'):
        package = require(src, package, dict, "a package")
        refs = [r for r in package.get("externalRefs", []) if isinstance(r, dict)]
        purls = [str(r.get("referenceLocator")) for r in refs
                 if r.get("referenceCategory") in _CATEGORIES and r.get("referenceType") == "purl"]
        if not purls:
            out.skip(str(package.get("name", "?")), locator.json_member("SPDXID", str(package.get("SPDXID"))),
                     "package without a purl")
            continue
        line = locator.json_member("referenceLocator", purls[0])
        checksums = [c for c in package.get("checksums", []) if isinstance(c, dict)]
        hashes = dict(hex_digest(src, line, str(c["algorithm"]), str(c.get("checksumValue", "")))
                      for c in checksums if c.get("algorithm") in _ALGORITHMS)
        out.add_purl(purls[0], line, hashes=hashes, direct=None)
    return out.result()


FORMAT = LockFormat(
    name="spdx",
    parse=parse,
    matches_name=lambda path: path.name.endswith(".spdx.json"),
    sniff=lambda head: '"spdxVersion"' in head,
)
