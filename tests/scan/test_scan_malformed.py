"""Malformed dependency files give an InputError naming the file and the line, never a traceback."""

from __future__ import annotations

import pytest

from ossprov.errors import InputError
from ossprov.scan.discover import read_path

CASES = {
    # name: (file name, text, line the error must name)
    "npm-truncated": ("package-lock.json", '{\n  "lockfileVersion": 3,\n  "packages": {\n    "": {}\n', 5),
    "npm-bad-entry": ("npm-shrinkwrap.json",
                      '{\n  "lockfileVersion": 2,\n  "packages": {\n    "node_modules/a": {"version": "1.0.0",\n'
                      '      "integrity": "sha512-!!notbase64"}\n  }\n}\n', 4),
    "npm-entry-type": ("package-lock.json",
                       '{\n  "lockfileVersion": 3,\n  "packages": {\n    "node_modules/a": ["x"]\n  }\n}\n', 4),
    "yarn-classic-header": ("yarn.lock", "# yarn lockfile v1\n\nchalk@^2.4.2\n  version \"2.4.2\"\n", 3),
    "yarn-classic-quote": ("yarn.lock", '# yarn lockfile v1\n\nchalk@^2.4.2:\n  version "2.4.2\n', 4),
    "yarn-berry-yaml": ("yarn.lock", '__metadata:\n  version: 8\n\n"a@npm:1":\n  version: [1\n', 6),
    "pnpm-yaml": ("pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages:\n  a@1.0.0:\n   - x\n  b: {\n", 6),
    "requirements": ("requirements.txt", "requests==2.31.0\n\nflask==2.0 ; python_version >>> '3'\n", 3),
    "requirements-hash": ("requirements.txt", "requests==2.31.0 --hash=sha256:xyz\n", 1),
    "poetry": ("poetry.lock", '[[package]]\nname = "a"\nversion = 1.0.0\n', 3),
    "uv": ("uv.lock", 'version = 1\n\n[[package]]\nname = "a"\nsource = { registry = "x"\n', 5),
    "pipfile": ("Pipfile.lock", '{\n  "default": {\n    "six": {"version": "==1.0"},\n  }\n}\n', 4),
    "pylock": ("pylock.toml", 'lock-version = "1.0"\n[[packages]\nname = "a"\n', 2),
    "nuget": ("packages.lock.json", '{\n  "version": 1,\n  "dependencies": {\n    "net8.0": {\n      "A": {,\n', 5),
    "cyclonedx-json": ("bom.json", '{\n  "bomFormat": "CycloneDX",\n  "components": [\n    {"purl": }\n  ]\n}\n', 4),
    "cyclonedx-xml": ("bom.xml", '<?xml version="1.0"?>\n<bom xmlns="http://cyclonedx.org/schema/bom/1.5">\n'
                      "  <components>\n    <component><purl>x</purl>\n  </components>\n</bom>\n", 5),
    "spdx": ("app.spdx.json", '{\n  "spdxVersion": "SPDX-2.3",\n  "packages": [\n    {"name": "a"\n  ]\n}\n', 5),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_names_file_and_line(tmp_path, case):
    name, text, expected_line = CASES[case]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_path(path)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:{expected_line}: "), message


def test_xml_entities_are_refused(tmp_path):
    path = tmp_path / "bom.xml"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE bom [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n'
                    '<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components>&b;</components></bom>\n')
    with pytest.raises(InputError, match=r"bom\.xml: refused XML"):
        read_path(path)


def test_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "requirements.txt"
    path.write_bytes(b"requests==2.31.0\nfoo==1.0 # caf\xe9\n")
    with pytest.raises(InputError, match=r"requirements\.txt:2: not UTF-8 text"):
        read_path(path)


def test_unknown_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello\n")
    with pytest.raises(InputError, match="not a dependency file ossprov can read"):
        read_path(path)


def test_include_cycle_and_depth(tmp_path):
    (tmp_path / "requirements.txt").write_text("-r requirements-dev.txt\na==1.0\n")
    (tmp_path / "requirements-dev.txt").write_text("-r requirements.txt\nb==2.0\n")
    result = read_path(tmp_path / "requirements.txt")
    assert [d.purl for d in result.dependencies] == ["pkg:pypi/a@1.0", "pkg:pypi/b@2.0"]
