"""Reading code as words: what the consistency checks of generated JavaScript and compiled classes compare.

C-family comments are set aside first (they do not run, and licence banners would read as foreign words).
"""

from __future__ import annotations

import re

WORD = re.compile(r"[A-Za-z_$][\w$]*")


_REGEX_BEFORE = frozenset("(,=:[!&|?{};+-*%<>~^")
"""A `/` after one of these (or at the start of a line) opens a regular-expression literal, not a division."""


def strip_comments(text: str) -> str:
    """The text with every comment (and a first-line `#!`) replaced by spaces, line and column positions kept:
    a small scanner that knows strings, template literals and regular-expression literals (a quote inside
    `/[*|"<>]/` opens no string; a quoted string ends at its line's end)."""
    return scan(text)[0]


def scan(text: str) -> tuple[str, set[int]]:
    """`strip_comments`'s text, and the (0-based) lines that begin inside a template literal."""
    blanked, continued, _ = _scan(text)
    return blanked, continued


def comment_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every comment in `text` (and of a first-line `#!`), as `strip_comments` finds them."""
    return _scan(text)[2]


def _scan(text: str) -> tuple[str, set[int], list[tuple[int, int]]]:
    continued: set[int] = set()
    spans: list[tuple[int, int]] = []
    line = 0
    out = list(text)
    if text.startswith("#!"):
        end = text.find("\n")
        out[: end if end >= 0 else len(text)] = " " * (end if end >= 0 else len(text))
        spans.append((0, end if end >= 0 else len(text)))
    i, n, quote, previous = 0, len(text), "", "\n"
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            if quote == "`":
                continued.add(line)
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote or (c == "\n" and quote != "`"):
                quote = ""
        elif c in "\"'`":
            quote = c
        elif c == "/" and i + 1 < n and text[i + 1] in "/*":
            end = text.find("\n", i) if text[i + 1] == "/" else text.find("*/", i + 2)
            end = n if end < 0 else (end if text[i + 1] == "/" else end + 2)
            for j in range(i, end):
                if out[j] != "\n":
                    out[j] = " "
            spans.append((i, end))
            i = end
            continue
        elif c == "/" and (previous in _REGEX_BEFORE or previous == "\n"):
            i = _regex_end(text, i)
            previous = "/"
            continue
        if not c.isspace() or c == "\n":
            previous = c
        i += 1
    return "".join(out), continued, spans


def _regex_end(text: str, start: int) -> int:
    """The index after the regular-expression literal opening at `start` (its line's end if unclosed)."""
    i, in_class = start + 1, False
    while i < len(text) and text[i] != "\n":
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            in_class = True
        elif c == "]":
            in_class = False
        elif c == "/" and not in_class:
            return i + 1
        i += 1
    return i


def words(text: str) -> set[str]:
    """The identifiers and the words inside string literals of code, comments set aside."""
    return set(WORD.findall(strip_comments(text)))
