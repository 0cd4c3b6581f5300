"""The name check verify and scan run on every release: a name found clear is remembered, so a warm run
neither loads the popular list nor imports the matcher; a flagged name is never remembered, and a new
popular list forgets what was remembered."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ossprov import ecosystems
from ossprov.ecosystems.interface import Ecosystem
from ossprov.model import Release
from ossprov.threats import checks, popular
from ossprov.threats.checks import clear_marker, name_findings
from tests.threats.conftest import FakeRegistry


def _release(eco: str, name: str) -> Release:
    return Release(purl=f"pkg:{eco}/{name}@1.0.0", ecosystem=eco, name=name, version="1.0.0")


def _check_in_fresh_process(eco: str, name: str) -> dict:
    """name_findings in a new interpreter: the rules found, and whether the matcher or the popular list's parser
    was imported."""
    code = (
        "import json, sys\n"
        "from ossprov import ecosystems\n"
        "from ossprov.model import Release\n"
        "from ossprov.threats.checks import name_findings\n"
        f"found = name_findings(ecosystems.get({eco!r}), Release(purl='x', ecosystem={eco!r}, name={name!r},"
        " version='1.0.0'))\n"
        "print(json.dumps({'rules': [f.rule for f in found],"
        " 'matcher': any(m in sys.modules for m in ('rapidfuzz', 'ossprov.threats.popular'))}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ), check=True)
    return json.loads(out.stdout)


def test_a_clear_name_is_remembered_and_a_warm_check_loads_nothing(tmp_path: Path) -> None:
    name = "quartz-harbour-telemetry"
    first = _check_in_fresh_process("npm", name)
    assert first == {"rules": [], "matcher": True}
    marker = clear_marker("npm", name)
    assert marker is not None and marker.is_file()
    assert Path(os.environ["OSSPROV_CACHE"]) in marker.parents
    assert _check_in_fresh_process("npm", name) == {"rules": [], "matcher": False}


def _asking(eco_name: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Ecosystem, FakeRegistry]:
    """The real ecosystem, its registry's package history answered (and counted) by a FakeRegistry."""
    eco, registry = ecosystems.get(eco_name), FakeRegistry({})
    monkeypatch.setattr(eco, "history", registry.history)
    return eco, registry


def test_a_flagged_name_is_never_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    eco, registry = _asking("npm", monkeypatch)
    for _ in range(2):
        assert [f.rule for f in name_findings(eco, _release("npm", "crossenv"))] == ["OSP501"]
    assert registry.asked == ["crossenv", "crossenv"]  # the registry's answer of the day, each time
    marker = clear_marker("npm", "crossenv")
    assert marker is not None and not marker.exists()


def test_a_new_popular_list_forgets_remembered_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    eco, _ = _asking("pypi", monkeypatch)
    assert name_findings(eco, _release("pypi", "zyzzyva-lbi")) == []
    before = clear_marker("pypi", "zyzzyva-lbi")
    assert before is not None and before.is_file()
    src = tmp_path / "top.json"
    src.write_text(json.dumps({"rows": [{"project": "zyzzyva-lib", "download_count": 10_000_000}]}))
    popular.install_update(src, "pypi")
    assert clear_marker("pypi", "zyzzyva-lbi") != before
    assert [f.rule for f in name_findings(eco, _release("pypi", "zyzzyva-lbi"))] == ["OSP501"]


def test_an_unwritable_cache_only_costs_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache directory should be")
    monkeypatch.setenv("OSSPROV_CACHE", str(blocked))
    assert name_findings(ecosystems.get("npm"), _release("npm", "quartz-harbour-telemetry")) == []


def test_a_change_to_any_matcher_module_forgets_remembered_answers(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The Go path rules (`gopaths`, and the forges it reads from `golang.modpath`) decide a name's answer as
    much as the fuzzy matcher: an edited copy of either is not answered from markers the old code wrote."""
    copy = tmp_path / "threats"
    shutil.copytree(Path(checks.__file__).parent, copy)
    modpath = tmp_path / "modpath.py"
    shutil.copy(Path(checks.__file__).parents[1] / "ecosystems" / "golang" / "modpath.py", modpath)
    monkeypatch.setattr(checks, "_HERE", copy)
    monkeypatch.setattr(checks, "_OUTSIDE_SOURCES", (modpath,))
    seen = [checks.clear_marker("golang", "github.com/acme/widget")]
    for edited in (copy / "gopaths.py", modpath):
        os.utime(edited, ns=(0, edited.stat().st_mtime_ns + 1_000_000_000))
        seen.append(checks.clear_marker("golang", "github.com/acme/widget"))
    assert None not in seen and len(set(seen)) == 3
