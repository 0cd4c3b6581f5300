"""npm manifest confusion: the install fields of the registry's version object against the tarball's."""

from __future__ import annotations

from ossprov.ecosystems.npm.manifest_confusion import findings

TARBALL = {"name": "tool", "version": "1.0.0", "bin": "./cli.js", "optionalDependencies": {"fsevents": "^2"},
           "dependencies": {"ms": "^2"}}


def test_what_npm_publish_normalises_is_no_difference() -> None:
    registry = {"name": "tool", "version": "1.0.0", "bin": {"tool": "cli.js"},
                "dependencies": {"ms": "^2", "fsevents": "^2"}, "optionalDependencies": {"fsevents": "^2"},
                "scripts": {"install": "node-gyp rebuild"}, "gypfile": True}
    assert findings(registry, TARBALL, "tool", has_gyp=True) == []


def test_registry_adding_a_dependency_or_script_is_high() -> None:
    registry = {**TARBALL, "dependencies": {"ms": "^2", "evil": "1"}, "scripts": {"postinstall": "node x"}}
    found = findings(registry, TARBALL, "tool", has_gyp=False)
    assert {f.rule for f in found} == {"OSP117"} and len(found) == 2
    assert any("evil" in f.message for f in found) and any("postinstall" in f.message for f in found)


def test_bin_directory_and_scripts_an_install_does_not_run() -> None:
    tarball = {"name": "cli", "directories": {"bin": "./bin"}, "scripts": {"test": "tap"}}
    registry = {"name": "cli", "directories": {"bin": "./bin"}, "bin": {"cli": "bin/cli"},
                "scripts": {"test": "tap", "start": "node server.js"}}
    assert findings(registry, tarball, "cli", has_gyp=False, files=["bin/cli", "server.js"]) == []
