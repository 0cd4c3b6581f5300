"""Where each element of an XML manifest sits (byte offsets), so edits can splice text and keep the rest.

defusedxml parses first (refusing entity tricks); expat then reports the offset of every tag. Offsets let the
editors insert an element with the file's own indentation instead of re-serialising the whole document.
"""

from __future__ import annotations

import xml.parsers.expat
from dataclasses import dataclass, field
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree
from defusedxml import DefusedXmlException

from ossprov.errors import InputError


@dataclass
class Element:
    name: str
    """Local name (namespace removed)."""
    attrs: dict[str, str]
    start: int
    """Offset of `<`."""
    depth: int
    parent: Element | None
    inner_start: int = -1
    """Offset just after the start tag."""
    inner_end: int = -1
    """Offset of the end tag (== end for an empty-element tag)."""
    end: int = -1
    """Offset just after the element."""
    children: list[Element] = field(default_factory=list)
    text: str = ""

    def child(self, name: str) -> Element | None:
        return next((c for c in self.children if c.name == name), None)


def parse(data: bytes, what: str) -> Element:
    """The root element with offsets for every element. Raises InputError for malformed or hostile XML."""
    try:
        defusedxml.ElementTree.fromstring(data)
    except (ParseError, DefusedXmlException) as exc:
        raise InputError(f"{what} is not acceptable XML: {exc}") from None
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    stack: list[Element] = []
    roots: list[Element] = []
    awaiting: list[Element] = []
    """The element whose start tag just ended: the next event's offset is where its content begins."""

    def mark(*_: object) -> None:
        if awaiting:
            awaiting.pop().inner_start = parser.CurrentByteIndex

    def start(name: str, attrs: dict[str, str]) -> None:
        mark()
        parent = stack[-1] if stack else None
        element = Element(name.rsplit(" ", 1)[-1], attrs, parser.CurrentByteIndex, len(stack), parent)
        (parent.children if parent else roots).append(element)
        stack.append(element)
        awaiting.append(element)

    def end(_: str) -> None:
        element = stack.pop()
        pos = parser.CurrentByteIndex
        if awaiting and awaiting[-1] is element and data[pos - 2 : pos] == b"/>":
            awaiting.pop()
            element.inner_start = element.inner_end = element.end = pos
            return
        mark()
        element.inner_end = pos
        element.end = data.index(b">", pos) + 1

    def text(chars: str) -> None:
        mark()
        if stack:
            stack[-1].text += chars

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.CommentHandler = mark
    parser.ProcessingInstructionHandler = mark
    parser.StartCdataSectionHandler = mark
    parser.Parse(data, True)
    return roots[0]


def line_indent(data: bytes, pos: int) -> bytes:
    """The whitespace from the start of `pos`'s line up to `pos` (empty when anything else precedes it)."""
    line_start = data.rfind(b"\n", 0, pos) + 1
    prefix = data[line_start:pos]
    return prefix if not prefix.strip() else b""


def indent_unit(data: bytes, root: Element) -> bytes:
    """One level of the file's indentation, read from the root's first child (two spaces if unreadable)."""
    if root.children:
        unit = line_indent(data, root.children[0].start)[len(line_indent(data, root.start)):]
        if unit:
            return unit
    return b"  "


def eol_of(data: bytes) -> bytes:
    return b"\r\n" if b"\r\n" in data else b"\n"


def splice(data: bytes, start: int, end: int, new: bytes) -> bytes:
    return data[:start] + new + data[end:]


def insert_after(data: bytes, anchor: Element, indent: bytes, block: list[bytes]) -> bytes:
    """`block` lines placed after `anchor`, each on its own line at `indent`."""
    eol = eol_of(data)
    text = b"".join(eol + indent + line for line in block)
    return splice(data, anchor.end, anchor.end, text)


def insert_first(data: bytes, parent: Element, indent: bytes, block: list[bytes]) -> bytes:
    """`block` lines placed as the first children of `parent`."""
    eol = eol_of(data)
    text = b"".join(eol + indent + line for line in block)
    return splice(data, parent.inner_start, parent.inner_start, text)
