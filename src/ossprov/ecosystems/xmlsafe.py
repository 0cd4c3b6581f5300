"""Hardened XML reading for the XML-speaking ecosystems (POMs, settings.xml, nuspec, NuGet.Config).

Everything goes through defusedxml: entity declarations (billion laughs), external entities and DTD tricks are
refused, and any parse failure becomes one clear ossprov error. Namespaces are dropped from tag names because
POMs, nuspecs and config files appear with and without (and with several versions of) their namespaces.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ossprov.errors import OssprovError

MAX_XML_BYTES = 16 * 1024 * 1024
"""Largest XML document read; manifests and configuration files are a few kilobytes."""


def parse_xml(raw: bytes, what: str, error: type[OssprovError]) -> Element:
    """The root element of `raw`, or `error` naming `what` when it is not safe, well-formed XML."""
    if len(raw) > MAX_XML_BYTES:
        raise error(f"{what} is larger than {MAX_XML_BYTES} bytes; refused")
    try:
        root = fromstring(raw, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise error(f"{what} declares XML entities or external references ({exc.__class__.__name__}); "
                    "refused") from None
    except (ParseError, ValueError) as exc:
        raise error(f"{what} is not well-formed XML: {exc}") from None
    for el in root.iter():
        if isinstance(el.tag, str) and "}" in el.tag:
            el.tag = el.tag.split("}", 1)[1]
    return root


def text(el: Element | None, path: str) -> str | None:
    """The stripped text at `path` below `el` (ElementPath, namespaces already dropped), or None if empty."""
    if el is None:
        return None
    found = el.find(path)
    value = (found.text or "").strip() if found is not None else ""
    return value or None
