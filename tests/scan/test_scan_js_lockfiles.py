"""npm, yarn and pnpm lockfiles: purls (scoped, aliased, transitive), digests, direct flags, exact lines."""

from __future__ import annotations

import json
import textwrap

import pytest

from ossprov.scan.discover import read_path
from ossprov.scan.parsers.base import Dependency

REG = "http://127.0.0.1:4873"


def by_purl(deps: tuple[Dependency, ...] | list[Dependency]) -> dict[str, Dependency]:
    return {d.purl: d for d in deps}


def npm_v3(integrity) -> dict:
    return {
        "name": "demo-app",
        "version": "1.0.0",
        "lockfileVersion": 3,
        "requires": True,
        "packages": {
            "": {
                "name": "demo-app",
                "version": "1.0.0",
                "dependencies": {"@babel/code-frame": "^7.22.0", "left-pad": "^1.3.0", "local-lib": "file:../local-lib"},
                "devDependencies": {"str-alias": "npm:string-width@^4.2.3"},
            },
            "../local-lib": {"version": "0.1.0"},
            "node_modules/@babel/code-frame": {
                "version": "7.22.13",
                "resolved": f"{REG}/@babel/code-frame/-/code-frame-7.22.13.tgz",
                "integrity": integrity(b"code-frame"),
                "dependencies": {"@babel/highlight": "^7.22.13", "chalk": "^2.4.2"},
            },
            "node_modules/@babel/highlight": {
                "version": "7.22.20",
                "resolved": f"{REG}/@babel/highlight/-/highlight-7.22.20.tgz",
                "integrity": integrity(b"highlight"),
                "dependencies": {"chalk": "^1.1.3"},
            },
            "node_modules/@babel/highlight/node_modules/chalk": {
                "version": "1.1.3",
                "integrity": integrity(b"chalk1", "sha1"),
            },
            "node_modules/chalk": {"version": "2.4.2", "integrity": integrity(b"chalk2")},
            "node_modules/left-pad": {"version": "1.3.0", "integrity": integrity(b"left-pad", "sha1")},
            "node_modules/local-lib": {"resolved": "../local-lib", "link": True},
            "node_modules/str-alias": {"name": "string-width", "version": "4.2.3", "dev": True,
                                       "integrity": integrity(b"sw")},
            "node_modules/from-git": {"version": "1.0.0", "resolved": "git+ssh://git@example.test/o/r.git#abc"},
        },
    }


@pytest.mark.parametrize("version", [2, 3])
def test_npm_v2_v3(write, integrity, digest, line, version):
    data = npm_v3(integrity)
    data["lockfileVersion"] = version
    text = json.dumps(data, indent=2)
    result = read_path(write("package-lock.json", text))
    deps = by_purl(result.dependencies)
    assert set(deps) == {
        "pkg:npm/%40babel/code-frame@7.22.13",
        "pkg:npm/%40babel/highlight@7.22.20",
        "pkg:npm/chalk@1.1.3",
        "pkg:npm/chalk@2.4.2",
        "pkg:npm/left-pad@1.3.0",
        "pkg:npm/string-width@4.2.3",
    }
    frame = deps["pkg:npm/%40babel/code-frame@7.22.13"]
    assert frame.name == "@babel/code-frame" and frame.ecosystem == "npm" and frame.direct is True
    assert frame.hashes == {"sha512": digest(b"code-frame")}
    assert frame.resolved_url == f"{REG}/@babel/code-frame/-/code-frame-7.22.13.tgz"
    assert frame.location.line == line(text, '"node_modules/@babel/code-frame": {')
    nested = deps["pkg:npm/chalk@1.1.3"]
    assert nested.direct is False and nested.hashes == {"sha1": digest(b"chalk1", "sha1")}
    assert nested.location.line == line(text, '"node_modules/@babel/highlight/node_modules/chalk": {')
    assert deps["pkg:npm/chalk@2.4.2"].direct is False
    assert deps["pkg:npm/string-width@4.2.3"].direct is True  # installed under its alias, declared as dev dep
    assert {(s.entry, s.reason) for s in result.skipped} == {
        ("local-lib", "linked local package (link: true)"),
        ("from-git", "git dependency"),
    }


def test_npm_v1_nested_lines_skip_requires_entries(write, integrity, digest, line):
    text = json.dumps({
        "name": "old-app",
        "lockfileVersion": 1,
        "requires": True,
        "dependencies": {
            "debug": {
                "version": "2.6.9",
                "resolved": f"{REG}/debug/-/debug-2.6.9.tgz",
                "integrity": integrity(b"debug"),
                "requires": {"ms": "2.0.0"},
                "dependencies": {"ms": {"version": "2.0.0", "integrity": integrity(b"ms2")}},
            },
            "ms": {"version": "2.1.3", "integrity": integrity(b"ms213")},
            "@types/node": {"version": "20.1.0", "dev": True, "integrity": integrity(b"types")},
            "mine": {"version": "file:packages/mine"},
            "alias": {"version": "npm:left-pad@1.3.0", "integrity": integrity(b"lp", "sha1")},
        },
    }, indent=2)
    result = read_path(write("npm-shrinkwrap.json", text))
    deps = by_purl(result.dependencies)
    assert list(deps) == ["pkg:npm/debug@2.6.9", "pkg:npm/ms@2.0.0", "pkg:npm/ms@2.1.3",
                          "pkg:npm/%40types/node@20.1.0", "pkg:npm/left-pad@1.3.0"]
    lines = text.splitlines()
    nested = deps["pkg:npm/ms@2.0.0"]
    # the nested object entry, not the `"ms": "2.0.0"` string in `requires` two lines before it
    assert lines[nested.location.line - 1].strip() == '"ms": {'
    assert nested.location.line > line(text, '"ms": "2.0.0"')
    assert nested.direct is False and nested.hashes == {"sha512": digest(b"ms2")}
    assert deps["pkg:npm/debug@2.6.9"].direct is None  # v1 does not say what is declared
    top_ms = deps["pkg:npm/ms@2.1.3"]
    assert top_ms.location.line > nested.location.line
    assert deps["pkg:npm/%40types/node@20.1.0"].location.line == line(text, '"@types/node": {')
    assert [s.reason for s in result.skipped] == ["local path dependency"]


def test_yarn_classic(write, integrity, digest, line):
    text = textwrap.dedent(f'''\
        # THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
        # yarn lockfile v1


        "@babel/code-frame@^7.0.0", "@babel/code-frame@^7.22.0":
          version "7.22.13"
          resolved "{REG}/@babel/code-frame/-/code-frame-7.22.13.tgz#abcdef"
          integrity {integrity(b"code-frame")}
          dependencies:
            "@babel/highlight" "^7.22.13"
            chalk "^2.4.2"

        chalk@^2.4.2:
          version "2.4.2"
          resolved "{REG}/chalk/-/chalk-2.4.2.tgz"
          integrity {integrity(b"chalk")}

        "string-width-cjs@npm:string-width@^4.2.0":
          version "4.2.3"
          integrity {integrity(b"sw")}

        my-local@file:./local:
          version "0.0.1"

        from-git@git+https://example.test/o/r.git#v1:
          version "1.0.0"
          resolved "git+https://example.test/o/r.git#0123abc"
        ''')
    result = read_path(write("yarn.lock", text))
    deps = by_purl(result.dependencies)
    assert list(deps) == ["pkg:npm/%40babel/code-frame@7.22.13", "pkg:npm/chalk@2.4.2", "pkg:npm/string-width@4.2.3"]
    frame = deps["pkg:npm/%40babel/code-frame@7.22.13"]
    assert frame.location.line == line(text, '"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.22.0":')
    assert frame.hashes == {"sha512": digest(b"code-frame")} and frame.direct is None
    assert frame.resolved_url.endswith("code-frame-7.22.13.tgz#abcdef")
    assert deps["pkg:npm/chalk@2.4.2"].location.line == line(text, "chalk@^2.4.2:")
    assert [s.reason for s in result.skipped] == ["local path dependency",
                                                  "not from a registry (git or URL dependency)"]


def test_yarn_berry(write, line):
    text = textwrap.dedent('''\
        # This file is generated by running "yarn install" inside your project.

        __metadata:
          version: 8
          cacheKey: 10c0

        "@babel/code-frame@npm:^7.22.0":
          version: 7.22.13
          resolution: "@babel/code-frame@npm:7.22.13"
          dependencies:
            chalk: "npm:^2.4.2"
          checksum: 10c0/22e342c8077c8b77eeb11f554ecca2ba14153f707b85294fcf6070b6f6150aae88a7b7436dd88d8c9289970585f3fe5b9b941c5aa3aa26a6d5a8ef3f292da058
          languageName: node
          linkType: hard

        "chalk@npm:^2.4.2":
          version: 2.4.2
          resolution: "chalk@npm:2.4.2"
          languageName: node
          linkType: hard

        "demo-app@workspace:.":
          version: 0.0.0-use.local
          resolution: "demo-app@workspace:."
          dependencies:
            "@babel/code-frame": "npm:^7.22.0"
          languageName: unknown
          linkType: soft

        "resolve@patch:resolve@npm%3A1.22.8#optional!builtin<compat/resolve>":
          version: 1.22.8
          resolution: "resolve@patch:resolve@npm%3A1.22.8#optional!builtin<compat/resolve>::version=1.22.8&hash=c3c19d"
          languageName: node
          linkType: hard
        ''')
    result = read_path(write("yarn.lock", text))
    deps = by_purl(result.dependencies)
    assert list(deps) == ["pkg:npm/%40babel/code-frame@7.22.13", "pkg:npm/chalk@2.4.2"]
    frame = deps["pkg:npm/%40babel/code-frame@7.22.13"]
    assert frame.direct is True and deps["pkg:npm/chalk@2.4.2"].direct is False
    assert frame.hashes == {}  # berry's checksum is of yarn's cache zip, not the registry tarball
    assert frame.location.line == line(text, '"@babel/code-frame@npm:^7.22.0":')
    assert deps["pkg:npm/chalk@2.4.2"].location.line == line(text, '"chalk@npm:^2.4.2":')
    assert len(result.skipped) == 2  # the workspace itself and the patched package


PNPM = {
    "5": ('''\
        lockfileVersion: 5.4

        specifiers:
          '@babel/code-frame': ^7.22.0
          react-dom: ^18.2.0

        dependencies:
          '@babel/code-frame': 7.22.13
          react-dom: 18.2.0_react@18.2.0

        packages:

          /@babel/code-frame/7.22.13:
            resolution: {integrity: INT_FRAME}
            dependencies:
              chalk: 2.4.2
            dev: false

          /chalk/2.4.2:
            resolution: {integrity: INT_CHALK}
            dev: false

          /react-dom/18.2.0_react@18.2.0:
            resolution: {integrity: INT_REACT}
            dev: false

          github.com/o/r/0123abc:
            resolution: {tarball: https://example.test/o/r/tar.gz/0123abc}
            name: r
            version: 1.0.0
        ''', "/@babel/code-frame/7.22.13:", "/react-dom/18.2.0_react@18.2.0:"),
    "6": ('''\
        lockfileVersion: '6.0'

        settings:
          autoInstallPeers: true

        dependencies:
          '@babel/code-frame':
            specifier: ^7.22.0
            version: 7.22.13
          react-dom:
            specifier: ^18.2.0
            version: 18.2.0(react@18.2.0)

        packages:

          /@babel/code-frame@7.22.13:
            resolution: {integrity: INT_FRAME}
            dependencies:
              chalk: 2.4.2
            dev: false

          /chalk@2.4.2:
            resolution: {integrity: INT_CHALK}
            dev: false

          /react-dom@18.2.0(react@18.2.0):
            resolution: {integrity: INT_REACT}
            dev: false

          github.com/o/r/0123abc:
            resolution: {tarball: https://example.test/o/r/tar.gz/0123abc}
            name: r
            version: 1.0.0
        ''', "/@babel/code-frame@7.22.13:", "/react-dom@18.2.0(react@18.2.0):"),
    "9": ('''\
        lockfileVersion: '9.0'

        importers:

          .:
            dependencies:
              '@babel/code-frame':
                specifier: ^7.22.0
                version: 7.22.13
              react-dom:
                specifier: ^18.2.0
                version: 18.2.0(react@18.2.0)

        packages:

          '@babel/code-frame@7.22.13':
            resolution: {integrity: INT_FRAME}

          chalk@2.4.2:
            resolution: {integrity: INT_CHALK}

          react-dom@18.2.0:
            resolution: {integrity: INT_REACT}

          r@https://example.test/o/r/tar.gz/0123abc:
            resolution: {tarball: https://example.test/o/r/tar.gz/0123abc}
            version: 1.0.0

        snapshots:

          '@babel/code-frame@7.22.13':
            dependencies:
              chalk: 2.4.2
        ''', "'@babel/code-frame@7.22.13':", "react-dom@18.2.0:"),
}


@pytest.mark.parametrize("version", sorted(PNPM))
def test_pnpm(write, integrity, digest, line, version):
    template, frame_key, react_key = PNPM[version]
    text = textwrap.dedent(template)
    for marker, data in (("INT_FRAME", b"frame"), ("INT_CHALK", b"chalk"), ("INT_REACT", b"react")):
        text = text.replace(marker, integrity(data))
    result = read_path(write("pnpm-lock.yaml", text))
    deps = by_purl(result.dependencies)
    assert list(deps) == ["pkg:npm/%40babel/code-frame@7.22.13", "pkg:npm/chalk@2.4.2", "pkg:npm/react-dom@18.2.0"]
    frame = deps["pkg:npm/%40babel/code-frame@7.22.13"]
    assert frame.hashes == {"sha512": digest(b"frame")} and frame.direct is True
    assert frame.location.line == line(text, frame_key, first=True)  # packages: come before snapshots:
    react = deps["pkg:npm/react-dom@18.2.0"]
    assert react.direct is True and react.location.line == line(text, react_key)
    assert deps["pkg:npm/chalk@2.4.2"].direct is False
    assert len(result.skipped) == 1 and "not a registry package" in result.skipped[0].reason


def test_big_and_minified_lockfiles(write, integrity):
    """20,000 packages read in seconds; in a one-line (minified) file every entry is on line 1."""
    import time

    packages = {"": {"dependencies": {"p0": "^1"}}}
    packages |= {f"node_modules/p{i}": {"version": "1.0.0", "integrity": integrity(str(i).encode())}
                 for i in range(20000)}
    for indent, last_line in ((2, 8 + 19999 * 4 + 1), (None, 1)):
        path = write("package-lock.json", json.dumps({"lockfileVersion": 3, "packages": packages}, indent=indent))
        started = time.monotonic()
        deps = read_path(path).dependencies
        assert time.monotonic() - started < 5
        assert len(deps) == 20000 and deps[0].direct is True and deps[-1].location.line == last_line
