"""Helpers several ecosystem plug-ins share: hex digests from SRI strings, README link hints, file kinds."""

from __future__ import annotations

import base64
import binascii
import posixpath

from ossprov.model import Finding, PackageTree, Severity, SourceHint
from ossprov.source import discover
from ossprov.source.urls import repo_links_in_text

CODE_SUFFIXES = frozenset(
    [".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx", ".coffee", ".py", ".pyw", ".pyx", ".pxd", ".pth", ".sh", ".bash", ".zsh", ".ps1", ".psm1", ".bat", ".cmd", ".node", ".so", ".dylib", ".dll", ".exe", ".pyd", ".wasm", ".class", ".jar", ".java", ".kt", ".scala", ".groovy", ".gradle", ".cs", ".vb", ".fs", ".rb", ".pl", ".php", ".lua", ".go", ".rs", ".c", ".h", ".cc", ".cpp", ".hpp", ".gyp", ".gypi", ".targets", ".props"]
)
DOC_SUFFIXES = frozenset([".md", ".markdown", ".rst", ".txt", ".adoc", ".html", ".htm", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico"])
DOC_NAMES = frozenset({"readme", "changelog", "changes", "history", "license", "licence", "copying", "notice",
                       "authors", "contributors", "security", "code_of_conduct", "contributing"})


def is_code(path: str) -> bool:
    """Whether a file can run (or decides what runs): the files where a difference is a high finding."""
    name = posixpath.basename(path).lower()
    if name in ("package.json", "setup.py", "setup.cfg", "pyproject.toml", "binding.gyp", "makefile",
                "dockerfile", "build.gradle", "pom.xml", "meson.build", "cmakelists.txt"):
        return True
    return posixpath.splitext(name)[1] in CODE_SUFFIXES or name.startswith(".npmrc")


def is_doc(path: str) -> bool:
    name = posixpath.basename(path).lower()
    stem, ext = posixpath.splitext(name)
    return ext in DOC_SUFFIXES or stem in DOC_NAMES or name in DOC_NAMES


def sri_to_hex(sri: str, *, strict: bool = False) -> dict[str, str]:
    """`sha512-<base64>` (Subresource Integrity, possibly several space-separated, options after `?`) →
    {algo: hex}, the first of each algorithm. A malformed item is skipped, or with `strict` raises
    ValueError naming it."""
    out: dict[str, str] = {}
    for token in sri.split():
        algo, sep, b64 = token.partition("-")
        try:
            raw = base64.b64decode(b64.split("?", 1)[0], validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if not sep or not raw:
            if strict:
                raise ValueError(token)
            continue
        out.setdefault(algo.lower(), raw.hex())
    return out


def readme_hints(tree: PackageTree, limit: int = 20) -> list[SourceHint]:
    """Forge links in the artifact's README files."""
    hints: list[SourceHint] = []
    for path, f in tree.files.items():
        if "/" in path or not path.lower().startswith("readme"):
            continue
        text = f.data[:512 * 1024].decode("utf-8", "replace")
        hints += [SourceHint(url, "readme-link") for url in repo_links_in_text(text, limit)]
        hints += discover.hints_in_text(text, limit)
    return hints + discover.hints_in_docs({p: f.data for p, f in tree.files.items()})


def commit_mismatch(path: str | None, claimed: str, where: str, pinned: str | None) -> Finding | None:
    """OSP116 when a commit the artifact embeds (possibly abbreviated) is not the pinned commit.

    Shared by every ecosystem whose artifacts carry their commit (Maven git.properties and MANIFEST, NuGet
    assembly versions): a build from another commit than the one the source was verified at is a high finding.
    """
    if pinned is None or pinned.lower().startswith(claimed.lower()):
        return None
    return Finding(Severity.HIGH, "OSP116", path, f"{where} names commit {claimed[:12]}, but the source was pinned at "
                   f"{pinned[:12]}: the artifact was built from another commit")
