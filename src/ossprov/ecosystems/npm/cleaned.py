"""Files a publish step cleaned of comments: clean-publish's `cleanComments` and dual-publish (nanoid, and the
other packages that publish through them) write each JavaScript file without its comments and blank lines, so the
published file is not byte-identical to the commit's, though not one character of code changed.

The check is one-directional on purpose. Every character of the published file must be matched, in order, to
the same character of the genuine source, and only what the *source's* own scan calls a comment (a whole
comment, kept or dropped as a unit) or whitespace may be left out. The published file is never scanned, so
code an attacker hides in something a scanner might mistake for a comment cannot pass: the artifact can only
be the source with parts of it deleted, and the parts are the source's comments and spaces.
"""

from __future__ import annotations

from ossprov.ecosystems.interface import Comparison
from ossprov.model import FileResult, FileStatus
from ossprov.verify.textscan import comment_spans

SCRIPT_EXTS = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts")
PUBLISH_CLEANERS = ("clean-publish", "dual-publish")
"""The publish tools that write such files; one of them in the repository's devDependencies is the evidence
this normaliser needs before it applies."""


def comments_removed(published: str, source: str) -> bool:
    """True when `published` is `source` with only comments and whitespace left out (and not identical)."""
    spans = dict(comment_spans(source))
    i = j = 0
    n, m = len(source), len(published)
    while j < m:
        if i >= n:
            return False
        if i in spans:
            end = spans[i]
            if published.startswith(source[i:end], j):  # a comment kept (a licence header, the `#!` line)
                j += end - i
            i = end
            continue
        if source[i] == published[j]:
            i, j = i + 1, j + 1
        elif source[i].isspace():
            i += 1
        else:
            return False
    while i < n:
        if i in spans:
            i = spans[i]
        elif source[i].isspace():
            i += 1
        else:
            return False
    return published != source


def explain(path: str, data: bytes, source: bytes, content_root: str, cleaner: str) -> Comparison | None:
    """NORMALIZED when the published script is the commit's with comments and blank lines removed, else None
    (the generic rules then judge the difference)."""
    try:
        published, original = data.decode("utf-8"), source.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not comments_removed(published, original):
        return None
    return Comparison(FileResult(path, FileStatus.NORMALIZED, content_root + path,
                                 "the commit's file with comments and blank lines removed, as the repository's "
                                 f"publish step ({cleaner}) writes it"))
