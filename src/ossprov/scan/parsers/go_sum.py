"""Go's go.sum (`MODULE VERSION h1:HASH` per module zip, `MODULE VERSION/go.mod h1:HASH` per go.mod) and
go.mod (`require` lines, `// indirect` for modules needed only by others).

go.sum lists every module whose zip the build checked, with the `h1:` hash of that zip: the digest the scan
compares with the zip the proxy serves now. Lines for a go.mod alone (`/go.mod`) name modules whose code the
build never loads, so they are not dependencies to verify. A go.mod beside the go.sum says which modules the
project requires directly.
"""

from __future__ import annotations

from ossprov.ecosystems.golang import gomod
from ossprov.ecosystems.golang.ziprules import h1_hex
from ossprov.scan.parsers.base import Collector, LockFormat, ParseResult, Source


def _direct(src: Source) -> dict[str, bool]:
    """Module path → required directly, from the go.mod beside the go.sum (empty when there is none)."""
    beside = src.path.with_name("go.mod")
    try:
        text = beside.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    return {r.path: not r.indirect for r in gomod.parse(text).requires}


def parse_sum(src: Source) -> ParseResult:
    out = Collector(src)
    direct = _direct(src)
    for number, line in enumerate(src.text.splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 3:
            raise src.error(number, "malformed go.sum line (expected: module version h1:hash)")
        module, version, digest = fields
        if version.endswith("/go.mod"):
            continue
        value = h1_hex(digest)
        if value is None:
            if digest.startswith("h1:"):
                raise src.error(number, f"malformed h1 hash {digest[:80]!r}")
            out.skip(f"{module}@{version}", number, f"hash {digest.split(':', 1)[0]}: is not one ossprov checks")
            continue
        out.add("golang", module, version, number, hashes={"h1": value}, direct=direct.get(module))
    return out.result()


def parse_mod(src: Source) -> ParseResult:
    out = Collector(src)
    for req in gomod.parse(src.text).requires:
        out.add("golang", req.path, req.version, req.line, direct=not req.indirect)
    return out.result()


SUM_FORMAT = LockFormat(
    name="go.sum",
    parse=parse_sum,
    matches_name=lambda path: path.name == "go.sum",
    sniff=lambda head: " h1:" in head and "/go.mod h1:" in head,
)
MOD_FORMAT = LockFormat(
    name="go.mod",
    parse=parse_mod,
    matches_name=lambda path: path.name == "go.mod",
    sniff=lambda head: head.lstrip().startswith("module ") and "\ngo " in head,
)
