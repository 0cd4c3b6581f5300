"""Where the popular-name lists are: the user's (loaded with `ossprov squat --update`) below ossprov's data
directory, each with its key index beside it. A module of its own so that the warm name check
(`threats.checks`) can look at the files without importing the lists' parser."""

from __future__ import annotations

from pathlib import Path

from ossprov.config import settings


def user_path(ecosystem: str) -> Path:
    return settings().data_dir / "popular" / f"{ecosystem}.tsv.gz"


def keys_path(snapshot: Path) -> Path:
    """Where the key index of a list is stored: beside it, `npm.tsv.gz` → `npm.keys.gz`."""
    return snapshot.with_name(snapshot.name.removesuffix(".tsv.gz") + ".keys.gz")
