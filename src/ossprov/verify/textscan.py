"""Reading code as words: what the consistency checks of generated JavaScript and compiled classes compare.

C-family comments are set aside first (they do not run, and licence banners would read as foreign words).
"""

from __future__ import annotations

import re

WORD = re.compile(r"[A-Za-z_$][\w$]*")


def strip_comments(text: str) -> str:
    """The text with every comment replaced by spaces (line and column positions kept): a small scanner that
    knows strings and template literals (regular-expression literals are taken as code)."""
    out = list(text)
    i, n, quote = 0, len(text), ""
    while i < n:
        c = text[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = ""
        elif c in "\"'`":
            quote = c
        elif c == "/" and i + 1 < n and text[i + 1] in "/*":
            end = text.find("\n", i) if text[i + 1] == "/" else text.find("*/", i + 2)
            end = n if end < 0 else (end if text[i + 1] == "/" else end + 2)
            for j in range(i, end):
                if out[j] != "\n":
                    out[j] = " "
            i = end
            continue
        i += 1
    return "".join(out)


def words(text: str) -> set[str]:
    """The identifiers and the words inside string literals of code, comments set aside."""
    return set(WORD.findall(strip_comments(text)))
