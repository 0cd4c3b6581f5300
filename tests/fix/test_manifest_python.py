"""pyproject.toml (tomlkit) and setup.cfg (textual) edits keep comments and layout."""

from __future__ import annotations

from ossprov.fix.manifests import choose
from ossprov.fix.manifests.pyproject import PyprojectToml
from ossprov.fix.manifests.setupcfg import SetupCfg
from ossprov.model import Repository
from tests.fix.fixhelpers import UPSTREAM, changed_lines

TARGET = Repository(UPSTREAM)
PYPROJECT = '''# Project metadata: keep this comment
[build-system]
requires = ["hatchling"]   # the backend
build-backend = "hatchling.build"

[project]
name = "widget"  # distribution name
version = "1.0"
dependencies = [
    "httpx",  # HTTP
]

# extras
[project.optional-dependencies]
test = ["pytest"]

[tool.ruff]
line-length = 100
'''


def test_pyproject_gains_project_urls_and_keeps_everything_else() -> None:
    new = PyprojectToml().apply(PYPROJECT, TARGET)
    assert changed_lines(PYPROJECT, new) == [
        "+ [project.urls]\n", '+ Source = "https://github.com/acme/widget"\n', "+ \n"]
    assert new.index("[project.urls]") < new.index("[tool.ruff]")


def test_pyproject_crlf_stays_crlf() -> None:
    old = PYPROJECT.replace("\n", "\r\n")
    new = PyprojectToml().apply(old, TARGET)
    assert new.count("\n") == new.count("\r\n")
    assert changed_lines(old, new) == [
        "+ [project.urls]\r\n", '+ Source = "https://github.com/acme/widget"\r\n', "+ \r\n"]


def test_pyproject_existing_urls_table_gets_a_source_line() -> None:
    old = '[project]\nname = "widget"\n\n[project.urls]\nHomepage = "https://widget.example"  # docs\n'
    new = PyprojectToml().apply(old, TARGET)
    assert changed_lines(old, new) == ['+ Source = "https://github.com/acme/widget"\n']


def test_pyproject_wrong_source_is_corrected_in_place() -> None:
    old = '[project]\nname = "widget"\n\n[project.urls]\nRepository = "https://github.com/other/thing"\n'
    new = PyprojectToml().apply(old, TARGET)
    assert changed_lines(old, new) == ['- Repository = "https://github.com/other/thing"\n',
                                       '+ Repository = "https://github.com/acme/widget"\n']


def test_pyproject_declared_uses_the_pypi_classification() -> None:
    old = '[project]\nname = "w"\n[project.urls]\nHomepage = "https://github.com/acme/widget"\nDocs = "https://d"\n'
    origins = [(h.origin, h.url) for h in PyprojectToml().declared(old)]
    assert ("declared-repository", "https://github.com/acme/widget") in origins  # a homepage that is the repo
    assert ("project-url:Docs", "https://d") in origins


def test_dynamic_urls_fall_back_to_setup_cfg() -> None:
    files = {
        "pyproject.toml": b'[project]\nname = "widget"\ndynamic = ["version", "urls"]\n',
        "setup.cfg": b"[metadata]\nname = widget\n",
        "setup.py": b"from setuptools import setup\nsetup()\n",
    }
    choice = choose("pypi", "widget", files, "", lambda p: files[p])
    assert choice is not None and choice.path == "setup.cfg"


def test_setup_py_only_is_manual() -> None:
    files = {"pkg/setup.py": b"from setuptools import setup\nsetup()\n", "pkg/pyproject.toml": b"[tool.black]\n"}
    choice = choose("pypi", "widget", files, "pkg", lambda p: files[p])
    assert choice is not None and choice.path == "pkg/setup.py" and choice.editor is None


SETUP_CFG = """# setup.cfg for widget
[metadata]
name = widget
version = attr: widget.__version__
# long description from the readme
long_description = file: README.md

# options follow
[options]
packages = find:
"""


def test_setup_cfg_gains_project_urls_and_keeps_comments() -> None:
    new = SetupCfg().apply(SETUP_CFG, TARGET)
    assert changed_lines(SETUP_CFG, new) == ["+ project_urls =\n", "+     Source = https://github.com/acme/widget\n"]
    assert new.index("project_urls") < new.index("# options follow")


def test_setup_cfg_existing_project_urls_gets_a_line_with_its_indent() -> None:
    old = "[metadata]\nname = widget\nproject_urls =\n  Docs = https://docs.example\n  Tracker = https://t.example\n\n[options]\nzip_safe = False"
    new = SetupCfg().apply(old, TARGET)
    assert changed_lines(old, new) == ["+   Source = https://github.com/acme/widget\n"]


def test_setup_cfg_without_trailing_newline_keeps_it_that_way() -> None:
    old = "[metadata]\r\nname = widget"
    new = SetupCfg().apply(old, TARGET)
    assert new == "[metadata]\r\nname = widget\r\nproject_urls =\r\n    Source = https://github.com/acme/widget"


def test_setup_cfg_declared_and_wrong_source_corrected() -> None:
    old = "[metadata]\nname = widget\nproject_urls =\n    Source Code = https://github.com/old/place\n"
    assert [(h.origin, h.url) for h in SetupCfg().declared(old)] == [
        ("declared-repository", "https://github.com/old/place")]
    new = SetupCfg().apply(old, TARGET)
    assert changed_lines(old, new) == ["-     Source Code = https://github.com/old/place\n",
                                       "+     Source Code = https://github.com/acme/widget\n"]
