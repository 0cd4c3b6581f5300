"""A CycloneDX 1.6 JSON SBOM of a scan: one component per package with its purl and digests, a VCS reference
to the repository at the commit it was built from, and ossprov's conclusions as `ossprov:*` properties.

Built with cyclonedx-python-lib so the document follows the schema (tests validate it with the library's
strict validator). A component's hashes are those of the artifact ossprov verified when the lockfile accepts
that artifact (a PyPI lockfile lists every wheel and the sdist; the component names the one that was checked),
else the lockfile's own (and the examined artifact's digest is a property, never mixed in). The lockfile's
dependency graph is kept: the scanned project is the root component, depending on the direct dependencies, and
each package depends on what the lockfile resolved for it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from cyclonedx.exception.model import InvalidUriException
from cyclonedx.model import ExternalReference, ExternalReferenceType, HashAlgorithm, HashType, Property, XsUri
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.output import make_outputter
from cyclonedx.schema import OutputFormat, SchemaVersion
from packageurl import PackageURL

from ossprov import __version__
from ossprov.model import Severity, VerifyResult
from ossprov.scan.items import ScanItem

SCHEMA_VERSION = SchemaVersion.V1_6
PREFIX = "ossprov:"

_ALGORITHMS = {
    "md5": HashAlgorithm.MD5,
    "sha1": HashAlgorithm.SHA_1,
    "sha256": HashAlgorithm.SHA_256,
    "sha384": HashAlgorithm.SHA_384,
    "sha512": HashAlgorithm.SHA_512,
}


def _properties(item: ScanItem) -> list[Property]:
    dep, result = item.dependency, item.result
    values: dict[str, object] = {
        "verdict": item.category,
        "location": f"{dep.location.file}:{dep.location.line}" if dep.location.line else dep.location.file,
        "direct": None if dep.direct is None else str(dep.direct).lower(),
        "error": item.error,
    }
    if result:
        values |= _result_values(result)
    severities = Counter(f.severity.value for f in item.findings)
    values["findings"] = len(item.findings)
    values |= {f"findings:{s.value}": severities[s.value] for s in Severity}
    return [Property(name=PREFIX + k, value=str(v)) for k, v in values.items() if v not in (None, "")]


def _result_values(result: VerifyResult) -> dict[str, object]:
    locate = result.locate
    values: dict[str, object] = {
        "commit": locate.commit,
        "confidence": f"{locate.confidence:.2f}",
        "repository": locate.repository.url if locate.repository else None,
        "subdir": locate.repository.subdir if locate.repository else None,
        "reason": result.reason,
        "artifact-sha256": locate.artifact.sha256 if locate.artifact else None,
    }
    values |= {f"files:{status}": n for status, n in result.counts.items() if n}
    return values


def _vcs_reference(result: VerifyResult | None) -> ExternalReference | None:
    """`git+<repository>@<commit>`, the form pip and SPDX use for a pinned checkout; None when not located
    or when the URL is not one the schema accepts."""
    if result is None or result.locate.repository is None:
        return None
    locate, repository = result.locate, result.locate.repository
    url = repository.url if repository.url.startswith("git+") else f"git+{repository.url}"
    comment = "source repository"
    if locate.commit:
        url, comment = f"{url}@{locate.commit}", f"source at commit {locate.commit}"
    if repository.subdir:
        comment += f", directory {repository.subdir}"
    try:
        return ExternalReference(type=ExternalReferenceType.VCS, url=XsUri(url), comment=comment)
    except InvalidUriException:
        return None


def _hashes(item: ScanItem) -> dict[str, str]:
    """The verified artifact's digests when the lockfile accepts that artifact (or records none), else the
    lockfile's."""
    dep, result = item.dependency, item.result
    examined = result.locate.artifact.digests if result and result.locate.artifact else {}
    recorded = dep.recorded_digests
    if examined and (not recorded or recorded & set(examined.items())):
        return examined
    return dep.hashes


def _component(item: ScanItem, bom_ref: str) -> Component:
    dep = item.dependency
    purl = PackageURL.from_string(dep.purl)
    reference = _vcs_reference(item.result)
    return Component(
        type=ComponentType.LIBRARY,
        name=purl.name,
        group=purl.namespace,
        version=purl.version,
        purl=purl,
        bom_ref=bom_ref,
        hashes=[HashType(alg=_ALGORITHMS[a], content=v) for a, v in sorted(_hashes(item).items())
                if a in _ALGORITHMS],
        external_references=[reference] if reference else [],
        properties=_properties(item),
    )


def build_bom(items: Sequence[ScanItem], project: str = "scanned project") -> Bom:
    """The SBOM as a cyclonedx-python-lib object (for callers that add to it before writing)."""
    bom = Bom()
    bom.metadata.tools.components.add(
        Component(type=ComponentType.APPLICATION, name="ossprov", version=__version__)
    )
    root = Component(type=ComponentType.APPLICATION, name=project, bom_ref="ossprov:root")
    bom.metadata.component = root
    seen: Counter[str] = Counter()
    by_purl: dict[str, Component] = {}
    for item in items:
        seen[item.dependency.purl] += 1
        n = seen[item.dependency.purl]
        component = _component(item, item.dependency.purl if n == 1 else f"{item.dependency.purl}#{n}")
        by_purl.setdefault(item.dependency.purl, component)
        bom.components.add(component)
    direct = [by_purl[i.dependency.purl] for i in items if i.dependency.direct]
    bom.register_dependency(root, direct or list(by_purl.values()))
    for item in items:
        needs = [by_purl[p] for p in item.dependency.requires if p in by_purl]
        bom.register_dependency(by_purl[item.dependency.purl], needs)
    totals = Counter(item.category for item in items)
    bom.properties.update(Property(name=f"{PREFIX}summary:{c}", value=str(n)) for c, n in sorted(totals.items()))
    return bom


def render_cyclonedx(items: Sequence[ScanItem], project: str = "scanned project") -> str:
    """The scan as CycloneDX 1.6 JSON text."""
    return make_outputter(build_bom(items, project), OutputFormat.JSON, SCHEMA_VERSION).output_as_string(indent=2)
