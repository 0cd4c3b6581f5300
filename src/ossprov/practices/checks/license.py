"""License: a license file at the top level (6 for the file, 3 for its place, 1 for a recognised
FSF/OSI license, as Scorecard scores it)."""

from __future__ import annotations

import re
from typing import ClassVar

from ossprov.practices.context import Context
from ossprov.practices.interface import Check, Scored
from ossprov.practices.records import Probe, Risk

_NAME = re.compile(r"^(?:(?P<pre>[\w.+-]+)[-_.])?(?:LICEN[CS]E|COPYING|COPYRIGHT)(?:[-_.](?P<post>[\w.+-]+?))?"
                   r"(?:\.(?:adoc|asc|docx?|ext|html|markdown|md|rst|txt|xml))?$", re.IGNORECASE)
SPDX_IN_NAME = re.compile(r"(Apache-2\.0|MIT|BSD-[234]-Clause\w*|[AL]?GPL-[23]\.[01]\w*|MPL-2\.0|ISC|0BSD|"
                          r"Unlicense|EPL-[12]\.0|Zlib|CC0-1\.0|BSL-1\.0|Artistic-2\.0)", re.IGNORECASE)
KNOWN_TEXTS = ((b"Apache License", "Apache"), (b"Permission is hereby granted, free of charge", "MIT"),
               (b"GNU GENERAL PUBLIC LICENSE", "GPL"), (b"GNU LESSER GENERAL PUBLIC LICENSE", "LGPL"),
               (b"GNU AFFERO GENERAL PUBLIC LICENSE", "AGPL"), (b"Mozilla Public License", "MPL"),
               (b"Redistribution and use in source and binary forms", "BSD"),
               (b"Permission to use, copy, modify, and/or distribute", "ISC"),
               (b"This is free and unencumbered software", "Unlicense"),
               (b"Eclipse Public License", "EPL"), (b"Boost Software License", "BSL"))


def _license_files(files: dict[str, str]) -> list[str]:
    top = [p for p in files if "/" not in p and _NAME.match(p)]
    in_dir = [p for p in files if p.upper().startswith("LICENSES/") and p.count("/") == 1]
    return sorted(top) + sorted(in_dir)


class License(Check):
    name: ClassVar[str] = "License"
    risk: ClassVar[Risk] = Risk.LOW

    def probe(self, ctx: Context) -> list[Probe]:
        paths = _license_files(ctx.files)
        contents = ctx.read_many(paths[:5])
        probes = []
        for path in paths:
            spdx = SPDX_IN_NAME.search(path.rsplit("/", 1)[-1])
            data = contents.get(path, b"")[:20000]
            known = spdx.group(1) if spdx else next((name for text, name in KNOWN_TEXTS if text in data), None)
            top = "/" not in path
            where = "top-level" if top else "LICENSES directory"
            probes.append(Probe("licenseFile", path, None,
                                f"{where} license file" + (f" ({known})" if known else " (license not recognised)"),
                                {"top_level": top, "recognised": bool(known)}))
        return probes

    def score(self, probes: list[Probe]) -> Scored:
        if not probes:
            return 0, "license file not detected: add a LICENSE file at the top level"
        best = max(6 + 3 * p.data["top_level"] + p.data["recognised"] for p in probes)
        if best == 10:
            return 10, "license file detected"
        return best, "license file detected, but " + (
            "not at the top level" if not any(p.data["top_level"] for p in probes) else "the license is not recognised")
