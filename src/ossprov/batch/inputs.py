"""Reading what `ossprov batch` is asked to do: the purl list and the option values."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO

from packageurl import PackageURL

from ossprov.errors import InputError
from ossprov.purls import length_problem
from ossprov.store.results import STAGES

MAX_INPUT_CHARS = 256 << 20
"""A purl list of a few million packages fits; `/dev/zero` given as the list does not fill memory."""


def read_lines(source: IO[str], limit: int = MAX_INPUT_CHARS) -> list[str]:
    """The lines of a purl list (a file or stdin), read up to `limit` characters whatever the file claims:
    InputError beyond it, or when the text is not UTF-8."""
    try:
        text = source.read(limit + 1)
    except UnicodeDecodeError as exc:
        raise InputError(f"the purl list is not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    if len(text) > limit:
        raise InputError(f"the purl list is longer than {limit >> 20} MiB")
    return text.splitlines()


@dataclass(frozen=True)
class InvalidLine:
    line: int
    text: str
    reason: str


def read_purls(lines: Iterable[str]) -> tuple[list[str], list[InvalidLine]]:
    """Purls one per line, canonicalised and de-duplicated in input order. A line starting with `#` and
    anything after ` #` is a comment (a purl's own `#subpath` has no space before it); blank lines are
    skipped. A purl without a version names no artifact and is invalid."""
    purls: dict[str, None] = {}
    invalid: list[InvalidLine] = []
    for number, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        text = text.split(" #", 1)[0].strip()
        try:
            purl = PackageURL.from_string(text)
        except ValueError as exc:
            invalid.append(InvalidLine(number, text[:200], str(exc)))
            continue
        if not purl.version:
            invalid.append(InvalidLine(number, text[:200], "no version (add @VERSION)"))
            continue
        problem = length_problem(f"{purl.namespace or ''}/{purl.name}".lstrip("/"), purl.version)
        if problem:  # one absurd line is reported, the rest of the batch runs
            invalid.append(InvalidLine(number, text[:200], problem))
            continue
        purls[purl.to_string()] = None
    return list(purls), invalid


def parse_stages(text: str) -> tuple[str, ...]:
    """A comma-separated stage list, returned in pipeline order."""
    asked = {s.strip() for s in text.split(",") if s.strip()}
    unknown = sorted(asked - set(STAGES))
    if unknown or not asked:
        raise InputError(f"unknown stage(s) {', '.join(unknown) or '(none given)'}: choose from {', '.join(STAGES)}")
    return tuple(s for s in STAGES if s in asked)


def parse_rates(values: Sequence[str]) -> dict[str, float]:
    """NAME=REQ/S pairs (NAME is the registry's purl type: npm, pypi, maven, nuget)."""
    rates: dict[str, float] = {}
    for value in values:
        name, sep, number = value.partition("=")
        try:
            rate = float(number)
        except ValueError:
            rate = 0.0
        if not sep or not name.strip() or not rate > 0 or rate == float("inf"):
            raise InputError(f"--rate wants NAME=REQUESTS_PER_SECOND with a positive number, got {value!r}")
        rates[name.strip()] = rate
    return rates
