"""Distribution-channel threats against the loopback registry: squats in verify, forward lookup, yanked and
deprecated versions."""

from __future__ import annotations

from ossprov import stages
from ossprov.fixtures.world import World
from ossprov.model import Severity
from ossprov.threats.variants import forward_lookup
from tests.conftest import npm_project


def test_verify_flags_a_young_typosquat_claiming_the_popular_repository(world: World) -> None:
    repo, pkg = npm_project(world, "acme/crossenv", "crossenv", "1.0.0",
                            repository={"type": "git", "url": "https://github.com/kentcdodds/cross-env"})
    repo.commit("release")
    result = stages.verify(world.publish_npm(world.npm_pack(pkg), published="2026-11-20T00:00:00Z"))
    squats = [f for f in result.findings if f.rule.startswith("OSP50")]
    assert squats and any(f.severity is Severity.HIGH for f in squats)
    assert any("cross-env" in f.message for f in squats)


def test_legitimate_popular_name_has_no_squat_finding(world: World) -> None:
    repo, pkg = npm_project(world, "acme/preact", "preact", "10.0.0")
    repo.commit("release")
    result = stages.verify(world.publish_npm(world.npm_pack(pkg)))
    assert not [f for f in result.findings if f.rule.startswith("OSP50")]


def test_forward_lookup_lists_only_variants_that_exist(world: World) -> None:
    for name in ("lodash", "lodahs", "1odash"):
        repo, pkg = npm_project(world, f"acme/{name}", name, "1.0.0")
        repo.commit("release")
        world.publish_npm(world.npm_pack(pkg))
    report = forward_lookup("npm", "lodash", max_queries=60)
    found = {v.name for v in report.found}
    assert "lodahs" in found and "lodash" not in found
    assert all(v.first_release for v in report.found)
    assert report.queried <= 60


def test_deprecated_npm_version_and_yanked_pypi_release(world: World) -> None:
    repo, pkg = npm_project(world, "acme/old", "old", "1.0.0")
    repo.commit("release")
    result = stages.verify(world.publish_npm(world.npm_pack(pkg), deprecated="use new instead"))
    assert any(f.rule == "OSP511" and "use new instead" in f.message for f in result.findings)
    snake = world.repo("acme/yanky")
    files = {"pyproject.toml": '[project]\nname = "yanky"\nversion = "1.0"\n', "yanky.py": "A = 1\n"}
    snake.commit("release", files)
    purl = world.publish_pypi("yanky", "1.0", files, metadata={"Home-page": ["https://github.com/acme/yanky"]},
                              yanked="broken build")
    result = stages.verify(purl)
    assert any(f.rule == "OSP512" and "broken build" in f.message for f in result.findings)


def test_star_jacking_claims_another_packages_repository(world: World) -> None:
    famous, _ = npm_project(world, "someone/famous-lib", "famous-lib", "5.0.0")
    famous.commit("famous code")
    repo, pkg = npm_project(world, "acme/jacker", "jacker", "1.0.0",
                            repository={"type": "git", "url": "https://github.com/someone/famous-lib"})
    repo.commit("jacker code")
    result = stages.verify(world.publish_npm(world.npm_pack(pkg)))
    assert result.locate.repository_claim == "unverified-other-package"
    claim = [f for f in result.findings if f.rule == "OSP150"]
    assert claim and claim[0].severity is Severity.HIGH and "famous-lib" in claim[0].message
    assert result.verdict.value in ("mismatch", "unverifiable")


def test_renamed_package_whose_files_match_is_fine(world: World) -> None:
    repo, pkg = npm_project(world, "acme/oldname", "newname", "2.0.0")
    repo.commit("release under the new name")
    manifest = (pkg / "package.json").read_text().replace('"newname"', '"oldname"')
    repo.commit("rename back in the repository", {"package.json": manifest})
    result = stages.verify(world.publish_npm(world.npm_pack_at(repo, "HEAD~1")))
    assert result.locate.repository_claim == "verified"
    assert not [f for f in result.findings if f.rule == "OSP150"]
