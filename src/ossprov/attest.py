"""in-toto attestations of rebuilds: a Statement v1 whose predicate is SLSA provenance v1.

The subject is the *published* artifact: the statement says "this file, which the registry serves, is what
the source at this commit builds into with this recipe". So it is only written for the rebuild outcomes that
establish that (bit-for-bit and stabilized); the rebuilt artifact's own digest and the stabilisers that were
needed go into the byproducts, so a reader can tell a bit-for-bit rebuild from one equal after stabilising.
Statements are written as JSON lines, one statement per line, so that batch runs can concatenate them.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ossprov import __version__
from ossprov.atomic import atomic_write
from ossprov.cache import file_digests
from ossprov.model import LocateResult, to_json
from ossprov.verify.rebuild import Outcome, RebuildResult

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://slsa.dev/provenance/v1"
BUILD_TYPE = "urn:ossprov:rebuild:v1"
"""Identifies the meaning of externalParameters (an ossprov recipe)."""
BUILDER_ID = "urn:ossprov:rebuilder"
ATTESTABLE = (Outcome.BIT_FOR_BIT, Outcome.STABILIZED)


def _git_uri(url: str, commit: str) -> str:
    return f"git+{url}@{commit}" if not url.startswith("git+") else f"{url}@{commit}"


def rebuild_statement(locate: LocateResult, published: Path, filename: str, result: RebuildResult, *,
                      started: str, finished: str, sandboxed: bool) -> dict[str, Any]:
    """The in-toto Statement for a successful rebuild; ValueError for an outcome that proves nothing."""
    if result.outcome not in ATTESTABLE or locate.repository is None or locate.commit is None:
        raise ValueError(f"a {result.outcome} rebuild is not attested")
    digests = file_digests(published)
    recipe = to_json(result.recipe)
    resolved = [{"uri": _git_uri(locate.repository.url, locate.commit), "digest": {"gitCommit": locate.commit},
                 "annotations": {"subdir": locate.repository.subdir}}]
    byproducts = [
        {"name": result.rebuilt_filename or filename, "digest": {"sha256": result.rebuilt_sha256},
         "annotations": {"outcome": result.outcome.value, "raw_equal": result.raw_equal}},
        {"name": "stabilizers", "mediaType": "application/json",
         "annotations": {"needed": result.needed_stabilizers,
                         "changed": [s.name for s in result.stabilizers if s.changed]}},
    ]
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": filename, "digest": {"sha256": digests["sha256"], "sha512": digests["sha512"]}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {"purl": locate.purl, "recipe": recipe},
                "internalParameters": {"sandbox": "bubblewrap" if sandboxed else "none"},
                "resolvedDependencies": resolved,
            },
            "runDetails": {
                "builder": {"id": BUILDER_ID,
                            "version": {"ossprov": __version__, "python": platform.python_version(),
                                        **(result.recipe.host if result.recipe else {})}},
                "metadata": {"startedOn": started, "finishedOn": finished},
                "byproducts": byproducts,
            },
        },
    }


def write_statements(path: Path, statements: Iterable[dict[str, Any]]) -> None:
    """Write statements as JSON lines, atomically."""
    lines = "".join(json.dumps(s, sort_keys=True, separators=(",", ":")) + "\n" for s in statements)
    atomic_write(path, lines.encode())
