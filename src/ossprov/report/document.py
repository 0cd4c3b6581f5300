"""The one JSON document every command prints (and `--format json` promises): an envelope with the ossprov
version, the command, one result per package, the packages that could not be checked, and what suppressions
did. The shape is published as a JSON Schema (`report/schema/results.schema.json`) that the tests validate
every command's output against, so scripts can rely on it: always an object, never "an object for one purl and
a list for several"."""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib.resources import files
from typing import Any

from ossprov import __version__

SCHEMA_ID = "https://github.com/ossprov/ossprov/blob/main/src/ossprov/report/schema/results.schema.json"


def document(command: str, results: Sequence[dict[str, Any]], errors: Sequence[dict[str, Any]] = (),
             **extra: Any) -> dict[str, Any]:
    """The envelope: `results` are the stage documents, `errors` `{"purl", "error", "exit_code"}` records."""
    return {"$schema": SCHEMA_ID, "ossprov_version": __version__, "command": command,
            "results": list(results), "errors": list(errors), **extra}


def error_record(purl: str, message: str, exit_code: int, **extra: Any) -> dict[str, Any]:
    return {"purl": purl, "error": message, "exit_code": exit_code, **extra}


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2)


def schema() -> dict[str, Any]:
    return json.loads((files("ossprov.report") / "schema" / "results.schema.json").read_text(encoding="utf-8"))
