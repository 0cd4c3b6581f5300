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

import json
import re
from typing import Any

from ossprov.ecosystems.interface import Comparison
from ossprov.ecosystems.npm import normalize
from ossprov.model import FileResult, FileStatus
from ossprov.verify.textscan import comment_spans

SCRIPT_EXTS = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts")
PUBLISH_CLEANERS = ("clean-publish", "dual-publish")
"""The publish tools that write such files; one of them in the repository's devDependencies is the evidence
this normaliser needs before it applies."""
CLEARED_FIELDS = frozenset({
    "babel", "browserslist", "c8", "clean-publish", "commitlint", "devDependencies", "eslintConfig", "eslintIgnore",
    "husky", "jest", "lint-staged", "nano-staged", "pre-commit", "prettier", "pwmetrics", "remarkConfig", "renovate",
    "resolutions", "sharec", "simple-git-hooks", "simple-pre-commit", "size-limit", "typeCoverage", "yaspeller",
})
"""The package.json fields clean-publish (2.x to 5.x, its `ignore-fields` lists) leaves out of the published one."""
KEPT_SCRIPTS = frozenset({"version", "postversion", "postpack", "prepublish", "publish", "postpublish",
                          "postinstall", "uninstall"})
"""The scripts it keeps (its `npm-scripts` list); a `publish` script that runs clean-publish itself goes too."""


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


def cleared_manifest(published: dict[str, Any], source: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The repository's package.json as clean-publish writes it, as far as the published one shows it did: each
    field of its lists (and of the project's own `fields` option) the published one lacks is left out, and the
    scripts are cut to those it keeps when the published ones are exactly those. Only removals: a field
    clean-publish would not remove, or one changed, is still compared. Returns it and what was left out."""
    config = source.get("clean-publish")
    extra = {f for f in config.get("fields") or [] if isinstance(f, str)} if isinstance(config, dict) else set()
    out, removed = dict(source), []
    for key, value in source.items():
        if key not in published and (key in CLEARED_FIELDS or key in extra or value == {}):
            del out[key]
            removed.append(key)
    scripts = source.get("scripts")
    if isinstance(scripts, dict) and "scripts" not in extra and published.get("scripts") != scripts:
        kept = {k: v for k, v in scripts.items() if k in KEPT_SCRIPTS
                and not (k == "publish" and isinstance(v, str) and re.match(r"clean-publish( |$)", v))}
        if published.get("scripts", {}) == kept:
            out.pop("scripts")
            if kept:
                out["scripts"] = kept
            removed.append("scripts")
    return out, removed


def compare_package_json(data: bytes, source: bytes) -> Comparison:
    """The published package.json against the repository's as clean-publish clears it (npm's own rewrites are
    then set aside as for any package)."""
    cleared, removed = cleared_manifest(normalize.package_json(data), normalize.package_json(source))
    plain = normalize.compare_package_json(data, json.dumps(cleared).encode())
    if not removed:
        return plain
    reason = f"{plain.result.reason}; clean-publish left out {', '.join(sorted(removed))}"
    return Comparison(FileResult("package.json", plain.result.status, "package.json", reason), plain.findings)
