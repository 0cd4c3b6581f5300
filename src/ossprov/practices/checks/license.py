"""License: a license file (Scorecard v5: 9 for a license file at the top level or in a top-level
`LICENSES/` or `COPYING/`-style folder, 1 more when the license is FSF or OSI approved).

Where ossprov differs from Scorecard, on purpose: Scorecard's local mode knows a license only by an SPDX
identifier in the file name (`LICENSE-MIT`, `LICENSES/Apache-2.0.txt`), so a plain `LICENSE` holding the
MIT text scores 9 there; ossprov also reads the text, and the MIT text earns the approved-license point.
"""

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


_FOLDERS = ("LICENSES/", "LICENSE/", "LICENCES/", "LICENCE/", "COPYING/", "COPYRIGHT/")


def _license_files(files: dict[str, str]) -> list[str]:
    top = [p for p in files if "/" not in p and _NAME.match(p)]
    in_dir = [p for p in files if p.upper().startswith(_FOLDERS) and p.count("/") == 1]
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
            where = "top-level" if "/" not in path else f"{path.split('/', 1)[0]}/ folder"
            probes.append(Probe("hasLicenseFile", True, path, None, f"{where} license file"))
            probes.append(Probe("hasFSFOrOSIApprovedLicense", bool(known), path, None,
                                f"license {known}" if known else "license not recognised (no SPDX id in the name, "
                                "no known license text)", {"license": known}))
        return probes or [Probe("hasLicenseFile", False)]

    def score(self, probes: list[Probe]) -> Scored:
        if not any(p.name == "hasLicenseFile" and p.outcome for p in probes):
            return 0, "license file not detected: add a LICENSE file at the top level"
        if any(p.name == "hasFSFOrOSIApprovedLicense" and p.outcome for p in probes):
            return 10, "license file detected"
        return 9, "license file detected, but the license is not recognised as FSF or OSI approved"
