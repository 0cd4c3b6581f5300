"""What `npm publish` rewrites in package.json, set aside before it is compared with the repository's: the
fields npm adds, the version it sets, `workspace:` ranges it resolves. Whatever else differs is a finding, high
when it adds a dependency or changes an entry point."""

from __future__ import annotations

import json
from typing import Any

from ossprov.ecosystems.interface import Comparison
from ossprov.model import FileResult, FileStatus, Finding, Severity

PUBLISH_FIELDS = frozenset({
    "gitHead", "_id", "_from", "_resolved", "_integrity", "_npmVersion", "_nodeVersion", "_npmUser", "_shasum",
    "_where", "_args", "_spec", "_requested", "_phantomChildren", "_location", "_inBundle", "_development",
    "_optional", "_hasShrinkwrap", "_engineSupported", "_defaultsLoaded", "_npmOperationalInternal",
    "readme", "readmeFilename", "dist", "directories", "_shrinkwrap",
})
"""Fields npm (old and new) adds or rewrites in the published package.json."""



def package_json(raw: bytes) -> dict[str, Any]:
    """A package.json as a JSON object (empty when it is not one)."""
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _without_publish_fields(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in PUBLISH_FIELDS}


def _resolve_workspace_protocol(source: dict[str, Any], published: dict[str, Any]) -> dict[str, Any]:
    """Replace `workspace:` dependency ranges (rewritten to real versions at publish) by the published ones."""
    out = dict(source)
    for field in ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies"):
        deps, pub = source.get(field), published.get(field)
        if isinstance(deps, dict) and isinstance(pub, dict):
            out[field] = {k: (pub.get(k, v) if isinstance(v, str) and v.startswith("workspace:") else v)
                          for k, v in deps.items()}
    return out


def compare_package_json(data: bytes, source: bytes) -> Comparison:
    published, src = package_json(data), package_json(source)
    if not published:
        return Comparison(FileResult("package.json", FileStatus.MODIFIED, reason="not valid JSON"))
    notes = []
    pub_n, src_n = _without_publish_fields(published), _without_publish_fields(src)
    if pub_n.get("version") != src_n.get("version"):
        notes.append(f"version set at publish ({src_n.get('version')!r} → {pub_n.get('version')!r})")
        src_n["version"] = pub_n.get("version")
    resolved = _resolve_workspace_protocol(src_n, pub_n)
    if resolved != src_n:
        notes.append("workspace: dependency ranges resolved at publish")
        src_n = resolved
    if pub_n == src_n:
        reason = "same document once publish-time fields are set aside" + (f"; {'; '.join(notes)}" if notes else "")
        return Comparison(FileResult("package.json", FileStatus.NORMALIZED, "package.json", reason))
    changed = sorted(k for k in set(pub_n) | set(src_n) if pub_n.get(k) != src_n.get(k))
    findings = []
    for field in ("dependencies", "optionalDependencies", "bundleDependencies", "bundledDependencies"):
        pub_deps, src_deps = pub_n.get(field) or {}, src_n.get(field) or {}
        if isinstance(pub_deps, dict) and isinstance(src_deps, dict):
            added = sorted(set(pub_deps) - set(src_deps))
            if added:
                findings.append(Finding(Severity.HIGH, "OSP113", "package.json",
                                        f"{field} not in the repository's package.json: {', '.join(added)}"))
    for field in ("main", "module", "bin", "exports", "browser"):
        if field not in changed:
            continue
        if field in pub_n:
            findings.append(Finding(Severity.HIGH, "OSP114", "package.json",
                                    f"entry point `{field}` differs from the repository"))
        else:  # dropped at publish (build tools strip `exports` for older resolvers): nothing new can run
            findings.append(Finding(Severity.MEDIUM, "OSP115", "package.json",
                                    f"entry point `{field}` was removed at publish"))
    if not findings:
        findings.append(Finding(Severity.MEDIUM, "OSP115", "package.json",
                                f"fields differ from the repository: {', '.join(changed)}"))
    return Comparison(
        FileResult("package.json", FileStatus.MODIFIED, "package.json",
                   f"fields differ from the repository: {', '.join(changed)}"),
        tuple(findings),
    )
