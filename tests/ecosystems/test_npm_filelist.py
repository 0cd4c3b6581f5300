"""npm `files` read as `npm pack` reads it: checked against the real `npm pack --dry-run --json`."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from ossprov.ecosystems.interface import CompareContext, Manifest
from ossprov.ecosystems.npm.filelist import expected_files
from ossprov.model import PackageTree

TREE = {
    "index.js": "1", "dist/a.js": "1", "dist/sub/b.js": "1", "src/dist/nested.js": "1", "lib/x.js": "1",
    "lib/deep/y.js": "1", "docs/guide.md": "1", "docs/skip.txt": "1", ".github/workflow.yml": "1",
    "github/other.yml": "1", "types/index.d.ts": "1", "types/extra.d.ts": "1", "deno/dist/a.js": "1",
    "bin/cli.js": "1", "test/t.js": "1", "README.md": "1",
}
FILES = ["./dist", "lib/*", "docs/*.md", ".github", "/types/index.d.ts", "bin/", "!dist/sub"]


def npm_pack_list(root: Path) -> set[str]:
    proc = subprocess.run(["npm", "pack", "--dry-run", "--json", "--ignore-scripts"], cwd=root, check=True,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "npm_config_update_notifier": "false"})
    return {f["path"] for f in json.loads(proc.stdout)[0]["files"]}


def test_files_entries_keep_their_anchoring_like_npm_pack(tmp_path: Path) -> None:
    manifest = {"name": "anchored", "version": "1.0.0", "files": FILES}
    for rel, text in TREE.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    (tmp_path / "package.json").write_text(json.dumps(manifest))
    shipped = npm_pack_list(tmp_path) - {"package.json", "README.md"}
    context = CompareContext(PackageTree({}), {p: "0" * 40 for p in [*TREE, "package.json"]}, lambda p: None,
                             lambda ps: {}, "", "", manifest=Manifest("package.json", "anchored", "1.0.0", manifest))
    assert set(expected_files(context)) == shipped
    assert "src/dist/nested.js" not in shipped and "github/other.yml" not in shipped  # the cases lstrip got wrong


def test_unanchored_entries_like_npm_pack(tmp_path: Path) -> None:
    tree = {"index.js": "1", "lib/index.js": "1", "notes.md": "1", "docs/more.md": "1", "lib/a.js": "1",
            "src/lib/z.js": "1", "other.txt": "1"}
    manifest = {"name": "unanchored", "version": "1.0.0", "files": ["index.js", "*.md", "lib"]}
    for rel, text in tree.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    (tmp_path / "package.json").write_text(json.dumps(manifest))
    shipped = npm_pack_list(tmp_path) - {"package.json"}
    context = CompareContext(PackageTree({}), {p: "0" * 40 for p in [*tree, "package.json"]}, lambda p: None,
                             lambda ps: {}, "", "",
                             manifest=Manifest("package.json", "unanchored", "1.0.0", manifest))
    assert set(expected_files(context)) == shipped
