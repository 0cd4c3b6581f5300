"""Binary-Artifacts: executables and compiled code committed to the repository (Scorecard: 10 minus one
point per binary; a Gradle wrapper jar is allowed when a workflow validates it)."""

from __future__ import annotations

from typing import ClassVar

from ossprov.practices.context import Context
from ossprov.practices.interface import Check, Inconclusive, Scored
from ossprov.practices.records import Probe, Risk
from ossprov.practices.workflows import action_name

BINARY_EXTENSIONS = frozenset({
    "crx", "deb", "dex", "dey", "elf", "o", "a", "so", "macho", "iso", "class", "jar", "bundle", "dylib",
    "lib", "msi", "dll", "drv", "efi", "exe", "ocx", "pyc", "pyo", "par", "rpm", "wasm", "whl", "war", "ear",
    "apk", "aar", "obj", "ko", "beam", "elc", "nupkg", "gem", "egg",
})
MAGIC = ((b"\x7fELF", "ELF executable"), (b"MZ", "Windows executable"), (b"\xca\xfe\xba\xbe", "Java class / Mach-O"),
         (b"\xfe\xed\xfa\xce", "Mach-O"), (b"\xfe\xed\xfa\xcf", "Mach-O"), (b"\xcf\xfa\xed\xfe", "Mach-O"),
         (b"\xce\xfa\xed\xfe", "Mach-O"), (b"\x00asm", "WebAssembly"), (b"dex\n", "Android dex"))
GRADLE_WRAPPER = "gradle/wrapper/gradle-wrapper.jar"
WRAPPER_VALIDATION = ("gradle/wrapper-validation-action", "gradle/actions/wrapper-validation")


def _extension(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name.lstrip(".") else ""


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
        probes = [Probe("binaryArtifact", p, None, f"binary file ({_extension(p)}) in the repository")
                  for p in sorted(ctx.files) if _extension(p) in BINARY_EXTENSIONS]
        # Executables usually have no extension: only those are sniffed, which keeps big trees cheap.
        bare = [p for p in ctx.files if not _extension(p)]
        for path, data in sorted(ctx.read_many(bare).items()):
            kind = next((label for magic, label in MAGIC if data.startswith(magic)), None)
            if kind:
                probes.append(Probe("binaryArtifact", path, None, f"binary file ({kind}) in the repository"))
        if any(p.path == GRADLE_WRAPPER for p in probes) and _validates_gradle_wrapper(ctx):
            probes = [p if p.path != GRADLE_WRAPPER else
                      Probe("gradleWrapperValidated", p.path, None, "Gradle wrapper jar, validated by a workflow")
                      for p in probes]
        return probes

    def score(self, probes: list[Probe]) -> Scored:
        count = sum(1 for p in probes if p.name == "binaryArtifact")
        if not count:
            return 10, "no binaries found in the repository"
        return max(0, 10 - count), f"binaries present in source code: {count} (remove them and build from source)"
