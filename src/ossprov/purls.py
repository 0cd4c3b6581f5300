"""Package URLs from users: parsed with packageurl-python, checked, and normalised per ecosystem.

Lengths are bounded before anything else looks at a purl: no registry has names or versions anywhere near
these limits, and a 100 KB name would otherwise travel into URLs, error messages and database keys.
"""

from __future__ import annotations

from packageurl import PackageURL

from ossprov.errors import InputError

MAX_PURL = 2048
MAX_NAME = 512
"""Name with namespace: npm allows 214 characters, Maven group:artifact pairs stay far below this."""
MAX_VERSION = 256


def shorten(text: str, limit: int = 120) -> str:
    """`text` on one line, cut to `limit` characters with the full length said: what a message may echo of
    input that can be any size."""
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else f"{one_line[:limit]}... ({len(text)} characters)"


def shown(text: str, limit: int = 120) -> str:
    """`text` quoted for a one-line message, cut to `limit` characters with the full length said."""
    one_line = " ".join(text.split())
    return repr(one_line) if len(one_line) <= limit else f"{one_line[:limit]!r}... ({len(text)} characters)"


def length_problem(name: str, version: str | None) -> str | None:
    """Why a package name or version is too long to be real, or None."""
    if len(name) > MAX_NAME:
        return f"package name of {len(name)} characters (at most {MAX_NAME})"
    if version and len(version) > MAX_VERSION:
        return f"version of {len(version)} characters (at most {MAX_VERSION})"
    return None


def parse_purl(text: str, *, require_version: bool = True) -> PackageURL:
    """A PackageURL, or InputError with a one-line reason (malformed, too long, no version, no name)."""
    text = text.strip()
    if not text.startswith("pkg:"):
        raise InputError(f"not a package URL: {shown(text)} (expected e.g. pkg:npm/left-pad@1.3.0)")
    if len(text) > MAX_PURL:
        raise InputError(f"package URL {shown(text)} is longer than {MAX_PURL} characters")
    try:
        purl = PackageURL.from_string(text)
    except ValueError as exc:
        raise InputError(f"malformed package URL {shown(text)}: {shorten(str(exc), 200)}") from None
    if not purl.name:
        raise InputError(f"package URL {shown(text)} has no name")
    if require_version and not purl.version:
        raise InputError(f"package URL {shown(text)} has no version (add @VERSION)")
    problem = length_problem(f"{purl.namespace or ''}/{purl.name}".lstrip("/"), purl.version)
    if problem:
        raise InputError(f"package URL {shown(text)}: {problem}")
    return purl


NAMESPACE_SEPARATORS = {"npm": "/", "golang": "/", "maven": ":"}
"""Purl types whose registry name joins namespace and name, and with what (npm `@scope/name`, the Go module
path, Maven `group:artifact`); the others know a package by its name alone."""


def package_name(purl: PackageURL) -> str:
    """The name as the registry knows it."""
    separator = NAMESPACE_SEPARATORS.get(purl.type)
    return f"{purl.namespace}{separator}{purl.name}" if separator and purl.namespace else purl.name


def canonical(purl: PackageURL) -> str:
    """The purl string without qualifiers or subpath: the key results are stored under."""
    return PackageURL(type=purl.type, namespace=purl.namespace, name=purl.name, version=purl.version).to_string()
