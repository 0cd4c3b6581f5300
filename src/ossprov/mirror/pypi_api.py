"""The PyPI simple API (PEP 503 HTML, PEP 691 JSON) made from the mirror's index, with sha256 of every file."""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import quote

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "application/vnd.pypi.simple.v1+html"
_OFFERED = {JSON_TYPE: JSON_TYPE, HTML_TYPE: HTML_TYPE, "text/html": "text/html", "*/*": "text/html",
            "application/*": JSON_TYPE, "text/*": "text/html"}


def negotiate(accept: str | None) -> str:
    """The content type to answer with (PEP 691): the offered type the client weighs highest; HTML when none."""
    best, best_q = "text/html", -1.0
    for item in (accept or "").split(","):
        kind, *params = [p.strip() for p in item.split(";")]
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        offered = _OFFERED.get(kind.lower())
        if offered and q > best_q and q > 0:
            best, best_q = offered, q
    return best


def file_url(base: str, project: str, filename: str) -> str:
    return f"{base}/files/pypi/{project}/{quote(filename)}"


def _files(doc: dict[str, Any], base: str) -> list[dict[str, Any]]:
    files = []
    for entry in doc["versions"].values():
        for f in entry["files"]:
            item: dict[str, Any] = {"filename": f["filename"], "url": file_url(base, doc["name"], f["filename"]),
                                    "hashes": {"sha256": f["sha256"]}}
            if entry.get("published_at"):
                item["upload-time"] = entry["published_at"]
            files.append(item)
    return sorted(files, key=lambda f: f["filename"])


def project_page(doc: dict[str, Any], base: str, content_type: str) -> bytes:
    files = _files(doc, base)
    if content_type == JSON_TYPE:
        return json.dumps({"meta": {"api-version": "1.0"}, "name": doc["name"], "files": files}).encode()
    links = "".join(f'<a href="{html.escape(f["url"])}#sha256={f["hashes"]["sha256"]}">{html.escape(f["filename"])}'
                    "</a><br>\n" for f in files)
    return _html(f"Links for {doc['name']}", links)


def root_page(names: list[str], content_type: str) -> bytes:
    if content_type == JSON_TYPE:
        return json.dumps({"meta": {"api-version": "1.0"}, "projects": [{"name": n} for n in names]}).encode()
    links = "".join(f'<a href="{quote(n)}/">{html.escape(n)}</a><br>\n' for n in names)
    return _html("Simple index", links)


def _html(title: str, body: str) -> bytes:
    return (f'<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.0">'
            f"<title>{html.escape(title)}</title></head><body>\n<h1>{html.escape(title)}</h1>\n{body}</body></html>\n"
            ).encode()
