"""NuGet assembly evidence: the commit in AssemblyInformationalVersion of a real assembly (data/Demo.dll, made by
data/make_assembly.sh with Mono's C# compiler), pinned when the nuspec names none, and OSP116 when it disagrees
with the pinned commit."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from ossprov import stages
from ossprov.ecosystems.nuget.assembly import assembly_commits, informational_version
from ossprov.ecosystems.nuget.ecosystem import NuGet
from ossprov.fixtures.nuget import nuspec, publish_nuget
from ossprov.fixtures.world import World
from ossprov.model import FileStatus, PackageFile, PackageTree, Severity

DATA = Path(__file__).parent / "data"
DLL = (DATA / "Demo.dll").read_bytes()
DLL_VERSION = "1.2.3+75b9b773c724358e22e220fff936ceba60664f84"
"""What make_assembly.sh stamped; the sha is the first commit `demo_repo` makes (deterministic: fixed author,
dates, message and content)."""
DLL_COMMIT = DLL_VERSION.split("+")[1]
REPO_FILES = {"src/Demo/Demo.cs": (DATA / "Demo.cs").read_text(),
              "src/Demo/Demo.csproj": "<Project><PropertyGroup><PackageId>Demo</PackageId>"
                                      "<Version>1.2.3</Version></PropertyGroup></Project>\n"}


def demo_repo(world: World, name: str) -> tuple[str, str]:
    """(release commit, a later commit) of a repository holding Demo.cs."""
    repo = world.repo(f"acme/{name}")
    release = repo.commit("release 1.2.3", REPO_FILES)
    later = repo.commit("later", {"NEWS.md": "next\n"})
    return release, later


def tree(files: dict[str, bytes]) -> PackageTree:
    return PackageTree({p: PackageFile(p, d) for p, d in files.items()})


def test_informational_version_is_read_from_the_real_assembly() -> None:
    assert informational_version(DLL) == DLL_VERSION
    found = assembly_commits(tree({"lib/net45/Demo.dll": DLL, "lib/net45/Demo.xml": b"<doc/>"}))
    assert [(a.path, a.commit) for a in found] == [("lib/net45/Demo.dll", DLL_COMMIT)]


def test_fixture_commit_is_reproducible(world: World) -> None:
    release, _ = demo_repo(world, "demo")
    assert release == DLL_COMMIT, f"fixture repository changed: run tests/ecosystems/data/make_assembly.sh {release}"


@pytest.mark.parametrize("data", [b"MZ\x90\x00fake assembly", DLL[:700], b"", b"\x00" * 4096, b"MZ" + b"\xff" * 300])
def test_hostile_or_truncated_assemblies_name_no_commit(data: bytes) -> None:
    assert informational_version(data) is None
    assert assembly_commits(tree({"lib/net8.0/X.dll": data})) == []


@pytest.mark.slow
def test_corrupted_assemblies_never_raise() -> None:
    rng = random.Random(7)
    for _ in range(200):
        blob = bytearray(DLL)
        for _ in range(16):
            blob[rng.randrange(len(blob))] = rng.randrange(256)
        version = informational_version(bytes(blob))
        assert version is None or isinstance(version, str)


def test_assembly_commit_becomes_a_hint() -> None:
    spec = nuspec("Demo", "1.2.3", repository="https://github.com/acme/demo")
    hints = NuGet().artifact_hints(tree({"Demo.nuspec": spec.encode(), "lib/net45/Demo.dll": DLL}))
    assembly = [h for h in hints if h.origin == "assembly-informational-version"]
    assert [h.commit for h in assembly] == [DLL_COMMIT]


def test_assembly_commit_pins_when_the_nuspec_names_none(world: World) -> None:
    release, later = demo_repo(world, "demo")
    assert release == DLL_COMMIT != later
    spec = nuspec("Demo", "1.2.3", repository="https://github.com/acme/demo")
    result = stages.verify(publish_nuget(world, "Demo", "1.2.3", spec, {"lib/net45/Demo.dll": DLL}))
    assert result.locate.commit == DLL_COMMIT
    assert {r.path: r.status for r in result.file_results}["lib/net45/Demo.dll"] is FileStatus.GENERATED
    assert not [f for f in result.findings if f.rule == "OSP116"], result.findings


def test_assembly_commit_disagreeing_with_the_nuspec_commit_is_high(world: World) -> None:
    _, later = demo_repo(world, "moved")
    spec = nuspec("Demo", "1.2.3", repository="https://github.com/acme/moved", commit=later)
    result = stages.verify(publish_nuget(world, "Demo", "1.2.3", spec, {"lib/net45/Demo.dll": DLL}))
    assert result.locate.commit == later
    mismatch = [f for f in result.findings if f.rule == "OSP116"]
    assert [(f.severity, f.path) for f in mismatch] == [(Severity.HIGH, "lib/net45/Demo.dll")]
    assert DLL_COMMIT[:12] in mismatch[0].message and later[:12] in mismatch[0].message
