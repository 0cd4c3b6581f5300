"""JSON for machines: one object for one package, a list for several."""

from __future__ import annotations

import json
from typing import Any

from ossprov.model import LocateResult, VerifyResult, to_json


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


def dumps(docs: list[dict[str, Any]]) -> str:
    return json.dumps(docs[0] if len(docs) == 1 else docs, indent=2, sort_keys=False)
