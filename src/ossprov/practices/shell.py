"""Install and download commands found in shell text (workflow `run:` steps, *.sh files, Dockerfile RUN),
classified as Scorecard's Pinned-Dependencies classifies them.

Commands are split with `shlex` (punctuation-aware, so pipes and `&&` are tokens of their own); a line
that shlex cannot split (unbalanced quotes) falls back to whitespace splitting rather than being skipped.
"""

from __future__ import annotations

import itertools
import re
import shlex
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

_SEPARATORS = {"|", "||", "&&", ";", "&", "(", ")", ";;", "|&"}
_SHELLS = {"sh", "bash", "zsh", "dash", "ksh", "python", "python3", "perl", "ruby", "node"}
_RUNNERS = _SHELLS | {"source", "."}
_DOWNLOADERS = {"curl", "wget"}
_PROCESS_SUBST = re.compile(r"\b(?:ba|z|da|k)?sh\s+<\(\s*(?:curl|wget)\b")
_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
_GO_VERSION = re.compile(r"^v\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$")


@dataclass(frozen=True)
class Dependency:
    """One installation or download that a build runs."""

    kind: str
    """pipCommand, npmCommand, goCommand or downloadThenRun (Scorecard's dependency use types)."""
    pinned: bool
    offset: int
    """0-based index of the line of the text the command is on."""
    command: str


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Lines with backslash continuations joined, each with the index of its first physical line."""
    buffer, start = "", 0
    for index, line in enumerate(text.splitlines()):
        if not buffer:
            start = index
        stripped = line.rstrip()
        if stripped.endswith("\\"):
            buffer += stripped[:-1] + " "
            continue
        yield start, buffer + line
        buffer = ""
    if buffer:
        yield start, buffer


def _tokens(line: str) -> list[str]:
    line = line.split(" #", 1)[0] if not line.lstrip().startswith("#") else ""
    try:
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        return list(lexer)
    except ValueError:
        return line.replace("|", " | ").replace("&&", " && ").replace(";", " ; ").split()


def _commands(tokens: list[str]) -> list[tuple[list[str], str | None]]:
    """Simple commands with the separator that follows each."""
    commands: list[tuple[list[str], str | None]] = []
    current: list[str] = []
    for token in tokens:
        if token in _SEPARATORS:
            commands.append((current, token))
            current = []
        else:
            current.append(token)
    commands.append((current, None))
    return [(words, sep) for words, sep in commands if words]


def _program(words: list[str]) -> tuple[str, list[str]]:
    """The program and its arguments, past `sudo`, `env X=1` and variable assignments."""
    index = 0
    while index < len(words) and (words[index] in {"sudo", "env", "exec", "time", "-E"} or ("=" in words[index]
                                  and not words[index].startswith("-"))):
        index += 1
    rest = words[index:]
    if not rest:
        return "", []
    return rest[0].rsplit("/", 1)[-1], rest[1:]


def _pip_args(program: str, args: list[str]) -> list[str] | None:
    """Arguments of a pip install, whatever way pip is invoked; None when it is not one."""
    if re.fullmatch(r"python[0-9.]*", program) and args[:2] == ["-m", "pip"]:
        args = args[2:]
    elif not re.fullmatch(r"pip[0-9.]*", program):
        return None
    return args[1:] if args[:1] == ["install"] else None


def _classify(program: str, args: list[str]) -> tuple[str, bool] | None:
    pip = _pip_args(program, args)
    if pip is not None:
        if "--require-hashes" in pip:
            return "pipCommand", True
        local = [a for a in pip if not a.startswith("-")]
        return "pipCommand", bool(local) and "--no-deps" in pip and all(a.startswith((".", "/")) for a in local)
    if program == "npm" and args[:1] in (["install"], ["i"], ["add"], ["install-test"], ["it"]):
        return "npmCommand", False
    if program == "npm" and args[:1] == ["ci"]:
        return "npmCommand", True
    if program == "go" and args[:1] in (["install"], ["get"]):
        targets = [a for a in args[1:] if not a.startswith("-")]
        if all(a.startswith(".") for a in targets):
            return None  # building the module itself, not fetching a dependency
        pinned = all(a.startswith(".") or _pinned_go_target(a) for a in targets)
        return "goCommand", pinned
    return None


def _pinned_go_target(target: str) -> bool:
    _, _, version = target.partition("@")
    return bool(_FULL_SHA.match(version) or _GO_VERSION.match(version))


def _downloaded_files(program: str, args: list[str]) -> set[str]:
    names: set[str] = set()
    if program not in _DOWNLOADERS:
        return names
    for flag, value in itertools.pairwise(args):
        if flag in {"-o", "--output", "-O", "--output-document"} and value != "-":
            names.add(value)
    return names


def analyse(text: str) -> list[Dependency]:
    """The dependencies a shell script installs or downloads and runs, in order."""
    found: list[Dependency] = []
    downloaded: set[str] = set()
    for offset, line in _logical_lines(text):
        if _PROCESS_SUBST.search(line):
            found.append(Dependency("downloadThenRun", False, offset, line.strip()))
            continue
        previous_downloads = False
        for words, sep in _commands(_tokens(line)):
            program, args = _program(words)
            if previous_downloads and program in _SHELLS:
                found.append(Dependency("downloadThenRun", False, offset, line.strip()))
            executed = {program} | ({args[0].removeprefix("./")} if program in _RUNNERS and args else set())
            if program not in _DOWNLOADERS and downloaded & executed:
                found.append(Dependency("downloadThenRun", False, offset, line.strip()))
            classified = _classify(program, args)
            if classified:
                found.append(Dependency(classified[0], classified[1], offset, line.strip()))
            downloaded |= {d.rsplit("/", 1)[-1] for d in _downloaded_files(program, args)}
            previous_downloads = program in _DOWNLOADERS and sep in {"|", "|&"}
    return found


def dockerfile_runs(text: str) -> Iterable[tuple[int, str]]:
    """(0-based line, shell text) of each RUN instruction in shell form."""
    for offset, line in _logical_lines(text):
        stripped = line.strip()
        if stripped[:4].upper() == "RUN " and not stripped[4:].lstrip().startswith("["):
            yield offset, stripped[4:]
