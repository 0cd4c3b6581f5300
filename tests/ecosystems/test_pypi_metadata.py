"""What a Python source declares, read statically, against the metadata a wheel or sdist publishes."""

from __future__ import annotations

from ossprov.ecosystems.pypi.metadata import declared, entry_point_findings, requirement_findings
from ossprov.model import Severity

SETUP_PY = """import os
from setuptools import setup
REQUIRES = ["requests>=2", "six"]
setup(
    name="legacy",
    install_requires=REQUIRES,
    extras_require={"yaml": ["pyyaml>=6"]},
    entry_points={"console_scripts": ["legacy = legacy.cli:main"]},
)
os.system("never run")
"""


def reader(files: dict[str, str]):
    return lambda path: files[path].encode() if path in files else None


def test_setup_py_is_read_statically_with_extras_and_scripts() -> None:
    source = declared(reader({"setup.py": SETUP_PY}), "")
    assert source is not None and source.requirements is not None
    assert set(source.requirements) == {("requests", ""), ("six", ""), ("pyyaml", "yaml")}
    meta = {"requires-dist": ["requests>=2", "six", 'PyYAML>=6; extra == "yaml"']}
    assert requirement_findings(meta, "METADATA", source) == []
    added = requirement_findings({"requires-dist": ["requests>=2", "six", "evil-helper"]}, "METADATA", source)
    assert [(f.severity, f.rule) for f in added] == [(Severity.HIGH, "OSP113")] and "evil-helper" in added[0].message
    moved = entry_point_findings(b"[console_scripts]\nlegacy = legacy._boot:main\n", "entry_points.txt", source)
    assert [f.severity for f in moved] == [Severity.HIGH]


def test_computed_setup_arguments_are_not_passed_silently() -> None:
    source = declared(reader({"setup.py": "from setuptools import setup\nsetup(install_requires=load())\n"}), "")
    findings = requirement_findings({"requires-dist": ["requests"]}, "METADATA", source)
    assert [f.severity for f in findings] == [Severity.MEDIUM]


def test_pyproject_dynamic_dependencies_from_setup_cfg_and_requirement_files() -> None:
    files = {"pkg/pyproject.toml": '[project]\nname = "p"\ndynamic = ["dependencies", "scripts"]\n'
             '[tool.setuptools.dynamic]\ndependencies = {file = ["requirements.txt"]}\n',
             "pkg/requirements.txt": "# pinned elsewhere\nattrs>=23\n",
             "pkg/setup.cfg": "[options.entry_points]\nconsole_scripts =\n    p = p.main:run\n"}
    source = declared(reader(files), "pkg")
    assert source is not None and source.requirements == {("attrs", ""): {">=23"}}
    assert source.entry_points == {("console_scripts", "p"): "p.main:run"}
    changed = requirement_findings({"requires-dist": ["attrs>=1"]}, "PKG-INFO", source)
    assert [(f.severity, f.rule) for f in changed] == [(Severity.MEDIUM, "OSP115")]


def test_setup_cfg_and_setup_py_together_like_jinja2() -> None:
    """Jinja2 3.1.2: metadata in setup.cfg, `install_requires` in setup.py "for GitHub's dependency graph"."""
    files = {"setup.cfg": "[metadata]\nname = Jinja2\n[options]\npackages = find:\n[options.entry_points]\n"
                          "babel.extractors =\n    jinja2 = jinja2.ext:babel_extract[i18n]\n",
             "setup.py": 'from setuptools import setup\nsetup(name="Jinja2", install_requires=["MarkupSafe>=2.0"],\n'
                         '      extras_require={"i18n": ["Babel>=2.7"]})\n'}
    source = declared(reader(files), "")
    meta = {"requires-dist": ["MarkupSafe (>=2.0)", "Babel (>=2.7) ; extra == 'i18n'"]}
    assert requirement_findings(meta, "METADATA", source) == []
    assert entry_point_findings(b"[babel.extractors]\njinja2 = jinja2.ext:babel_extract[i18n]\n", "e", source) == []


def test_setup_cfg_extras_naming_other_extras_like_sqlalchemy() -> None:
    files = {"setup.cfg": "[options]\ninstall_requires =\n    greenlet != 0.4.17;platform_machine=='x86_64'\n"
                          "[options.extras_require]\nasyncio =\n    greenlet!=0.4.17\n"
                          "postgresql_asyncpg =\n    %(asyncio)s\n    asyncpg\n"}
    source = declared(reader(files), "")
    assert source is not None and source.requirements is not None
    assert {("greenlet", "postgresql-asyncpg"), ("asyncpg", "postgresql-asyncpg")} <= set(source.requirements)
