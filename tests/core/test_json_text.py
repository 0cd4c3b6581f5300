"""The JSON document's text: indented by two and all ASCII, whatever the names in it are (a non-ASCII file
name, a path git gave in bytes that are not UTF-8), and read back as the document it was made from."""

from __future__ import annotations

import datetime
import json

import pytest

from ossprov.model import Evidence, to_json
from ossprov.report.jsonout import dumps


def test_the_text_is_ascii_indented_json_of_the_document() -> None:
    plain = {"results": [{"path": "lib/a.js", "n": 3, "ok": True, "none": None, "score": 0.95,
                          "evidence": to_json(Evidence("tag", "tag v1.0.0", {"tag": "v1.0.0"}))}], "errors": []}
    assert dumps(plain) == json.dumps(plain, indent=2)
    for name in ("lib/caf\u00e9.js", "lib/\udce9.js", "emoji-\U0001f600"):  # beyond ASCII; not UTF-8; astral
        doc = {"results": [{"path": name, "control": "a\x01\x7fb"}]}
        text = dumps(doc)
        assert text.isascii() and text.startswith("{\n  ")
        assert json.loads(text) == doc


def test_a_record_not_made_json_is_never_written_unredacted() -> None:
    """Credentials are redacted by `to_json`: a record that skipped it is refused, as `json` refuses it, never
    written field by field with the password in it."""
    record = Evidence("repository", "declared", {"url": "https://alice:s3cretvalue@forge.example/a/b"})
    assert "s3cretvalue" not in dumps({"results": [to_json(record)]})
    with pytest.raises(TypeError):
        dumps({"results": [record]})
    with pytest.raises(TypeError):
        dumps({"when": datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)})
