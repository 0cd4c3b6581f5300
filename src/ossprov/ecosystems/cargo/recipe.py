"""The rebuild recipe of a crate: `cargo package` of the crate's directory at the pinned commit, as the
published `.crate` was made, against the registry ossprov is configured with.

Packaging does not compile (`--no-verify`): the crate is source, and what cargo writes besides (the
normalised Cargo.toml, `.cargo_vcs_info.json`, Cargo.lock) is compared after stabilising (`stabilizers`).
A crate with dependencies is packaged in the install phase, the only one with network: writing its Cargo.lock
resolves them against the registry (through the timewarp proxy, as of the release), and since no code of the
crate or of its dependencies runs, the network reaches cargo alone. The plug-in's `recipe` (the Builder
concern) is `infer`.
"""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

from ossprov.ecosystems.cargo import manifest, registry
from ossprov.errors import InputError
from ossprov.http import without_credentials
from ossprov.model import PackageTree, Release
from ossprov.verify.recipe import Recipe, Step, Unbuildable, tool_version

ENV = {"CARGO_HOME": "{home}/cargo", "CARGO_TARGET_DIR": "{home}/target", "CARGO_TERM_COLOR": "never",
       "CARGO_NET_GIT_FETCH_WITH_CLI": "false"}


def toolchain_dirs() -> list[Path]:
    """The Rust toolchain cargo runs from (`rustc --print sysroot`) when it is outside the system directories:
    rustup's proxies in ~/.cargo/bin find it through ~/.rustup, which the build's home does not have, so the
    build runs the toolchain's own binaries (and sees neither ~/.cargo's credentials nor its caches)."""
    try:
        out = subprocess.run(["rustc", "--print", "sysroot"], capture_output=True, text=True, timeout=60,
                             check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    root = Path(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip() else None
    if root is None or not (root / "bin" / "cargo").is_file() or root.parts[1:2] in (("usr",), ("bin",)):
        return []
    return [root]


REGISTRY = "ossprov-registry"
"""The registry the build's crates-io is replaced with: the one ossprov reads, or the timewarp proxy in front
of it (`install_env`: cargo takes a registry's index from the environment)."""


def _registry_config() -> str:
    """Cargo config that makes the build's crates-io the registry ossprov reads (credentials removed)."""
    try:
        index = without_credentials(registry.index_url())
    except InputError as exc:
        raise Unbuildable(str(exc)) from None
    return (f'[source.crates-io]\nreplace-with = "{REGISTRY}"\n\n[registries.{REGISTRY}]\nindex = "sparse+{index}"\n')


def install_env(proxy: str | None) -> dict[str, str]:
    """The index the install phase reads: the timewarp proxy's when one runs, else the config file's."""
    return {f"CARGO_REGISTRIES_{REGISTRY.upper().replace('-', '_')}_INDEX": f"sparse+{proxy}/cargo/"} if proxy else {}


def infer(source: Path, subdir: str, release: Release, published: PackageTree | None) -> Recipe:
    """The recipe, or Unbuildable when the directory holds no package manifest."""
    sub = source / subdir
    try:
        doc = tomllib.loads((sub / "Cargo.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        raise Unbuildable(f"no readable Cargo.toml at {subdir or 'the repository root'}") from None
    if not manifest.package(doc):
        raise Unbuildable(f"the Cargo.toml at {subdir or 'the repository root'} declares no [package]")
    packaged = published.files.get(".cargo_vcs_info.json") if published else None
    vcs = manifest.vcs_info(packaged.data) if packaged else None
    steps = []
    notes = []
    has_deps = bool(manifest.dependency_names(doc))
    locked = any((source / d / "Cargo.lock").is_file() for d in (Path(subdir), *Path(subdir).parents))
    locking = ("--locked",) if locked else ()
    if has_deps and not locked:
        notes.append("the repository has no Cargo.lock: dependencies resolved afresh by cargo package")
    # The crate's Cargo.lock resolves its path dependencies as the registry serves them (a workspace's other
    # members, the crate itself through a dev-dependency cycle): vendoring the work tree's dependencies
    # first would miss those, so cargo package asks the registry itself.
    steps += [Step("install" if has_deps else "build", ("cargo", "package", "--no-verify", *locking,
                                                        *(() if has_deps else ("--offline",))),
                   subdir, network=has_deps),
              Step("build", ("cp", f"{{home}}/target/package/{release.name}-{release.version}.crate", "{out}/"),
                   subdir)]
    toolchain = {"rust-version": str(v)} if (v := manifest.package(doc).get("rust-version")) else {}
    host = {"cargo": v} if (v := tool_version(("cargo", "--version"))) else {}
    notes.append("the crate does not record the cargo that packaged it: the normalised Cargo.toml is as "
                 f"{host.get('cargo', 'this cargo')} writes it")
    if published is not None and "Cargo.lock" not in published.files:
        notes.append("the published crate has no Cargo.lock (cargo before 1.84 left it out of libraries); "
                     "today's cargo writes one")
    if vcs is not None and vcs.path_in_vcs != subdir:
        notes.append(f"packaged from {vcs.path_in_vcs!r}, rebuilt from {subdir!r}")
    return Recipe("cargo", "crate", subdir, tuple(steps), "*.crate", dict(ENV), toolchain, host, tuple(notes),
                  files={"cargo/config.toml": _registry_config()})
