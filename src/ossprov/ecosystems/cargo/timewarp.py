"""The sparse index as of the release, for the timewarp proxy (`ossprov.verify.timewarp`): each crate's entry
without the versions published after the cutoff (by their `pubtime`), downloads sent back through the proxy."""

from __future__ import annotations

import json
from urllib.parse import unquote, urljoin

from ossprov import http
from ossprov.ecosystems.cargo.registry import download_url
from ossprov.http import MAX_DOWNLOAD_BYTES
from ossprov.verify.timewarp import Answer, Route, Timewarp, parse_time


class CargoRoute(Route):
    """`/cargo/config.json` (downloads sent back here), `/cargo/PREFIX/NAME` (index entries) and
    `/cargo/dl/CRATE/VERSION/CHECKSUM` (fetched from where the index's own `dl` template says)."""

    name = "cargo"

    def answer(self, proxy: Timewarp, rest: str, base: str) -> Answer:
        if rest == "config.json":
            dl = f"{base}/cargo/dl/{{crate}}/{{version}}/{{sha256-checksum}}"
            return Answer(200, json.dumps({"dl": dl}).encode(), "application/json")
        if rest.startswith("dl/"):
            crate, version, checksum = (unquote(p) for p in rest.split("/")[1:4])
            config = http.client().get_json(self.upstream + "config.json")
            template = config.get("dl") if isinstance(config, dict) else None
            if not isinstance(template, str):
                return Answer(502, b"timewarp: the index's config.json names no download location\n", "text/plain")
            return proxy.fetch(urljoin(self.upstream, download_url(template, crate, version, checksum)))
        response = http.client().request("GET", self.upstream + rest, max_bytes=MAX_DOWNLOAD_BYTES)
        if response.status_code != 200:
            return Answer(404, b"not found\n", "text/plain")
        lines = [line for line in response.text.splitlines() if line.strip()]
        return Answer(200, "".join(f"{line}\n" for line in self._entry(proxy, rest, lines)).encode(), "text/plain")

    def _entry(self, proxy: Timewarp, rest: str, lines: list[str]) -> list[str]:
        """A crate's index lines without the versions published after the cutoff."""
        label = f"cargo:{rest.rsplit('/', 1)[-1]}"
        if proxy.cutoff is None:
            return lines
        records = [_record(line) for line in lines]
        times = [parse_time(r.get("pubtime")) if r is not None else None for r in records]
        if all(when is None for when in times):
            proxy.state.untimed.append(label)
            return lines
        kept = [(line, r) for line, r, when in zip(lines, records, times, strict=True)
                if when is None or when <= proxy.cutoff]
        if not kept:
            proxy.state.nothing_older.append(label)
            return lines
        if len(kept) < len(lines):
            proxy.state.hidden[label] = len(lines) - len(kept)
        # The index does not say when a version was yanked, and most are yanked long after they were
        # published: a version of the day is served as it was then, installable.
        restored = [json.dumps({**r, "yanked": False}) if r is not None and r.get("yanked") is True else line
                    for line, r in kept]
        if any(r is not None and r.get("yanked") is True for _, r in kept):
            proxy.state.unyanked.append(label)
        return restored


def _record(line: str) -> dict | None:
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return record if isinstance(record, dict) else None
