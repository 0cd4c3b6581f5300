"""What a Maven or Gradle rebuild needs to know: which tool, which JDK the original build used, and a settings.xml
that sends every download to the configured repository.

The JDK is read from the jar itself: `Build-Jdk-Spec` (maven-archiver 3.5+) or `Build-Jdk` in MANIFEST.MF, else
the highest class-file major version (major - 44 is the Java release, for 49 and up).
"""

from __future__ import annotations

import re
import struct
from xml.sax.saxutils import escape

from ossprov.ecosystems.maven.jars import parse_manifest
from ossprov.model import PackageTree

CLASS_MAGIC = b"\xca\xfe\xba\xbe"
FIRST_NUMBERED_MAJOR = 49
"""Java 5; class-file major versions from here map to releases as major - 44."""
GRADLE_FILES = ("build.gradle", "build.gradle.kts")


def jdk_release(version: str | None) -> str | None:
    """`1.8.0_292` → `8`, `17.0.2` → `17`, `11` → `11`."""
    m = re.match(r"\s*(\d+)(?:\.(\d+))?", version or "")
    if not m:
        return None
    return m.group(2) if m.group(1) == "1" and m.group(2) else m.group(1)


def original_jdk(published: PackageTree | None) -> tuple[str, str] | None:
    """(Java release, where it was read) for the published jar, or None when it says nothing."""
    if published is None:
        return None
    if "META-INF/MANIFEST.MF" in published.files:
        manifest = parse_manifest(published.files["META-INF/MANIFEST.MF"].data)
        for attr in ("build-jdk-spec", "build-jdk"):
            release = jdk_release(manifest.get(attr))
            if release:
                return release, f"MANIFEST.MF {attr}: {manifest[attr]}"
    majors = [struct.unpack(">H", f.data[6:8])[0] for p, f in published.files.items()
              if p.endswith(".class") and len(f.data) >= 8 and f.data.startswith(CLASS_MAGIC)]
    majors = [m for m in majors if m >= FIRST_NUMBERED_MAJOR]
    if majors:
        return str(max(majors) - 44), f"class-file major version {max(majors)}"
    return None


def original_maven(published: PackageTree | None) -> str | None:
    """The Maven version in `Created-By: Apache Maven 3.8.7` (maven-archiver writes it)."""
    if published is None or "META-INF/MANIFEST.MF" not in published.files:
        return None
    created = parse_manifest(published.files["META-INF/MANIFEST.MF"].data).get("created-by", "")
    m = re.search(r"Apache Maven ([\d.]+)", created)
    return m.group(1) if m else None


def host_version(output: str | None) -> str | None:
    """The first dotted version number in a tool's version output (`javac 17.0.15`, `Apache Maven 3.8.7`);
    ANSI colour codes (Maven prints them) are skipped."""
    m = re.search(r"(?<![\d\[;])(\d+(?:\.\d+)+)", re.sub(r"\x1b\[[0-9;]*m", "", output or ""))
    return m.group(1) if m else None


def build_tool(files: set[str]) -> str | None:
    """maven, gradle or None, from the names of the files in the module directory."""
    if "pom.xml" in files:
        return "maven"
    if any(f in files for f in GRADLE_FILES):
        return "gradle"
    return None


def settings_xml(repository: str) -> str:
    """A settings.xml mirroring every repository to `repository`: the build downloads only from the repository
    the user configured for ossprov, never from one its POM names. No credentials are written."""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<settings><mirrors><mirror><id>ossprov</id>'
            f"<mirrorOf>*</mirrorOf><url>{escape(repository)}</url></mirror></mirrors></settings>\n")
