"""package.json: the `repository` object, inserted where npm's conventional key order puts it.

The file is edited as text: the top-level members are located with the standard library's JSON decoder
(which reports where each value ends), and the new member is written with the file's own indentation unit,
key separator and line ending, so the diff holds only the repository lines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from json.decoder import scanstring  # type: ignore[attr-defined]  # public in CPython, absent from typeshed

from ossprov.ecosystems.npm.hints import repository_hints
from ossprov.errors import InputError
from ossprov.fix.manifests.base import ManifestEditor, eol_of, indent_before, web_url
from ossprov.model import Repository, SourceHint

KEYS_BEFORE_REPOSITORY = ("$schema", "name", "displayName", "version", "stableVersion", "private",
                          "description", "categories", "keywords", "homepage", "bugs")
"""The keys sort-package-json (npm's de-facto convention) orders before `repository`."""
_WS = " \t\r\n"


@dataclass(frozen=True)
class _Member:
    key: str
    key_start: int
    value_start: int
    value_end: int


@dataclass(frozen=True)
class _Layout:
    open_end: int
    """Offset just after the top-level `{`."""
    close: int
    """Offset of the top-level `}`."""
    members: tuple[_Member, ...]
    key_sep: str
    """What separates a key from its value (`": "` or `":"`)."""


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WS:
        i += 1
    return i


def _layout(text: str) -> _Layout:
    """Where each top-level member of the JSON object sits in the text."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"package.json is not valid JSON: {exc}") from None
    decoder = json.JSONDecoder()
    i = _skip_ws(text, 1 if text.startswith("\ufeff") else 0)
    if text[i : i + 1] != "{":
        raise InputError("package.json is not a JSON object")
    open_end = i + 1
    members: list[_Member] = []
    key_sep = ": "
    i = _skip_ws(text, open_end)
    while text[i] != "}":
        key, after_key = scanstring(text, i + 1)
        value_start = _skip_ws(text, _skip_ws(text, after_key) + 1)
        if not members:
            key_sep = text[after_key:value_start]
        _, value_end = decoder.raw_decode(text, value_start)
        members.append(_Member(key, i, value_start, value_end))
        i = _skip_ws(text, value_end)
        if text[i] == ",":
            i = _skip_ws(text, i + 1)
    return _Layout(open_end, i, tuple(members), key_sep)


def _render(value: dict[str, str], layout: _Layout, text: str, member_indent: str) -> str:
    """`value` as JSON in the file's style: multi-line at the file's indentation, or on one line."""
    eol = eol_of(text)
    if not member_indent and layout.members and "\n" not in text[layout.open_end : layout.members[0].key_start]:
        return json.dumps(value, ensure_ascii=False, separators=(",", layout.key_sep))
    lines = json.dumps(value, ensure_ascii=False, indent=member_indent or "  ",
                       separators=(",", layout.key_sep)).split("\n")
    return lines[0] + "".join(eol + member_indent + line for line in lines[1:])


class PackageJson(ManifestEditor):
    def carries(self, text: str) -> bool:
        return True

    def declared(self, text: str) -> list[SourceHint]:
        try:
            manifest = json.loads(text.removeprefix("\ufeff"))
        except json.JSONDecodeError:
            return []
        return repository_hints(manifest) if isinstance(manifest, dict) else []

    def apply(self, text: str, target: Repository) -> str:
        value = {"type": "git", "url": f"git+{web_url(target)}.git"}
        if target.subdir.strip("/"):
            value["directory"] = target.subdir.strip("/")
        layout = _layout(text)
        existing = next((m for m in layout.members if m.key == "repository"), None)
        if existing is not None:
            indent = indent_before(text, existing.key_start)
            return text[: existing.value_start] + _render(value, layout, text, indent) + text[existing.value_end :]
        if not layout.members:
            eol = eol_of(text)
            member = f'"repository"{layout.key_sep}{_render(value, layout, text, "  ")}'
            return text[: layout.open_end] + eol + "  " + member + eol + text[layout.close :]
        first = layout.members[0]
        gap = text[layout.open_end : first.key_start]
        indent = indent_before(text, first.key_start)
        member = f'"repository"{layout.key_sep}{_render(value, layout, text, indent)}'
        present = {m.key: m for m in layout.members}
        before = next((present[k] for k in reversed(KEYS_BEFORE_REPOSITORY) if k in present), None)
        if before is None:
            return text[: layout.open_end] + gap + member + "," + text[layout.open_end :]
        return text[: before.value_end] + "," + gap + member + text[before.value_end :]
