"""A reader of go.mod files: the module path, its deprecation, `require` lines (with `// indirect`) and
`retract` directives (single versions and `[low, high]` ranges, with their rationale comments).

The syntax is line-oriented: a directive followed by arguments, or a directive and a parenthesised block of
argument lines; `//` starts a comment. Quoted strings are accepted where the go command accepts them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ossprov.ecosystems.golang.modpath import semver_key


@dataclass(frozen=True)
class Require:
    path: str
    version: str
    line: int
    indirect: bool


@dataclass(frozen=True)
class Retraction:
    low: str
    high: str
    rationale: str

    def covers(self, version: str) -> bool:
        return semver_key(self.low) <= semver_key(version) <= semver_key(self.high)


@dataclass
class GoMod:
    module: str | None = None
    deprecated: str | None = None
    requires: list[Require] = field(default_factory=list)
    retractions: list[Retraction] = field(default_factory=list)

    def retraction(self, version: str) -> Retraction | None:
        return next((r for r in self.retractions if r.covers(version)), None)


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`|\[|\]|,|[^\s\[\],]+')


def _split(text: str) -> tuple[list[str], str]:
    """(tokens, comment) of one line."""
    body, comment = text, ""
    in_quote = False
    for i, ch in enumerate(text):
        if ch == '"':
            in_quote = not in_quote
        if not in_quote and text.startswith("//", i):
            body, comment = text[:i], text[i + 2:].strip()
            break
    tokens = [t[1:-1] if t[:1] in ('"', "`") else t for t in _TOKEN.findall(body)]
    return tokens, comment


def parse(text: str) -> GoMod:
    """The parts of a go.mod ossprov uses (unknown directives are skipped, as the go command's lax parse)."""
    out = GoMod()
    block: str | None = None
    pending_comment: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        tokens, comment = _split(raw)
        if not tokens:
            pending_comment = [*pending_comment, comment] if comment else []
            continue
        if block is not None:
            if tokens == [")"]:
                block = None
                continue
            _directive(out, block, tokens, comment, pending_comment, number)
        elif tokens[-1] == "(" and len(tokens) == 2:
            block = tokens[0]
        else:
            _directive(out, tokens[0], tokens[1:], comment, pending_comment, number)
        pending_comment = []
    return out


def _directive(out: GoMod, verb: str, args: list[str], comment: str, before: list[str], line: int) -> None:
    if verb == "module" and args:
        out.module = args[0]
        for text in [*before, comment]:
            if text.startswith("Deprecated:"):
                out.deprecated = text.removeprefix("Deprecated:").strip() or "deprecated"
    elif verb == "require" and len(args) >= 2:
        out.requires.append(Require(args[0], args[1], line, "indirect" in comment.split(";")[0].split()))
    elif verb == "retract" and args:
        rationale = comment or " ".join(before)
        if args[0] == "[" and len(args) >= 5:
            out.retractions.append(Retraction(args[1], args[3], rationale))
        elif args[0] != "[":
            out.retractions.append(Retraction(args[0], args[0], rationale))
