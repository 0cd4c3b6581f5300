"""yarn.lock in both formats: classic (v1, yarn's own indented syntax) and berry (v2+, YAML).

Classic has no parser library for Python, and its grammar is small (headers of comma-separated descriptors,
indented `key value` pairs, one nested level), so it is read here line by line, which also gives exact lines.
Berry is YAML and goes through the safe YAML loader. Berry's `checksum` is the digest of yarn's own re-packed
zip in its cache, not of the registry tarball, so it is not recorded as an artifact digest.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ossprov.scan.parsers.base import (
    Collector,
    LockFormat,
    ParseResult,
    Source,
    load_yaml,
    require,
    sri_digests,
    yaml_key_lines,
)

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[^\s",]+')
_LOCAL = ("file:", "link:", "portal:", "workspace:", "exec:")
_GIT = ("git+", "git:", "git@", "github:", "gitlab:", "bitbucket:")


def _split_descriptor(descriptor: str) -> tuple[str, str]:
    """`@scope/name@^1.0` → (`@scope/name`, `^1.0`)."""
    at = descriptor.find("@", 1)  # a name has no "@" but its scope's; the range may (aliases, URLs)
    if at < 0:
        return descriptor, ""
    return descriptor[:at], descriptor[at + 1 :]


def _not_registry(spec: str, *, url_ok: bool = False) -> str | None:
    """Why a descriptor range (or, with `url_ok`, a resolved URL) is not a registry package, else None."""
    if spec.startswith(_LOCAL):
        return "local path dependency"
    if spec.startswith(_GIT) or ("://" in spec and not url_ok):
        return "not from a registry (git or URL dependency)"
    return None


# --- classic ---------------------------------------------------------------------------------------------


@dataclass
class _Entry:
    descriptors: list[str]
    line: int
    fields: dict[str, str] = field(default_factory=dict)


def _tokens(src: Source, lineno: int, text: str) -> list[str]:
    """The words of a line, quoted ones decoded (yarn quotes like JSON); commas between words are dropped."""
    if _TOKEN.sub("", text).replace(",", "").strip():
        raise src.error(lineno, "malformed yarn.lock: unbalanced quotes")
    try:
        return [json.loads(t) if t.startswith('"') else t for t in _TOKEN.findall(text)]
    except json.JSONDecodeError:
        raise src.error(lineno, "malformed yarn.lock: bad quoted string") from None


def _classic_entries(src: Source) -> list[_Entry]:
    entries: list[_Entry] = []
    for lineno, raw in enumerate(src.text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not raw[0].isspace():
            if not stripped.endswith(":"):
                raise src.error(lineno, "malformed yarn.lock: entry header should end with ':'")
            entries.append(_Entry(_tokens(src, lineno, stripped[:-1]), lineno))
        elif not entries:
            raise src.error(lineno, "malformed yarn.lock: indented line before any entry")
        elif len(raw) - len(raw.lstrip()) == 2 and not stripped.endswith(":"):
            parts = _tokens(src, lineno, stripped)
            if len(parts) != 2:
                raise src.error(lineno, "malformed yarn.lock: expected 'key value'")
            entries[-1].fields[parts[0]] = parts[1]
    return entries


def _parse_classic(src: Source) -> ParseResult:
    out = Collector(src)
    for entry in _classic_entries(src):
        name, range_ = _split_descriptor(entry.descriptors[0]) if entry.descriptors else ("", "")
        if range_.startswith("npm:"):  # alias: "alias@npm:real-name@^1.0"
            name, _ = _split_descriptor(range_[4:])
        reason = _not_registry(range_) or _not_registry(entry.fields.get("resolved", ""), url_ok=True)
        version = entry.fields.get("version")
        if reason or not version:
            out.skip(name, entry.line, reason or "no version recorded")
            continue
        integrity = entry.fields.get("integrity")
        hashes = sri_digests(src, entry.line, integrity) if integrity else {}
        out.add("npm", name, version, entry.line, hashes=hashes, resolved_url=entry.fields.get("resolved"))
    return out.result()


# --- berry -----------------------------------------------------------------------------------------------


def _direct_descriptors(data: dict[str, Any]) -> set[str]:
    """Descriptors (`name@npm:^1.0`) the workspaces depend on directly."""
    direct: set[str] = set()
    for key, entry in data.items():
        if "@workspace:" in key and isinstance(entry, dict):
            for section in ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies"):
                deps = entry.get(section)
                if isinstance(deps, dict):
                    direct.update(f"{name}@{range_}" for name, range_ in deps.items())
    return direct


def _parse_berry(src: Source) -> ParseResult:
    data, node = load_yaml(src)
    data = require(src, data, dict, "the top level", 1)
    lines = yaml_key_lines(node)
    direct = _direct_descriptors(data)
    out = Collector(src)
    for key, entry in data.items():
        if key == "__metadata":
            continue
        line = lines.get(str(key))
        entry = require(src, entry, dict, f'entry "{key}"', line)
        resolution = str(entry.get("resolution", ""))
        name, _, ref = resolution.partition("@npm:") if "@npm:" in resolution else (resolution, "", "")
        if not ref:
            out.skip(str(key).split(",")[0], line, f"not a registry package (resolution {resolution!r})")
            continue
        descriptors = {d.strip() for d in str(key).split(",")}
        out.add("npm", name, ref, line, direct=bool(descriptors & direct))
    return out.result()


def parse(src: Source) -> ParseResult:
    if "__metadata:" in src.text[:4096]:
        return _parse_berry(src)
    return _parse_classic(src)


FORMAT = LockFormat(
    name="yarn",
    parse=parse,
    matches_name=lambda path: path.name == "yarn.lock",
    sniff=lambda head: "# yarn lockfile v1" in head or "__metadata:" in head,
)
