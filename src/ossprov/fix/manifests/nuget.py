"""NuGet manifests: `<repository>` in a .nuspec, `<RepositoryUrl>` in an SDK-style project file."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from ossprov.errors import InputError
from ossprov.fix.manifests import xmlspans
from ossprov.fix.manifests.base import ManifestEditor, web_url
from ossprov.model import Repository, SourceHint


def _append_child(data: bytes, parent: xmlspans.Element, root: xmlspans.Element, lines: list[bytes]) -> bytes:
    """`lines` as the last children of `parent`, indented like its other children."""
    if parent.children:
        last = parent.children[-1]
        return xmlspans.insert_after(data, last, xmlspans.line_indent(data, last.start), lines)
    indent = xmlspans.line_indent(data, parent.start) + xmlspans.indent_unit(data, root)
    return xmlspans.insert_first(data, parent, indent, lines)


class Nuspec(ManifestEditor):
    def carries(self, text: str) -> bool:
        return True

    def _metadata(self, data: bytes) -> xmlspans.Element:
        metadata = xmlspans.parse(data, ".nuspec").child("metadata")
        if metadata is None:
            raise InputError(".nuspec has no <metadata>")
        return metadata

    def declared(self, text: str) -> list[SourceHint]:
        repository = self._metadata(text.encode()).child("repository")
        url = repository.attrs.get("url", "") if repository is not None else ""
        return [SourceHint(url, "declared-repository")] if url else []

    def apply(self, text: str, target: Repository) -> str:
        data = text.encode()
        element = f'<repository type="git" url={quoteattr(web_url(target))} />'.encode()
        metadata = self._metadata(data)
        existing = metadata.child("repository")
        if existing is not None:
            return xmlspans.splice(data, existing.start, existing.end, element).decode()
        return _append_child(data, metadata, xmlspans.parse(data, ".nuspec"), [element]).decode()


class ProjectFile(ManifestEditor):
    """.csproj/.fsproj/.vbproj of an SDK-style project (what `dotnet pack` turns into the nuspec)."""

    def carries(self, text: str) -> bool:
        return True

    def declared(self, text: str) -> list[SourceHint]:
        root = xmlspans.parse(text.encode(), "project file")
        return [SourceHint(url.text.strip(), "declared-repository")
                for group in root.children if group.name == "PropertyGroup"
                for url in group.children if url.name == "RepositoryUrl" and url.text.strip()]

    def apply(self, text: str, target: Repository) -> str:
        data = text.encode()
        url = escape(web_url(target)).encode()
        root = xmlspans.parse(data, "project file")
        groups = [g for g in root.children if g.name == "PropertyGroup"]
        existing = next((c for g in groups for c in g.children if c.name == "RepositoryUrl"), None)
        if existing is not None:
            return xmlspans.splice(data, existing.inner_start, existing.inner_end, url).decode()
        unconditional = [g for g in groups if "Condition" not in g.attrs]
        group = next((g for g in unconditional if g.child("PackageId")), unconditional[0] if unconditional else None)
        if group is None:
            raise InputError("the project file has no unconditional <PropertyGroup> to add RepositoryUrl to")
        lines = [b"<RepositoryUrl>" + url + b"</RepositoryUrl>"]
        if group.child("RepositoryType") is None:
            lines.append(b"<RepositoryType>git</RepositoryType>")
        return _append_child(data, group, root, lines).decode()
