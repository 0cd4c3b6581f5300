"""The stages are generic: no module of the pipeline names an ecosystem; what differs by ecosystem is asked of
its plug-in (`ossprov.ecosystems.interface`). Tables that are about ecosystems by nature (configuration
variables, lockfile parsers, name-squatting lists, the mirror's two registry protocols) are not stages."""

from __future__ import annotations

import ast
from pathlib import Path

from ossprov import ecosystems

SRC = Path(__file__).resolve().parents[2] / "src" / "ossprov"
STAGES = ("stages.py", "artifacts.py", "locating.py", "verdict.py", "document.py", "mirror/admit.py",
          "fix/decide.py", "verify", "source", "report", "store", "batch")


def _named(path: Path) -> set[str]:
    types = set(ecosystems.supported())
    return {node.value for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in types}


def test_no_stage_names_an_ecosystem() -> None:
    files = [f for part in STAGES for f in ((SRC / part).rglob("*.py") if (SRC / part).is_dir() else [SRC / part])]
    assert len(files) > 40
    assert {str(f.relative_to(SRC)): found for f in files if (found := _named(f))} == {}


def test_the_check_sees_a_name(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('def f(eco):\n    return eco == "npm"\n')
    assert _named(module) == {"npm"}
