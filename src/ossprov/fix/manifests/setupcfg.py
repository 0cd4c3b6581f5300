"""setup.cfg: a `Source` line in `[metadata] project_urls`, inserted as text.

configparser reads the file (to learn what it declares) but cannot write it back without dropping comments
and reflowing values, so the edit is a line insertion at the place configparser's grammar says the key is.
"""

from __future__ import annotations

import configparser
import re

from ossprov.errors import InputError
from ossprov.fix.manifests.base import (
    ManifestEditor,
    eol_of,
    is_source_label,
    names_repository,
    project_url_hints,
    web_url,
)
from ossprov.model import Repository, SourceHint

_SECTION = re.compile(r"^\[(?P<name>[^\]]+)\]")
_KEY = re.compile(r"^(?P<key>[^\s=:#;][^=:]*?)(?P<sep>\s*[=:]\s*)(?P<value>.*)$")
_ENTRY = re.compile(r"^(?P<indent>\s+)(?P<label>[^=]+?)\s*=\s*(?P<url>\S+)\s*$")


def _metadata(text: str) -> configparser.SectionProxy | None:
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        raise InputError(f"setup.cfg cannot be read: {exc.message.splitlines()[0]}") from None
    return parser["metadata"] if parser.has_section("metadata") else None


def _section_lines(lines: list[str], name: str) -> tuple[int, int]:
    """[first line after the header, index of the next header) of section `name`."""
    start = next((i + 1 for i, line in enumerate(lines)
                  if (m := _SECTION.match(line)) and m["name"].strip() == name), None)
    if start is None:
        raise InputError(f"setup.cfg has no [{name}] section")
    end = next((i for i in range(start, len(lines)) if _SECTION.match(lines[i])), len(lines))
    return start, end


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith(("#", ";"))


class SetupCfg(ManifestEditor):
    def carries(self, text: str) -> bool:
        try:
            return _metadata(text) is not None
        except InputError:
            return False

    def declared(self, text: str) -> list[SourceHint]:
        metadata = _metadata(text)
        if metadata is None:
            return []
        pairs = [line.split("=", 1) for line in metadata.get("project_urls", "").splitlines() if "=" in line]
        home = metadata.get("home_page") or metadata.get("url")
        return project_url_hints({label.strip(): url.strip() for label, url in pairs}, home)

    def apply(self, text: str, target: Repository) -> str:
        url = web_url(target)
        eol = eol_of(text)
        lines = text.splitlines(keepends=True)
        start, end = _section_lines(lines, "metadata")
        keys = [(i, m) for i in range(start, end) if (m := _KEY.match(lines[i]))]
        sep = keys[0][1]["sep"] if keys else " = "
        urls_at = next((i for i, m in keys if m["key"].strip() == "project_urls"), None)
        if urls_at is None:
            anchor = max((i for i in range(start, end) if _is_content(lines[i])), default=start - 1)
            insert = [f"project_urls{sep.rstrip()}{eol}", f"    Source{sep}{url}{eol}"]
        else:
            entries = list(range(urls_at + 1, end))
            entries = entries[: next((n for n, i in enumerate(entries) if not lines[i][:1].isspace()
                                      or not lines[i].strip()), len(entries))]
            for i in entries:
                entry = _ENTRY.match(lines[i].rstrip("\r\n"))
                if entry and is_source_label(entry["label"]) and not names_repository(entry["url"], url):
                    lines[i] = lines[i].replace(entry["url"], url, 1)
                    return "".join(lines)
            first = _ENTRY.match(lines[entries[0]]) if entries else None
            indent = first["indent"] if first else "    "
            anchor = entries[-1] if entries else urls_at
            insert = [f"{indent}Source{sep}{url}{eol}"]
        if not lines[anchor].endswith("\n"):
            lines[anchor] += eol
            insert[-1] = insert[-1].removesuffix(eol)
        lines[anchor + 1 : anchor + 1] = insert
        return "".join(lines)
