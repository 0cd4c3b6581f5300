"""What the package's own file list says should ship: npm's `files` field (gitignore-style patterns).

Only patterns that the source tree can satisfy matter here: build output named in `files` is not in the
repository, so it cannot be missing from the comparison's point of view.
"""

from __future__ import annotations

import fnmatch

import pathspec

from ossprov.ecosystems.interface import CompareContext

NPM_NEVER_SHIPPED = pathspec.PathSpec.from_lines("gitignore", [
    ".git", "node_modules", ".npmrc", "package-lock.json", "*.orig", ".DS_Store", ".*.swp", "npm-debug.log",
])


def _entries(patterns: list[str]) -> list[str]:
    """The `files` entries as npm-packlist rewrites them: `./x` anchored at the root (`/x`), `x/*` → `x/**`."""
    out = []
    for pattern in patterns:
        body = pattern[1:] if pattern.startswith("./") else pattern
        out.append(body + "*" if body.endswith("/*") else body)
    return out


def files_spec(patterns: list[str], is_dir) -> pathspec.PathSpec:
    """npm-packlist's reading of `files` as ignore rules (a path matching them is not shipped): everything
    excluded (`*`), then each entry re-included; `./x` is
    anchored at the package root (`/x`), `x/*` means `x/**`, and an entry that names a directory includes its
    contents (`is_dir(entry)` says which)."""
    lines = ["*"]
    for body in _entries(patterns):
        if body.startswith("!"):
            lines.append(body.lstrip("!"))  # npm inverts every entry: a negated one excludes
            continue
        lines.append("!" + body)
        if is_dir(body.strip("/")):
            lines.append("!" + body.rstrip("/") + "/**")
    return pathspec.PathSpec.from_lines("gitignore", lines)


def expected_files(context: CompareContext) -> list[str]:
    """Repository paths the package's `files` list includes; empty when the package.json has none."""
    if context.manifest is None:
        return []
    patterns = context.manifest.data.get("files")
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        return []
    root = context.content_root
    relative = [p[len(root):] for p in context.source_files if p.startswith(root)]
    directories = {d for rel in relative for d in _parents(rel)}
    spec = files_spec(patterns, lambda entry: entry in directories)
    entries = [e.strip("/").split("/") for e in _entries(patterns) if not e.startswith("!")]
    walked = {d for d in directories if not spec.match_file(d + "/") or _may_hold(d, entries)}
    return sorted(root + rel for rel in relative
                  if not spec.match_file(rel) and not NPM_NEVER_SHIPPED.match_file(rel)
                  and all(d in walked for d in _parents(rel)))


def _parents(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _may_hold(directory: str, entries: list[list[str]]) -> bool:
    """Whether an entry with a directory part could match inside `directory`: npm walks an excluded directory
    only then (as in git, a file whose parent directory is excluded is not re-included)."""
    parts = directory.split("/")
    for segments in entries:
        prefix = segments[:-1]
        if prefix and all(seg == "**" or fnmatch.fnmatchcase(part, seg)
                          for part, seg in zip(parts, prefix, strict=False)):
            return True
    return False
