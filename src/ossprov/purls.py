"""Package URLs from users: parsed with packageurl-python, checked, and normalised per ecosystem."""

from __future__ import annotations

from packageurl import PackageURL

from ossprov.errors import InputError


def parse_purl(text: str, *, require_version: bool = True) -> PackageURL:
    """A PackageURL, or InputError with a one-line reason (malformed, no version, no name)."""
    text = text.strip()
    if not text.startswith("pkg:"):
        raise InputError(f"not a package URL: {text!r} (expected e.g. pkg:npm/left-pad@1.3.0)")
    try:
        purl = PackageURL.from_string(text)
    except ValueError as exc:
        raise InputError(f"malformed package URL {text!r}: {exc}") from None
    if not purl.name:
        raise InputError(f"package URL {text!r} has no name")
    if require_version and not purl.version:
        raise InputError(f"package URL {text!r} has no version (add @VERSION)")
    return purl


def package_name(purl: PackageURL) -> str:
    """The name as the registry knows it: npm `@scope/name`, Maven `group:artifact`, the Go module path, else
    the name."""
    if purl.type in ("npm", "golang") and purl.namespace:
        return f"{purl.namespace}/{purl.name}"
    if purl.type == "maven" and purl.namespace:
        return f"{purl.namespace}:{purl.name}"
    return purl.name


def canonical(purl: PackageURL) -> str:
    """The purl string without qualifiers or subpath: the key results are stored under."""
    return PackageURL(type=purl.type, namespace=purl.namespace, name=purl.name, version=purl.version).to_string()
