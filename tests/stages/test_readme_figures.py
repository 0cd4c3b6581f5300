"""Figures the README states about the code are the code's."""

from __future__ import annotations

import re
from pathlib import Path

from ossprov.verify.stabilize import STABILIZERS

README = Path(__file__).resolve().parents[2] / "README.md"


def test_stabiliser_count_matches_the_code() -> None:
    stated = re.findall(r"(\d+) named stabilisers", README.read_text(encoding="utf-8"))
    assert stated == [str(len(STABILIZERS))]
