"""Links are found in long pages from each `://`, and exactly where the pattern, tried at every position, finds
them: a scheme glued to other letters, a URL inside a URL's query, schemes in capitals, `://` with no scheme."""

from __future__ import annotations

import random

from ossprov.source.urls import URL_IN_TEXT, repo_links_in_text, urls_in_text

TRICKY = [
    "see https://github.com/o/r.", "xhttps://github.com/o/r", "git+ssh://git@github.com/o/r.git and git://x/y",
    "HTTPS://GitHub.com/O/R?u=http://evil.example/x", "://nothing ://", "a:git://github.com/o/r", "git+https:",
    "(https://gitlab.com/o/r) `git+https://github.com/o/r`", "ftp://github.com/o/r http:/ https//", "",
]


def _spans(matches: object) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in matches]  # type: ignore[attr-defined]


def test_the_matches_are_those_of_the_pattern_tried_everywhere() -> None:
    for text in TRICKY:
        assert _spans(urls_in_text(text)) == _spans(URL_IN_TEXT.finditer(text)), text
    pieces = ["h", "t", "p", "s", "g", "i", "+", ":", "/", "a", ".", " ", "\n", ")", "S", "G", "://", "https://",
              "git+ssh://", "git+https", "GIT", ":/"]
    rng = random.Random(16)
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        assert _spans(urls_in_text(text)) == _spans(URL_IN_TEXT.finditer(text)), text


def test_forge_links_in_a_long_page() -> None:
    page = ("Lorem ipsum dolor sit amet. " * 4000) + "Install: git clone https://github.com/o/r.git\n" + \
        ("see http://docs.example/a " * 100) + "https://gitlab.com/g/p"
    assert repo_links_in_text(page) == ["https://github.com/o/r.git", "https://gitlab.com/g/p"]
