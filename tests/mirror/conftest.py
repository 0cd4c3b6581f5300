"""Mirror fixtures: an empty store of the test's own and a server running over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ossprov.mirror.server import MirrorServer
from ossprov.mirror.store import MirrorStore
from tests.mirror.mirrorhelpers import running


@pytest.fixture
def store(tmp_path: Path) -> MirrorStore:
    return MirrorStore(tmp_path / "mirror")


@pytest.fixture
def served(store: MirrorStore) -> Iterator[MirrorServer]:
    yield from running(store)
