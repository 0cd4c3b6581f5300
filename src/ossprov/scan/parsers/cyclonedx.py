"""CycloneDX SBOMs, JSON and XML (any 1.x schema): every component with a purl, nested ones included.

Read with the standard JSON parser and defusedxml (entities and DTDs refused) rather than
cyclonedx-python-lib's deserialisers, which reject documents for schema details that do not matter here and
give no line numbers. The component the BOM describes (`metadata.component`) is the project, not a
dependency; what it depends on in the dependency graph is direct.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

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

_HASH_ALGORITHMS = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def _hashes(src: Source, line: int | None, pairs: list[tuple[str, str]]) -> dict[str, str]:
    return dict(hex_digest(src, line, _HASH_ALGORITHMS[a], c) for a, c in pairs if a in _HASH_ALGORITHMS)


def _direct_refs(root_ref: str | None, graph: list[tuple[str, list[str]]]) -> set[str] | None:
    """bom-refs the described component depends on; None when the BOM has no root or no graph."""
    if not root_ref or not graph:
        return None
    return {ref for owner, refs in graph if owner == root_ref for ref in refs}


def _direct(ref: Any, direct: set[str] | None) -> bool | None:
    return None if direct is None else ref in direct


# --- JSON ------------------------------------------------------------------------------------------------


def _json_components(components: Any) -> Iterator[dict[str, Any]]:
    for component in components if isinstance(components, list) else []:
        if isinstance(component, dict):
            yield component
            yield from _json_components(component.get("components"))


def _parse_json(src: Source) -> ParseResult:
    data = require(src, load_json(src), dict, "the top level", 1)
    metadata = data["metadata"] if isinstance(data.get("metadata"), dict) else {}
    root = metadata["component"] if isinstance(metadata.get("component"), dict) else {}
    graph = [(str(d.get("ref")), [str(r) for r in d.get("dependsOn", [])])
             for d in data.get("dependencies") or [] if isinstance(d, dict)]
    direct = _direct_refs(root.get("bom-ref"), graph)
    locator = TextLocator(src.text)
    out = Collector(src)
    for component in _json_components(data.get("components")):
        purl = component.get("purl")
        if not isinstance(purl, str):
            out.skip(str(component.get("name", "?")), None, "component without a purl")
            continue
        line = locator.json_member("purl", purl)
        pairs = [(str(h.get("alg")), str(h.get("content"))) for h in component.get("hashes", []) if isinstance(h, dict)]
        out.add_purl(purl, line, hashes=_hashes(src, line, pairs), direct=_direct(component.get("bom-ref"), direct))
    return out.result()


# --- XML -------------------------------------------------------------------------------------------------


class _LineTreeBuilder(ET.TreeBuilder):
    """Remembers the line each element starts on (ElementTree does not)."""

    def __init__(self) -> None:
        super().__init__()
        self.parser: DefusedXMLParser | None = None
        self.lines: dict[ET.Element, int] = {}

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        element = super().start(tag, attrs)
        if self.parser is not None:
            self.lines[element] = self.parser.parser.CurrentLineNumber
        return element


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in element if _local(c.tag) == name), None)


def _children(element: ET.Element | None, *path: str) -> list[ET.Element]:
    """Children named path[-1] under the chain of single children path[:-1]."""
    for name in path[:-1]:
        element = _child(element, name) if element is not None else None
    return [c for c in element if _local(c.tag) == path[-1]] if element is not None else []


def _load_xml(src: Source) -> tuple[ET.Element, dict[ET.Element, int]]:
    builder = _LineTreeBuilder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True)
    builder.parser = parser
    try:
        parser.feed(src.text)
        return parser.close(), builder.lines
    except ET.ParseError as exc:
        raise src.error(exc.position[0], f"malformed XML: {str(exc).rsplit(': line', 1)[0]}") from None
    except DefusedXmlException as exc:
        raise src.error(None, f"refused XML: {exc}") from None


def _xml_components(parent: ET.Element) -> Iterator[ET.Element]:
    for component in _children(parent, "components", "component"):
        yield component
        yield from _xml_components(component)


def _text(element: ET.Element, name: str) -> str | None:
    child = _child(element, name)
    return (child.text or "").strip() if child is not None else None


def _parse_xml(src: Source) -> ParseResult:
    root, lines = _load_xml(src)
    if _local(root.tag) != "bom":
        raise src.error(lines.get(root), f"not a CycloneDX BOM (root element <{_local(root.tag)}>)")
    described = _children(root, "metadata", "component")
    graph = [(d.get("ref", ""), [c.get("ref", "") for c in d if _local(c.tag) == "dependency"])
             for d in _children(root, "dependencies", "dependency")]
    direct = _direct_refs(described[0].get("bom-ref") if described else None, graph)
    out = Collector(src)
    for component in _xml_components(root):
        line = lines.get(component)
        purl = _text(component, "purl")
        if not purl:
            out.skip(_text(component, "name") or "?", line, "component without a purl")
            continue
        pairs = [(h.get("alg", ""), (h.text or "").strip()) for h in _children(component, "hashes", "hash")]
        out.add_purl(purl, line, hashes=_hashes(src, line, pairs), direct=_direct(component.get("bom-ref"), direct))
    return out.result()


def parse(src: Source) -> ParseResult:
    if src.text.lstrip().startswith("<"):
        return _parse_xml(src)
    return _parse_json(src)


def _is_cyclonedx(name: str) -> bool:
    return name in ("bom.json", "bom.xml") or name.endswith((".cdx.json", ".cdx.xml"))


FORMAT = LockFormat(
    name="cyclonedx",
    parse=parse,
    matches_name=lambda path: _is_cyclonedx(path.name),
    sniff=lambda head: '"bomFormat"' in head or "cyclonedx.org/schema/bom" in head,
)
