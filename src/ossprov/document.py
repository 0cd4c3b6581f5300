"""The one JSON document of a verification, printed by every command and stored as it is printed.

It is the locate record's fields, the verdict (over every stage that ran), the primary artifact's files, every
finding, one result per installable artifact, and the rebuild when one ran. `read_verify` turns a stored
document back into the VerifyResult it was made from (scan reuses stored results).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ossprov.model import VerifyResult, from_json, to_json
from ossprov.report.jsonout import verify_json


def verify_document(result: VerifyResult, later: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The document of a verification; `later` holds the JSON records of later stages (`rebuild`)."""
    doc = verify_json(result)
    doc["artifacts"] = to_json(result.artifacts)
    doc.update(later or {})
    return doc


def read_verify(doc: Mapping[str, Any]) -> VerifyResult:
    """The VerifyResult a document was made from (keys it does not know are ignored)."""
    return from_json(VerifyResult, {**doc, "locate": dict(doc)})
