"""Binary-Artifacts: executables and compiled code committed to the repository (Scorecard: 10 minus one
point per binary; a Gradle wrapper jar is allowed when a workflow validates it).

A file is judged by its content, as Scorecard does, never by its name alone: its first bytes name an
executable or object format (ELF, PE, Mach-O, Java class, WebAssembly, dex, ar archive), or its name has a
binary extension *and* its content is not text. So a real ELF named `addon.node` is a binary, and a text
file named `notes.a` is not. Where ossprov differs from Scorecard, on purpose: Scorecard's file-type
library needs more than 52 bytes to call a file ELF, so it misses small ELF stubs and droppers; ossprov
reads the magic number whatever the size. And a PE header (`MZ`) counts only with non-text content, so a
text file that starts with the letters "MZ" is not an executable.
"""

from __future__ import annotations

from typing import ClassVar

from ossprov.practices.context import Context
from ossprov.practices.interface import Check, Inconclusive, Scored
from ossprov.practices.records import Probe, Risk
from ossprov.practices.workflows import action_name

BINARY_EXTENSIONS = frozenset({
    "crx", "deb", "dex", "dey", "elf", "o", "a", "so", "macho", "iso", "class", "jar", "bundle", "dylib",
    "lib", "msi", "dll", "drv", "efi", "exe", "ocx", "pyc", "pyo", "par", "rpm", "wasm", "whl",
})
"""Scorecard's list of binary extensions: a file so named counts when its content is not text."""
MAGIC = ((b"\x7fELF", "ELF executable"), (b"\xca\xfe\xba\xbe", "Java class / Mach-O universal"),
         (b"\xfe\xed\xfa\xce", "Mach-O"), (b"\xfe\xed\xfa\xcf", "Mach-O"), (b"\xcf\xfa\xed\xfe", "Mach-O"),
         (b"\xce\xfa\xed\xfe", "Mach-O"), (b"\x00asm", "WebAssembly"), (b"dex\n", "Android dex"),
         (b"dey\n", "Android odex"), (b"!<arch>\n", "ar archive (static library)"),
         (b"\xed\xab\xee\xdb", "RPM package"), (b"Cr24", "Chrome extension"))
SNIFF_BYTES = 1024
"""How much of each file is looked at (Scorecard reads the same)."""
GRADLE_WRAPPER = "gradle-wrapper.jar"
WRAPPER_VALIDATION = ("gradle/wrapper-validation-action", "gradle/actions/wrapper-validation")


def _extension(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name.lstrip(".") else ""


def is_text(head: bytes) -> bool:
    """Scorecard's test: no control character other than tab, newline and carriage return (invalid UTF-8
    is allowed, as the file may be in another encoding)."""
    head = head[:SNIFF_BYTES]
    text = head[:max(len(head) - 3, 0)].decode("utf-8", "replace")  # a last character may be cut: not judged
    return not any(c < " " and c not in "\n\t\r" for c in text)


def binary_kind(path: str, head: bytes) -> str | None:
    """What binary `head` (a file's first bytes) is, or None for a file that is not one."""
    kind = next((label for magic, label in MAGIC if head.startswith(magic)), None)
    if kind:
        return kind
    if head.startswith(b"MZ") and not is_text(head):
        return "Windows executable"
    if head and _extension(path) in BINARY_EXTENSIONS and not is_text(head):
        return f".{_extension(path)} file with binary content"
    return None


def _validates_gradle_wrapper(ctx: Context) -> bool:
    try:
        workflows = ctx.workflows()
    except Inconclusive:
        return False
    return any(s.uses and action_name(s.uses).startswith(WRAPPER_VALIDATION) for w in workflows for s in w.steps())


class BinaryArtifacts(Check):
    name: ClassVar[str] = "Binary-Artifacts"
    risk: ClassVar[Risk] = Risk.HIGH

    def probe(self, ctx: Context) -> list[Probe]:
        by_blob: dict[str, list[str]] = {}
        for path, sha in ctx.files.items():
            by_blob.setdefault(sha, []).append(path)
        found: list[tuple[str, str]] = []
        for sha, data in ctx.repo.read_blobs(by_blob):  # streamed: one blob in memory at a time
            head = data[:SNIFF_BYTES]
            found += [(path, kind) for path in by_blob[sha] if (kind := binary_kind(path, head))]
        validated = any(p.rsplit("/", 1)[-1] == GRADLE_WRAPPER for p, _ in found) and _validates_gradle_wrapper(ctx)
        probes = []
        for path, kind in sorted(found):
            if validated and path.rsplit("/", 1)[-1] == GRADLE_WRAPPER:
                probes.append(Probe("hasUnverifiedBinaryArtifacts", False, path, None,
                                    "Gradle wrapper jar, validated by a workflow"))
            else:
                probes.append(Probe("hasUnverifiedBinaryArtifacts", True, path, None,
                                    f"binary file ({kind}) in the repository"))
        return probes or [Probe("hasUnverifiedBinaryArtifacts", False)]

    def score(self, probes: list[Probe]) -> Scored:
        count = sum(1 for p in probes if p.outcome)
        if not count:
            return 10, "no binaries found in the repository"
        return max(0, 10 - count), f"binaries present in source code: {count} (remove them and build from source)"
