"""package.json edits: only the repository lines change, whatever the file's formatting."""

from __future__ import annotations

import json

import pytest

from ossprov.errors import InputError
from ossprov.fix.manifests.npm import PackageJson
from ossprov.model import Repository
from tests.fix.fixhelpers import UPSTREAM, changed_lines

EDITOR = PackageJson()
TARGET = Repository(UPSTREAM)
URL_LINE = '"url": "git+https://github.com/acme/widget.git"'


def doc(indent: str, eol: str = "\n", trailing: bool = True) -> str:
    lines = ["{", f'{indent}"name": "widget",', f'{indent}"version": "1.0.0",', f'{indent}"description": "A widget",',
             f'{indent}"main": "index.js",', f'{indent}"scripts": {{', f'{indent}{indent}"test": "node test.js"',
             f"{indent}}}", "}"]
    return eol.join(lines) + (eol if trailing else "")


@pytest.mark.parametrize(("indent", "eol", "trailing"), [
    ("  ", "\n", True), ("    ", "\n", True), ("\t", "\n", True), ("  ", "\r\n", True), ("  ", "\n", False),
])
def test_only_repository_lines_are_added(indent: str, eol: str, trailing: bool) -> None:
    old = doc(indent, eol, trailing)
    new = EDITOR.apply(old, TARGET)
    assert changed_lines(old, new) == [
        f'+ {indent}"repository": {{{eol}',
        f'+ {indent}{indent}"type": "git",{eol}',
        f"+ {indent}{indent}{URL_LINE}{eol}",
        f"+ {indent}}},{eol}",
    ]
    assert new.endswith(eol) is trailing
    assert list(json.loads(new)) == ["name", "version", "description", "repository", "main", "scripts"]


def test_unusual_key_order_inserts_after_nearest_preceding_known_key() -> None:
    old = '{\n  "main": "index.js",\n  "keywords": ["a"],\n  "name": "widget",\n  "license": "MIT"\n}\n'
    new = EDITOR.apply(old, TARGET)
    # keywords comes later than name in npm's order, so the field follows keywords, wherever keywords is.
    assert new == ('{\n  "main": "index.js",\n  "keywords": ["a"],\n  "repository": {\n    "type": "git",\n'
                   f'    {URL_LINE}\n  }},\n  "name": "widget",\n  "license": "MIT"\n}}\n')


def test_last_member_gets_a_comma_and_nothing_else_changes() -> None:
    old = '{\n  "name": "widget",\n  "bugs": "https://example.invalid/bugs"\n}'
    new = EDITOR.apply(old, TARGET)
    assert changed_lines(old, new) == [
        '-   "bugs": "https://example.invalid/bugs"\n',
        '+   "bugs": "https://example.invalid/bugs",\n',
        '+   "repository": {\n', '+     "type": "git",\n', f"+     {URL_LINE}\n", "+   }\n",
    ]


def test_no_known_key_goes_first() -> None:
    old = '{\n  "main": "index.js"\n}\n'
    assert EDITOR.apply(old, TARGET) == f'{{\n  "repository": {{\n    "type": "git",\n    {URL_LINE}\n  }},\n  "main": "index.js"\n}}\n'


def test_monorepo_package_gets_directory() -> None:
    old = doc("  ")
    new = EDITOR.apply(old, Repository(UPSTREAM, "packages/widget"))
    assert changed_lines(old, new) == [
        '+   "repository": {\n', '+     "type": "git",\n', f"+     {URL_LINE},\n",
        '+     "directory": "packages/widget"\n', "+   },\n",
    ]


def test_wrong_repository_string_is_replaced_in_place() -> None:
    old = '{\n  "name": "widget",\n  "repository": "someone/else",\n  "main": "x.js"\n}\n'
    new = EDITOR.apply(old, TARGET)
    assert changed_lines(old, new) == [
        '-   "repository": "someone/else",\n',
        '+   "repository": {\n', '+     "type": "git",\n', f"+     {URL_LINE}\n", "+   },\n",
    ]


def test_compact_file_stays_on_one_line() -> None:
    old = '{"name":"widget","version":"1.0.0","main":"x.js"}'
    assert EDITOR.apply(old, TARGET) == (
        '{"name":"widget","version":"1.0.0","repository":{"type":"git","url":'
        '"git+https://github.com/acme/widget.git"},"main":"x.js"}')


def test_escapes_in_other_values_survive() -> None:
    old = '{\n  "name": "widget",\n  "description": "quote \\" and \\u00e9 and }",\n  "x": [1, {"y": "}"}]\n}\n'
    new = EDITOR.apply(old, TARGET)
    assert new.startswith(old[: old.index('  "x"')])
    assert json.loads(new)["description"] == 'quote " and é and }'


def test_declared_reads_string_and_object_forms() -> None:
    assert [h.url for h in EDITOR.declared('{"repository": "acme/widget"}')] == ["acme/widget"]
    hints = EDITOR.declared('{"repository": {"type": "git", "url": "x", "directory": "pkg/a"}}')
    assert [(h.url, h.subdir, h.origin) for h in hints] == [("x", "pkg/a", "declared-repository")]
    assert EDITOR.declared("[1, 2]") == []


@pytest.mark.parametrize("bad", ["", "{", "[1]", '{"a": 1} trailing', "\x00"])
def test_malformed_package_json_is_an_input_error(bad: str) -> None:
    with pytest.raises(InputError):
        EDITOR.apply(bad, TARGET)
