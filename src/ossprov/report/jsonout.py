"""JSON for machines: one document for every command, an envelope holding the ossprov version, the command,
one result per package, the packages that could not be checked and what suppressions did. The shape is
published as a JSON Schema (`report/schema/results.schema.json`) that the tests validate every command's output
against, so scripts can rely on it: always an object, whether one purl was asked for or many."""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib.resources import files
from typing import Any

import orjson

from ossprov import __version__
from ossprov.model import LocateResult, VerifyResult, to_json

SCHEMA_ID = "https://github.com/ossprov/ossprov/blob/main/src/ossprov/report/schema/results.schema.json"


def locate_json(result: LocateResult) -> dict[str, Any]:
    doc = to_json(result)
    doc["located"] = result.located
    return doc


def verify_json(result: VerifyResult) -> dict[str, Any]:
    doc = locate_json(result.locate)
    doc.update({
        "verdict": result.verdict.value,
        "reason": result.reason,
        "files": result.counts,
        "file_results": [to_json(r) for r in result.file_results],
        "findings": [to_json(f) for f in result.findings],
    })
    return doc


def envelope(command: str, results: Sequence[dict[str, Any]], errors: Sequence[dict[str, Any]] = (),
             **extra: Any) -> dict[str, Any]:
    """The document: `results` are the per-package documents, `errors` `{"purl", "error", "exit_code"}`."""
    return {"$schema": SCHEMA_ID, "ossprov_version": __version__, "command": command,
            "results": list(results), "errors": list(errors), **extra}


def error_record(purl: str, message: str, exit_code: int) -> dict[str, Any]:
    return {"purl": purl, "error": message, "exit_code": exit_code}


def dumps(doc: dict[str, Any]) -> str:
    """The document as text, indented by two, all ASCII (non-ASCII characters escaped, as `json` writes them).
    orjson writes it, forty times faster than `json` indents; a document it cannot write as ASCII (a character
    beyond ASCII, a name git gave in bytes that are not UTF-8) is written by `json`, which escapes them.
    A record or a date orjson would write by itself is left to `json`, which refuses it as it always did: a
    record reaches the document through `to_json`, which redacts its credentials, or not at all. (Floats are
    written shortest, `1e16` for json's `1e+16`, the same number; a NaN, which is no JSON, as null.)"""
    try:
        text = orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATACLASS
                            | orjson.OPT_PASSTHROUGH_DATETIME)
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(doc, indent=2)
    return text.decode("ascii") if text.isascii() else json.dumps(doc, indent=2)


def schema() -> dict[str, Any]:
    """The published JSON Schema of the document."""
    return json.loads((files("ossprov.report") / "schema" / "results.schema.json").read_text(encoding="utf-8"))
