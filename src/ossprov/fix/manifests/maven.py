"""pom.xml: `<scm>` with `url` and `connection`, placed where Maven's own model writer orders it."""

from __future__ import annotations

from xml.sax.saxutils import escape

from ossprov.fix.manifests import xmlspans
from ossprov.fix.manifests.base import ManifestEditor, web_url
from ossprov.model import Repository, SourceHint

ELEMENTS_BEFORE_SCM = ("modelVersion", "parent", "groupId", "artifactId", "version", "packaging", "name",
                       "description", "url", "inceptionYear", "organization", "licenses", "developers",
                       "contributors", "mailingLists", "prerequisites", "modules")
"""The POM elements Maven's model writer puts before `<scm>`."""
SCM_URL_ELEMENTS = ("url", "connection", "developerConnection")


def _scm_values(url: str) -> dict[str, str]:
    return {"url": url, "connection": f"scm:git:{url}.git"}


def scm_repository(value: str) -> str:
    """The repository in an SCM URL: `scm:git:https://...` → `https://...`."""
    value = value.strip()
    return value.removeprefix("scm:").split(":", 1)[-1] if value.startswith("scm:") else value


class PomXml(ManifestEditor):
    def carries(self, text: str) -> bool:
        return True

    def declared(self, text: str) -> list[SourceHint]:
        scm = xmlspans.parse(text.encode(), "pom.xml").child("scm")
        if scm is None:
            return []
        return [SourceHint(scm_repository(c.text), "declared-repository")
                for name in SCM_URL_ELEMENTS if (c := scm.child(name)) is not None and c.text.strip()]

    def apply(self, text: str, target: Repository) -> str:
        url = web_url(target)
        data = text.encode()
        root = xmlspans.parse(data, "pom.xml")
        unit = xmlspans.indent_unit(data, root)
        values = _scm_values(url) | {"developerConnection": f"scm:git:{url}.git"}
        scm = root.child("scm")
        if scm is None or scm.inner_start == scm.end or not scm.children:
            indent = xmlspans.line_indent(data, root.children[0].start) if root.children else unit
            block = [b"<scm>"] + [unit + _element(k, v) for k, v in _scm_values(url).items()] + [b"</scm>"]
            if scm is not None:
                data = xmlspans.splice(data, scm.start, scm.end, b"")
                return xmlspans.splice(data, scm.start, scm.start, _joined(block, indent, data)).decode()
            present = {c.name: c for c in root.children}
            anchor = next((present[n] for n in reversed(ELEMENTS_BEFORE_SCM) if n in present), None)
            if anchor is None:
                return xmlspans.insert_first(data, root, indent, block).decode()
            return xmlspans.insert_after(data, anchor, indent, block).decode()
        child_indent = xmlspans.line_indent(data, scm.children[0].start)
        edits: list[tuple[int, int, bytes]] = []
        for name in SCM_URL_ELEMENTS:
            element = scm.child(name)
            if element is not None:
                edits.append((element.inner_start, element.inner_end, escape(values[name]).encode()))
        missing = [_element(k, v) for k, v in _scm_values(url).items() if scm.child(k) is None]
        eol = xmlspans.eol_of(data)
        if missing:
            edits.append((scm.inner_start, scm.inner_start, b"".join(eol + child_indent + m for m in missing)))
        for start, end, new in sorted(edits, reverse=True):
            data = xmlspans.splice(data, start, end, new)
        return data.decode()


def _element(name: str, value: str) -> bytes:
    return f"<{name}>{escape(value)}</{name}>".encode()


def _joined(block: list[bytes], indent: bytes, data: bytes) -> bytes:
    """Block lines for replacing an element in place: the first line takes the element's own position."""
    eol = xmlspans.eol_of(data)
    return block[0] + b"".join(eol + indent + line for line in block[1:])
