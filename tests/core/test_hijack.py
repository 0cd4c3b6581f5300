"""The hijacked registry: every tampered copy comes out `mismatch` with a high finding naming the tampered file,
through plain `verify PURL`; every genuine package of a false-alarm class comes out without a high finding."""

from __future__ import annotations

import pytest

from ossprov import stages
from ossprov.fixtures import hijack
from ossprov.fixtures.world import World
from ossprov.model import FileStatus, Severity, Verdict


@pytest.mark.parametrize("attack", sorted(hijack.ATTACKS))
def test_tampered_copy_is_a_mismatch_naming_the_file(world: World, attack: str) -> None:
    case = hijack.ATTACKS[attack](world)
    result = stages.verify(case.purl)
    highs = [f for f in result.findings if f.severity is Severity.HIGH]
    assert result.verdict is Verdict.MISMATCH, (result.reason, result.findings)
    assert any(f.path == case.tampered for f in highs), highs


@pytest.mark.parametrize("genuine", sorted(hijack.GENUINE))
def test_genuine_package_has_no_high_finding(world: World, genuine: str) -> None:
    case = hijack.GENUINE[genuine](world)
    result = stages.verify(case.purl)
    assert result.verdict in (Verdict.FAITHFUL, Verdict.FAITHFUL_WITH_BUILD_OUTPUT), (result.reason, result.findings)
    assert not [f for f in result.findings if f.severity is Severity.HIGH]


def test_build_output_credited_to_the_package_sources_not_the_deno_copy(world: World) -> None:
    result = stages.verify(hijack.npm_files_anchored_with_deno_copy(world).purl)
    by_path = {r.path: r for r in result.file_results}
    assert by_path["dist/index.js"].source_path == "src/index.ts"
    assert not [r for r in result.file_results if r.status is FileStatus.MISSING]  # `./dist` is not `deno/dist`
    assert any(f.rule == "OSP202" and f.path == "dist/index.js" for f in result.findings)


def test_single_module_package_is_pinned_at_its_tag(world: World) -> None:
    """Every artifact file tampered: the repository is still validated (its manifest names the package at the
    tagged commit), so the comparison runs; a genuine one is pinned at the same tag."""
    tampered = stages.verify(hijack.pypi_single_module_tampered(world).purl)
    genuine = stages.verify(hijack.pypi_single_module_genuine(world).purl)
    assert tampered.locate.located and genuine.locate.located
    assert any(e.kind == "tag" and e.supports for e in tampered.locate.evidence)
    assert genuine.verdict is Verdict.FAITHFUL
