"""The simple API as of the release, for the timewarp proxy (`ossprov.verify.timewarp`): files uploaded after
the cutoff hidden, file URLs sent back through the proxy."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, unquote, urljoin

from ossprov.ecosystems.pypi.registry import SIMPLE_JSON, file_entries
from ossprov.verify.timewarp import Answer, Route, Timewarp, parse_time


class PypiRoute(Route):
    """`/pypi/simple/PROJECT/`: the project page in PEP 691 JSON."""

    name = "pypi"

    def answer(self, proxy: Timewarp, rest: str, base: str) -> Answer:
        if not rest.startswith("simple/"):
            return Answer(404, b"not a simple API path\n", "text/plain")
        project = rest.removeprefix("simple/").strip("/")
        return Answer(200, json.dumps(self._page(proxy, project, base)).encode(), SIMPLE_JSON)

    def _page(self, proxy: Timewarp, project: str, base: str) -> dict[str, Any]:
        entries = file_entries(unquote(project))
        kept = []
        times = [parse_time(e.get("upload-time")) for e in entries]
        if proxy.cutoff is not None and entries and all(t is None for t in times):
            proxy.state.untimed.append(project)
        for entry, when in zip(entries, times, strict=True):
            if proxy.cutoff is not None and when is not None and when > proxy.cutoff:
                continue
            kept.append(entry)
        if entries and not kept:
            proxy.state.nothing_older.append(project)
            kept = entries
        if hidden := len(entries) - len(kept):
            proxy.state.hidden[f"pypi:{project}"] = hidden
        files = []
        for e in kept:
            url = urljoin(self.upstream + project + "/", str(e.get("url", "")))
            filename = str(e.get("filename", ""))
            entry = {k: v for k, v in e.items() if k not in ("url", "core-metadata", "data-dist-info-metadata",
                                                              "dist-info-metadata")}
            entry["url"] = proxy.served_url(url, base, quote(filename))
            files.append(entry)
        return {"meta": {"api-version": "1.1"}, "name": project, "files": files}
