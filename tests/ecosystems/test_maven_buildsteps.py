"""Named build steps accept a file only when it is exactly what the step makes from the source."""

from __future__ import annotations

from ossprov.ecosystems.maven.buildsteps import fill, known_values

KNOWN = known_values("org.acme", "lib", "1.2.0")


def test_filtered_resource_with_this_releases_version() -> None:
    filled = fill(b"version=${project.version}\nbuilt=${timestamp}\n", b"version=1.2.0\nbuilt=2024-01-15 12:00\n",
                  KNOWN)
    assert filled is not None and filled.values["project.version"] == "1.2.0"


def test_filling_cannot_change_the_version_or_write_code() -> None:
    assert fill(b"version=${project.version}\n", b"version=6.6.6\n", KNOWN) is None
    assert fill(b"String V = \"@projectversion@\";", b"String V = \"6.6.6\";", KNOWN) is None  # jackson's tokens
    template = b'String NAME = "${project.name}";\n'
    assert fill(template, b'String NAME = "x"; static { Runtime.getRuntime().exec("id"); } String Y = "";\n',
                KNOWN) is None
    assert fill(b"a=${x}\n", b"a=1\nrm -rf /\n", KNOWN) is None


def test_hostile_published_files_cannot_make_the_matching_slow() -> None:
    """Each value runs to the next literal: adjacent placeholders are refused rather than backtracked over."""
    assert fill(b"x=${a}${b}${c}${d}\n", b"x=" + b"a" * 100_000 + b"\n", {}) is None
    assert fill(b"x=${a}.${b}.${c}\n" * 1000, (b"x=" + b"a." * 50 + b"\n") * 1000, {}) is None
