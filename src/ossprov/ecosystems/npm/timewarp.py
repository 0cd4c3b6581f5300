"""npm's packuments as of the release, for the timewarp proxy (`ossprov.verify.timewarp`): versions published
after the cutoff hidden, tarball URLs sent back through the proxy.

Some mirrors answer npm's `time` with the date each version was copied. Such times are told apart by their
order (versions published in semver order get increasing times, copies do not); the versions are then not
filtered, and the proxy's notes say so.
"""

from __future__ import annotations

import datetime
import itertools
import json
import re
from typing import Any
from urllib.parse import quote, unquote, urljoin

from ossprov import http
from ossprov.http import MAX_DOWNLOAD_BYTES
from ossprov.verify.timewarp import Answer, Route, Timewarp, parse_time

COPY_DATE_INVERSIONS = 0.25
"""Share of consecutive versions (in version order) whose times go backwards above which times are copies."""
MIN_VERSIONS_TO_JUDGE = 4
_SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?")


def semver_key(version: str) -> tuple[int, int, int, int, str] | None:
    """Sort key of a semver version (a release sorts after its pre-releases), None when not semver."""
    m = _SEMVER.match(version)
    if not m:
        return None
    return int(m[1]), int(m[2]), int(m[3]), 0 if m[4] else 1, m[4] or ""


def times_are_copies(times: dict[str, datetime.datetime]) -> bool:
    """True when version times do not follow version order the way real publication times do."""
    ordered = sorted((k, when) for v, when in times.items() if (k := semver_key(v)) is not None)
    if len(ordered) < MIN_VERSIONS_TO_JUDGE:
        return False
    backwards = sum(1 for (_, a), (_, b) in itertools.pairwise(ordered) if b < a)
    return backwards / (len(ordered) - 1) > COPY_DATE_INVERSIONS


def _version_times(doc: dict[str, Any]) -> dict[str, datetime.datetime]:
    """A packument's publication time of each version it lists (versions without one left out)."""
    raw: dict[str, Any] = doc["time"] if isinstance(doc.get("time"), dict) else {}
    return {v: t for v in doc["versions"] if (t := parse_time(raw.get(v))) is not None}


class NpmRoute(Route):
    """`/npm/NAME` (a packument), `/npm/NAME/VERSION` or `/npm/NAME/TAG` (one manifest, what corepack asks),
    and tarball paths (`/npm/NAME/-/FILE`, lockfile `resolved` URLs rewritten to this registry)."""

    name = "npm"

    def answer(self, proxy: Timewarp, rest: str, base: str) -> Answer:
        if "/-/" in rest:
            response = http.client().request("GET", self.upstream + rest, max_bytes=MAX_DOWNLOAD_BYTES)
            return Answer(response.status_code, response.content, "application/octet-stream")
        doc = self._document(proxy, rest, base)
        if doc is None:
            return Answer(404, b'{"error":"Not found"}', "application/json")
        return Answer(200, json.dumps(doc).encode(), "application/json")

    def judge_times(self, proxy: Timewarp, name: str) -> None:
        """Tell from the rebuilt package's own packument whether the npm registry's times are copy dates
        (before any install asks; an install from a lockfile may never fetch a packument)."""
        doc = self._fetch(quote(name, safe="@"))
        if doc is not None and times_are_copies(_version_times(doc)):
            proxy.registry_copy_dates = True
            proxy.state.copy_dates.append(name)

    def _document(self, proxy: Timewarp, rest: str, base: str) -> dict[str, Any] | None:
        """A packument (`name`) or one version's manifest (`name/1.2.3`, `name/latest`: what corepack asks),
        both as of the cutoff."""
        parts = unquote(rest).split("/")
        size = 2 if parts[0].startswith("@") else 1
        name, tail = "/".join(parts[:size]), parts[size:]
        doc = self._packument(proxy, quote(name, safe="@"), base)
        if doc is None or not tail:
            return doc
        version = doc["dist-tags"].get(tail[0], tail[0]) if len(tail) == 1 else None
        manifest = doc["versions"].get(version)
        return manifest if isinstance(manifest, dict) else None

    def _fetch(self, name: str) -> dict[str, Any] | None:
        """The full packument (with `time`) of `name` as it appears in a registry path, or None."""
        doc = http.client().get_json(self.upstream + name, allow_404=True,
                                     headers={"Accept": "application/json"})
        if not isinstance(doc, dict) or not isinstance(doc.get("versions"), dict):
            return None
        return doc

    def _packument(self, proxy: Timewarp, name: str, base: str) -> dict[str, Any] | None:
        doc = self._fetch(name)
        if doc is None:
            return None
        label = f"npm:{unquote(name)}"
        versions: dict[str, Any] = doc["versions"]
        times = _version_times(doc)
        if proxy.cutoff is not None:
            if not times:
                proxy.state.untimed.append(label)
            elif proxy.registry_copy_dates or times_are_copies(times):
                if not proxy.registry_copy_dates:  # one registry copies all its dates: judged once
                    proxy.state.copy_dates.append(unquote(name))
                    proxy.registry_copy_dates = True
            else:
                kept = {v: m for v, m in versions.items() if v not in times or times[v] <= proxy.cutoff}
                if not kept:
                    proxy.state.nothing_older.append(label)
                elif len(kept) < len(versions):
                    proxy.state.hidden[label] = len(versions) - len(kept)
                    versions = kept
        for meta in versions.values():
            dist = meta.get("dist") if isinstance(meta, dict) else None
            if isinstance(dist, dict) and isinstance(dist.get("tarball"), str):
                tarball = urljoin(self.upstream, dist["tarball"])
                meta["dist"] = {**dist, "tarball": proxy.served_url(tarball, base, tarball.rsplit("/", 1)[-1])}
        tags = {t: v for t, v in (doc.get("dist-tags") or {}).items() if v in versions}
        if "latest" not in tags:
            releases = [v for v in versions if (k := semver_key(v)) is not None and k[3] == 1]
            if releases:
                tags["latest"] = max(releases, key=lambda v: semver_key(v) or (0, 0, 0, 0, ""))
        return {**doc, "versions": versions, "dist-tags": tags}
