"""pip requirement files: pinned (`name==version`) lines, with or without `--hash`, and `-r` includes.

Requirements are parsed by `packaging.requirements`; pip's own option syntax around them (continuations,
comments, `-r`, `--hash`) is read with argparse. Anything not pinned to one exact version is reported as skipped
with the reason. Includes are followed only to files inside the scanned tree, once each, never over a URL: a
hostile repository must not make ossprov read (and quote) files elsewhere.
"""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Iterator
from pathlib import Path, PurePath

from packaging.requirements import InvalidRequirement, Requirement

from ossprov.scan.parsers.base import (
    Collector,
    LockFormat,
    ParseResult,
    Source,
    merge_results,
    prefixed_digest,
    read_source,
)

MAX_INCLUDE_DEPTH = 16
_COMMENT = re.compile(r"(^|\s+)#.*$")
_LOCAL_OR_URL = re.compile(r"^(\.|/|~)|://|\.(whl|zip|tar\.gz|tgz|tar\.bz2)$|^file:")


def _options_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(add_help=False, exit_on_error=False, prog="requirements")
    parser.add_argument("-r", "--requirement", action="append", default=[])
    parser.add_argument("-e", "--editable", action="append", default=[])
    parser.add_argument("--hash", action="append", default=[])
    return parser


_OPTIONS = _options_parser()


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first physical line, line with continuations joined and comments removed)."""
    start, parts = 0, []
    for lineno, raw in enumerate(text.splitlines(), 1):
        start = start or lineno
        line = _COMMENT.sub("", raw)
        if line.endswith("\\"):
            parts.append(line[:-1])
            continue
        parts.append(line)
        joined = " ".join(p.strip() for p in parts).strip()
        if joined:
            yield start, joined
        start, parts = 0, []
    if parts and " ".join(parts).strip():
        yield start, " ".join(p.strip() for p in parts).strip()


def _split(src: Source, lineno: int, line: str) -> tuple[str, argparse.Namespace]:
    """The requirement part of a line and its options (pip: options start at the first `-` word)."""
    words = line.split()
    first_option = next((i for i, w in enumerate(words) if w.startswith("-")), len(words))
    try:
        options, _unknown = _OPTIONS.parse_known_args(shlex.split(" ".join(words[first_option:])))
    except (argparse.ArgumentError, ValueError) as exc:
        raise src.error(lineno, f"malformed requirement options: {exc}") from None
    return " ".join(words[:first_option]), options


def _requirement(out: Collector, lineno: int, text: str, hashes: list[str]) -> None:
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        if _LOCAL_OR_URL.search(text):  # pip also takes bare paths and URLs, which are not PEP 508
            out.skip(text, lineno, "local path or URL requirement, not a registry package")
            return
        reason = str(exc).splitlines()[0]  # packaging adds the line and a caret below
        raise out.source.error(lineno, f"malformed requirement: {reason}") from None
    specs = list(req.specifier)
    if req.url:
        out.skip(text, lineno, "direct URL reference, not a registry package")
    elif len(specs) != 1 or specs[0].operator != "==" or specs[0].version.endswith(".*"):
        out.skip(text, lineno, "not pinned to one version with ==")
    else:
        allowed = [prefixed_digest(out.source, lineno, value) for value in hashes]  # one per released file
        digests: dict[str, str] = {}
        for algorithm, digest in allowed:
            digests.setdefault(algorithm, digest)
        out.add("pypi", req.name, specs[0].version, lineno, hashes=digests, allowed=allowed)


def _include(out: Collector, lineno: int, target: str, seen: set[Path], depth: int) -> ParseResult | None:
    src = out.source
    if "://" in target:
        out.skip(f"-r {target}", lineno, "remote include not followed")
        return None
    path = (src.path.parent / target).resolve()
    root = src.root.resolve()
    if not path.is_relative_to(root):
        out.skip(f"-r {target}", lineno, "include outside the scanned tree not followed")
        return None
    if path in seen:
        return None
    if not path.is_file():
        out.skip(f"-r {target}", lineno, "included file not found")
        return None
    if depth >= MAX_INCLUDE_DEPTH:
        raise src.error(lineno, f"includes nested deeper than {MAX_INCLUDE_DEPTH}")
    return _read(read_source(path, path.relative_to(root).as_posix(), src.root), seen, depth + 1)


def _read(src: Source, seen: set[Path], depth: int) -> ParseResult:
    seen.add(src.path.resolve())
    out = Collector(src)
    included: list[ParseResult] = []
    for lineno, line in _logical_lines(src.text):
        requirement, options = _split(src, lineno, line)
        for target in options.requirement:
            result = _include(out, lineno, target, seen, depth)
            if result:
                included.append(result)
        for editable in options.editable:
            out.skip(f"-e {editable}", lineno, "editable install, not a registry package")
        if requirement:
            _requirement(out, lineno, requirement, options.hash)
    return merge_results([out.result(), *included])


def parse(src: Source) -> ParseResult:
    return _read(src, set(), 0)


def is_requirements_path(path: PurePath) -> bool:
    """requirements.txt, requirements-dev.txt, dev-requirements.txt, requirements/base.txt (not the
    unpinned `.in` inputs of pip-compile)."""
    if path.suffix.lower() != ".txt":
        return False
    return "requirements" in path.name.lower() or path.parent.name.lower() == "requirements"


FORMAT = LockFormat(
    name="requirements",
    parse=parse,
    matches_name=is_requirements_path,
    sniff=lambda head: False,
)
