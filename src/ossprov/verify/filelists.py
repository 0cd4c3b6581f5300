"""What the package's own file list says should ship: npm's `files` field (gitignore-style patterns).

Only patterns that the source tree can satisfy matter here: build output named in `files` is not in the
repository, so it cannot be missing from the comparison's point of view.
"""

from __future__ import annotations

import pathspec

from ossprov.ecosystems.interface import CompareContext

NPM_NEVER_SHIPPED = pathspec.PathSpec.from_lines("gitignore", [
    ".git", "node_modules", ".npmrc", "package-lock.json", "*.orig", ".DS_Store", ".*.swp", "npm-debug.log",
])


def expected_files(ecosystem: str, context: CompareContext) -> list[str]:
    """Repository paths the package's file list includes (npm `files`); empty when there is no such list."""
    if ecosystem != "npm" or context.manifest is None:
        return []
    patterns = context.manifest.data.get("files")
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        return []
    lines = []
    for pattern in patterns:
        negated, body = pattern.startswith("!"), pattern.lstrip("!").lstrip("./").rstrip("/")
        if not body:
            continue
        lines += [("!" if negated else "") + body, ("!" if negated else "") + body + "/**"]
    spec = pathspec.PathSpec.from_lines("gitignore", lines)
    root = context.content_root
    found = []
    for path in context.source_files:
        if not path.startswith(root):
            continue
        rel = path[len(root):]
        if spec.match_file(rel) and not NPM_NEVER_SHIPPED.match_file(rel):
            found.append(path)
    return sorted(found)
