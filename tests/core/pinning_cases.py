"""Pinning fixtures: each builds real repositories and a published package in the loopback world and says which
commit (and subdirectory) is the truth. The per-case tests and the calibration test share them."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from ossprov import stages
from ossprov.ecosystems import get as get_ecosystem
from ossprov.fixtures.world import World
from ossprov.model import LocateResult, RepoCandidate
from ossprov.source import locate as loc


@dataclass
class Case:
    """A located package and the truth about it."""

    result: LocateResult | loc.Located
    commit: str | None
    """The release commit; None when no commit can be known (the answer must then not be confident)."""
    subdir: str | None = None

    @property
    def located(self) -> LocateResult:
        """The stage runner's answer (cases run through `stages.locate`)."""
        assert isinstance(self.result, LocateResult)
        return self.result

    @property
    def pinned(self) -> str | None:
        if isinstance(self.result, LocateResult):
            return self.result.commit
        return self.result.pin.commit if self.result.pin else None

    @property
    def confidence(self) -> float:
        if isinstance(self.result, LocateResult):
            return self.result.confidence
        return self.result.pin.confidence if self.result.pin else 0.0

    @property
    def evidence(self) -> list:
        if isinstance(self.result, LocateResult):
            return list(self.result.evidence)
        return list(self.result.pin.evidence) if self.result.pin else []


def crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def rename_on_forge(world: World, old: str, new: str) -> None:
    """The forge redirects a renamed repository's old name to the new one (as GitHub does)."""
    with (world.root / "gitconfig").open("a") as f:
        f.write(f'[url "file://{world.root / "forge" / new}"]\n\tinsteadOf = https://github.com/{old}\n')


def windows_packed(world: World, tarball, text_files: list[str]):
    """The tarball as `npm pack` on Windows with autocrlf makes it: text files with CRLF."""
    import tarfile
    with tarfile.open(tarball) as tar:
        changes: dict[str, bytes | None] = {}
        for name in text_files:
            member = tar.extractfile("package/" + name)
            assert member is not None
            changes[name] = crlf(member.read())
    return World.tamper_npm(tarball, changes, tarball.with_name("win-" + tarball.name))


def validate_direct(world: World, url: str, name: str, version: str, files: dict[str, bytes], *,
                    others: dict[str, dict[str, bytes]] | None = None, released_at: str | None = None,
                    version_times: dict[str, str] | None = None, eco: str = "npm", subdir: str = "",
                    artifact_name: str = "artifact", direct_commit: str | None = None) -> loc.Located:
    """`loc.validate` with the keyword arguments the pipeline does not pass yet (other artifacts, every version's
    registry time)."""
    candidate = RepoCandidate(url, subdir, 1.0)
    return loc.validate(candidate, get_ecosystem(eco), name=name, version=version, files=files,
                        direct_commit=direct_commit, direct_kind="gitHead", released_at=released_at, others=others,
                        version_times=version_times, artifact_name=artifact_name)


# --- issue 15.1: a second tag for another build flavour -------------------------------------------------
def flavour_tag(world: World) -> Case:
    repo, pkg = world.npm_project("acme/flavoured", "flav", "1.2.0", {"lib.js": "exports.x = 1;\n"})
    release = repo.commit("release 1.2.0")
    repo.tag("flav-v1.2.0")
    tarball = world.npm_pack(pkg)
    repo.commit("deno build", {"deno/mod.ts": "export const x = 1;\n"})
    repo.tag("flav-v1.2.0-deno")
    return Case(stages.locate(world.publish_npm(tarball)), release)


def flavour_tag_only(world: World) -> Case:
    """Only the Deno build is tagged: the npm release is the commit that set the version."""
    repo, pkg = world.npm_project("acme/denoonly", "denoonly", "2.0.0", {"lib.js": "exports.y = 1;\n"})
    release = repo.commit("2.0.0")
    tarball = world.npm_pack(pkg)
    repo.commit("deno build", {"deno/mod.ts": "export const y = 1;\n"})
    repo.tag("v2.0.0-deno")
    return Case(stages.locate(world.publish_npm(tarball)), release)


# --- issue 15.2: content that many commits share ----------------------------------------------------------
def shared_content(world: World, *, tagged: bool = True, commits: int = 55) -> Case:
    repo, pkg = world.npm_project("acme/shared" + ("" if tagged else "-untagged"), "shared", "0.9.0",
                                  {"lib.js": "exports.v = 0;\n"}, extra={"files": ["index.js", "lib.js"]})
    repo.commit("0.9.0")
    manifest = json.loads((pkg / "package.json").read_text())
    manifest["version"] = "1.0.0"
    release = repo.commit("1.0.0", {"package.json": json.dumps(manifest, indent=2) + "\n",
                                    "lib.js": "exports.v = 1;\n"})
    if tagged:
        repo.tag("v1.0.0")
    tarball = world.npm_pack(pkg)
    for i in range(commits):
        repo.commit(f"docs {i}", {"docs/notes.md": f"note {i}\n"}, push=False)
    repo.push()
    return Case(stages.locate(world.publish_npm(tarball)), release)


def nothing_decides(world: World) -> Case:
    """The version was set long before; the release's content is unchanged over many commits; no tag."""
    repo, pkg = world.npm_project("acme/undecided", "undecided", "1.0.0", {"lib.js": "exports.v = 1;\n"},
                                  extra={"files": ["index.js", "lib.js"]})
    repo.commit("1.0.0")
    repo.commit("fix", {"lib.js": "exports.v = 2;\n"})
    tarball = world.npm_pack(pkg)
    for i in range(6):
        repo.commit(f"docs {i}", {"docs/notes.md": f"note {i}\n"}, push=False)
    repo.push()
    return Case(stages.locate(world.publish_npm(tarball)), None)


# --- issue 15.3: an old release with stale files in the wheel --------------------------------------------
def stale_wheel(world: World, *, wheel_first: bool = False) -> Case:
    repo = world.repo("acme/stale" + ("-wheel" if wheel_first else ""))
    setup = "from setuptools import setup\nsetup(name='stale', version='1.0')\n"
    repo.commit("old layout", {"setup.py": setup.replace("1.0", "0.1"), "stale/__init__.py": "A = 1\n",
                               "stale/core.py": "def core():\n    return 0\n", "stale/old.py": "OLD = True\n",
                               "stale/gone.py": "GONE = True\n"})
    repo.remove("stale/old.py", "stale/gone.py")
    repo.commit("drop old modules")
    files: dict[str, str | bytes] = {"setup.py": setup, "stale/__init__.py": "A = 1\n", "stale/core.py": "def core():\n    return 1\n"}
    release = repo.commit("1.0", files)
    repo.commit("after", {"stale/core.py": "def core():\n    return 2\n"})
    wheel: dict[str, str | bytes] = {"stale/__init__.py": "A = 1\n", "stale/core.py": "def core():\n    return 1\n",
             "stale/old.py": "OLD = True\n", "stale/gone.py": "GONE = True\n"}
    meta = {"Project-URL": [f"Source, {repo.url}"]}
    purl = world.publish_pypi("stale" + ("-wheel" if wheel_first else ""), "1.0", files, metadata=meta,
                              wheel_files=wheel)
    if not wheel_first:
        return Case(stages.locate(purl), release)
    enc = {k: v.encode() if isinstance(v, str) else v for k, v in wheel.items()}
    sdist = {k: v.encode() if isinstance(v, str) else v for k, v in files.items()}
    located = validate_direct(world, repo.url, "stale", "1.0", enc, others={"stale-1.0.tar.gz": sdist},
                              released_at="2024-01-01T03:30:00+00:00", eco="pypi", artifact_name="stale-1.0-py3-none-any.whl")
    return Case(located, release)


# --- wheels uploaded later, built from a later commit (markupsafe 2.1.3's cp312 wheels) --------------------
def later_wheels(world: World, *, tagged: bool = True) -> Case:
    repo = world.repo("acme/laterwheels" + ("" if tagged else "-untagged"))
    init = "__version__ = '1.0'\n\n\ndef escape(s):\n    return s\n"
    files = {"pyproject.toml": "[project]\nname = 'lw'\nversion = '1.0'\n", "src/lw/__init__.py": init,
             "src/lw/util.py": "X = 1\n"}
    release = repo.commit("release 1.0", files)
    if tagged:
        repo.tag("v1.0")
    later = {**files, "src/lw/__init__.py": init.replace("return s", "return str(s)")}
    repo.commit("wheels for Python 3.12", later)
    wheel = {k.removeprefix("src/"): v.encode() for k, v in later.items() if k.startswith("src/")}
    located = validate_direct(world, repo.url, "lw", "1.0", {k: v.encode() for k, v in files.items()},
                              others={f"lw-1.0-cp312-cp312-{p}.whl": wheel for p in ("win32", "linux_x86_64")},
                              eco="pypi", artifact_name="lw-1.0.tar.gz")
    return Case(located, release)


# --- issue 15.4 and 14.7: renamed repository named in homepage, packed on Windows --------------------------
def renamed_windows(world: World) -> Case:
    repo, pkg = world.npm_project("acme/newname", "winpkg", "1.0.0", {"LICENSE": "MIT License\r\nCopyright\r\n",
                                                                       "lib.js": "exports.a = 0;\n"},
                                  repository=None, extra={"homepage": "https://github.com/acme/oldname#readme"})
    repo.commit("ancient, with CRLF files", {"README.md": "# winpkg\r\n"})
    repo.commit("normalise line endings", {"LICENSE": "MIT License\nCopyright\n", "README.md": "# winpkg\n"})
    for i in range(3):
        repo.commit(f"work {i}", {"lib.js": f"exports.a = {i + 1};\n"})
    release = repo.commit("1.0.0")
    repo.tag("v1.0.0")
    tarball = windows_packed(world, world.npm_pack(pkg), ["index.js", "lib.js", "README.md", "LICENSE",
                                                          "package.json"])
    rename_on_forge(world, "acme/oldname", "acme/newname")
    return Case(stages.locate(world.publish_npm(tarball)), release)


def windows_untagged(world: World) -> Case:
    """Windows-packed, no tag: the normalised content alone singles out the commit, at a stated lower confidence."""
    repo, pkg = world.npm_project("acme/wintag", "wintag", "1.0.0", {"lib.js": "exports.a = 0;\n"})
    repo.commit("first")
    release = repo.commit("work", {"lib.js": "exports.a = 1;\n"})
    tarball = windows_packed(world, world.npm_pack(pkg), ["index.js", "lib.js", "README.md"])
    repo.commit("more", {"lib.js": "exports.a = 2;\n"})
    return Case(stages.locate(world.publish_npm(tarball)), release)


def windows_jar(world: World) -> Case:
    """Issue 14.7: a sources jar built on Windows (every source CRLF); two files committed with CRLF ten years
    before match that old commit byte for byte, which must not outrank the tag and the version commit."""
    from ossprov.fixtures.maven import pom_xml, publish_maven
    repo = world.repo("acme/winjar")
    pom = pom_xml("org.acme", "winjar", "1.0.0", scm=repo.url)
    java = {f"src/main/java/org/acme/C{i}.java": f"package org.acme;\n\npublic class C{i} {{ }}\n" for i in range(6)}
    old = {"src/main/java/org/acme/C0.java": crlf(java["src/main/java/org/acme/C0.java"].encode()),
           "src/main/java/org/acme/C1.java": crlf(java["src/main/java/org/acme/C1.java"].encode()),
           "src/main/java/org/acme/C2.java": b"package org.acme;\r\n\r\nclass C2 {}\r\n"}
    repo.commit("ten years ago", {"pom.xml": pom.replace("1.0.0", "0.1"), **old})
    for i in range(3):
        repo.commit(f"work {i}", {f"src/main/java/org/acme/C{i + 3}.java": f"// draft {i}\n"})
    release = repo.commit("1.0.0", {"pom.xml": pom, **java})
    repo.tag("winjar-1.0.0")
    repo.commit("next", {"src/main/java/org/acme/C5.java": "package org.acme;\n\nclass C5 { int x; }\n"})
    sources: dict[str, str | bytes] = {path.removeprefix("src/main/java/"): crlf(body.encode()) for path, body in java.items()}
    purl = publish_maven(world, "org.acme", "winjar", "1.0.0", pom, sources=sources, jar={})
    return Case(stages.locate(purl), release, "")


# --- issue 15.5: no repository field at all --------------------------------------------------------------
def readme_blob_link(world: World) -> Case:
    """A README image inside a monorepo whose name is not the package's."""
    repo = world.repo("acme/toolbox")
    repo.write({"projects/other/package.json": '{"name": "other", "version": "3.0.0"}\n'})
    _, pkg = _npm_in(world, repo, "projects/widget", "widget-js", "1.0.0",
                     readme="# widget\n![logo](https://github.com/acme/toolbox/blob/main/projects/widget/docs/logo.png)\n")
    release = repo.commit("widget 1.0.0")
    return Case(stages.locate(world.publish_npm(world.npm_pack(pkg))), release, "projects/widget")


def ci_badge(world: World) -> Case:
    repo = world.repo("acme/badged")
    _, pkg = _npm_in(world, repo, "", "badged", "1.0.0",
                     readme="# badged\n[![Build](https://travis-ci.org/acme/badged.svg?branch=main)]"
                            "(https://travis-ci.org/acme/badged)\n")
    release = repo.commit("release")
    return Case(stages.locate(world.publish_npm(world.npm_pack(pkg))), release, "")


def maintainer_account(world: World) -> Case:
    """Nothing but the maintainer's account (the loopback registry's maintainer is `fixture-dev`); a badge points
    at a repository holding something else, which must cost a clone and never be the answer."""
    decoy = world.repo("acme/decoy")
    decoy.commit("decoy", {"LICENSE": "MIT\n", "index.js": "module.exports = 'decoy';\n"})
    repo = world.repo("fixture-dev/lonely")
    _, pkg = _npm_in(world, repo, "", "lonely", "1.0.0", readme="# lonely\n"
                     "![cov](https://coveralls.io/repos/github/acme/decoy/badge.svg)\n", extra_files={"LICENSE": "MIT\n"})
    release = repo.commit("release")
    return Case(stages.locate(world.publish_npm(world.npm_pack(pkg))), release, "")


def docs_clone_command(world: World) -> Case:
    """An old sdist naming its repository only in its installation page (`git clone git://...`), the owner since
    renamed on the forge."""
    repo = world.repo("pallets-like/templ")
    files: dict[str, str | bytes] = {
        "setup.py": "from setuptools import setup\nsetup(name='templ', version='2.7')\n",
        "templ/__init__.py": "__version__ = '2.7'\n", "templ/core.py": "def render():\n    return ''\n",
        "docs/intro.rst": "Installation\n============\n\n``git clone git://github.com/olduser/templ.git``\n"}
    release = repo.commit("2.7", files)
    rename_on_forge(world, "olduser/templ", "pallets-like/templ")
    purl = world.publish_pypi("templ", "2.7", files, metadata={"Home-page": ["http://templ.example.org/"]})
    return Case(stages.locate(purl), release, "")


def _npm_in(world: World, repo, subdir: str, name: str, version: str, *, readme: str,
            extra_files: dict[str, str] | None = None):
    manifest = {"name": name, "version": version, "main": "index.js"}
    prefix = f"{subdir}/" if subdir else ""
    repo.write({prefix + "package.json": json.dumps(manifest, indent=2) + "\n",
                prefix + "index.js": f"module.exports = '{name}';\n", prefix + "README.md": readme,
                **{prefix + k: v for k, v in (extra_files or {}).items()}})
    return repo, repo.path / subdir if subdir else repo.path


# --- issue 15.6: two layouts holding the same package ----------------------------------------------------
def two_layouts(world: World) -> Case:
    repo = world.repo("acme/layouts")
    _, pkg = _npm_in(world, repo, "trunk/twin", "twin", "1.0.0", readme="# twin\n")
    _npm_in(world, repo, "twin", "twin", "1.0.0", readme="# twin\n")
    release = repo.commit("both layouts")
    purl = world.publish_npm(world.npm_pack(pkg), meta={"repository": {"type": "git", "url": repo.url}})
    return Case(stages.locate(purl), release)


# --- upload times -----------------------------------------------------------------------------------------
def reverted_after_upload(world: World) -> Case:
    """The release's content comes back in a revert made after the upload: only the commit before it can be the
    source (no tag, the version set long before)."""
    repo, pkg = world.npm_project("acme/reverted", "reverted", "1.0.0", {"lib.js": "exports.v = 0;\n"})
    repo.commit("1.0.0")
    release = repo.commit("fix", {"lib.js": "exports.v = 1;\n"})
    tarball = world.npm_pack(pkg)
    repo.commit("experiment", {"lib.js": "exports.v = 2;\n"})
    repo.commit("revert experiment", {"lib.js": "exports.v = 1;\n"})
    repo.commit("later", {"lib.js": "exports.v = 3;\n"})
    return Case(stages.locate(world.publish_npm(tarball, published="2024-01-01T01:30:00+00:00")), release)


def copy_dates(world: World) -> Case:
    """Registry times out of version order (a mirror's copy dates): not used, and said so."""
    repo, pkg = world.npm_project("acme/copied", "copied", "1.0.0", {"lib.js": "exports.v = 0;\n"})
    repo.commit("1.0.0")
    release = repo.commit("fix", {"lib.js": "exports.v = 1;\n"})
    repo.tag("v1.0.0")
    files = {p.name: p.read_bytes() for p in pkg.iterdir() if p.is_file()}
    times = {"0.1.0": "2026-03-01T00:00:00Z", "0.2.0": "2024-05-01T00:00:00Z", "0.3.0": "2025-07-01T00:00:00Z",
             "0.4.0": "2024-02-01T00:00:00Z", "1.0.0": "2023-01-01T00:00:00Z"}
    located = validate_direct(world, repo.url, "copied", "1.0.0", files, released_at=times["1.0.0"],
                              version_times=times)
    return Case(located, release)


CASES: dict[str, Callable[[World], Case]] = {
    "flavour_tag": flavour_tag,
    "flavour_tag_only": flavour_tag_only,
    "shared_content": shared_content,
    "shared_content_untagged": lambda w: shared_content(w, tagged=False),
    "nothing_decides": nothing_decides,
    "stale_wheel": stale_wheel,
    "stale_wheel_first": lambda w: stale_wheel(w, wheel_first=True),
    "later_wheels": later_wheels,
    "later_wheels_untagged": lambda w: later_wheels(w, tagged=False),
    "renamed_windows": renamed_windows,
    "windows_untagged": windows_untagged,
    "windows_jar": windows_jar,
    "readme_blob_link": readme_blob_link,
    "ci_badge": ci_badge,
    "maintainer_account": maintainer_account,
    "docs_clone_command": docs_clone_command,
    "two_layouts": two_layouts,
    "reverted_after_upload": reverted_after_upload,
    "copy_dates": copy_dates,
}
