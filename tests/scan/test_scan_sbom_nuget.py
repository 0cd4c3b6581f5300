"""NuGet packages.lock.json, CycloneDX (JSON and XML) and SPDX 2.x JSON inputs."""

from __future__ import annotations

import base64
import hashlib
import json
import textwrap

from ossprov.scan.discover import read_path


def test_nuget_lock(write, line):
    content = base64.b64encode(hashlib.sha512(b"newtonsoft").digest()).decode()
    text = json.dumps({
        "version": 1,
        "dependencies": {
            "net8.0": {
                "Newtonsoft.Json": {"type": "Direct", "requested": "[13.0.3, )", "resolved": "13.0.3",
                                    "contentHash": content},
                "System.Text.Json": {"type": "Transitive", "resolved": "8.0.0", "contentHash": content,
                                     "dependencies": {"Newtonsoft.Json": "13.0.3"}},
                "MyLib": {"type": "Project", "dependencies": {"Newtonsoft.Json": "[13.0.3, )"}},
            },
            "net6.0": {
                "Newtonsoft.Json": {"type": "Direct", "requested": "[13.0.3, )", "resolved": "13.0.3",
                                    "contentHash": content},
            },
        },
    }, indent=2)
    result = read_path(write("src/App/packages.lock.json", text))
    deps = {d.purl: d for d in result.dependencies}
    assert list(deps) == ["pkg:nuget/Newtonsoft.Json@13.0.3", "pkg:nuget/System.Text.Json@8.0.0"]
    nj = deps["pkg:nuget/Newtonsoft.Json@13.0.3"]
    assert nj.direct is True and nj.hashes == {"sha512": hashlib.sha512(b"newtonsoft").hexdigest()}
    assert text.splitlines()[nj.location.line - 1].strip() == '"Newtonsoft.Json": {'
    assert nj.location.line < line(text, '"net6.0": {')  # first occurrence kept after dedupe
    assert deps["pkg:nuget/System.Text.Json@8.0.0"].direct is False
    assert [s.entry for s in result.skipped] == ["MyLib"]


def cyclonedx_json(digest) -> dict:
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": {"component": {"type": "application", "name": "app", "bom-ref": "app"}},
        "components": [
            {"type": "library", "bom-ref": "pkg:npm/%40scope/a@1.0.0", "group": "@scope", "name": "a",
             "version": "1.0.0", "purl": "pkg:npm/%40scope/a@1.0.0",
             "hashes": [{"alg": "SHA-512", "content": digest(b"a")}, {"alg": "BLAKE3", "content": "ab"}],
             "components": [{"type": "library", "bom-ref": "inner", "name": "inner", "version": "2.0.0",
                             "purl": "pkg:pypi/Inner_Pkg@2.0.0?repository_url=http://127.0.0.1/simple"}]},
            {"type": "library", "bom-ref": "b", "name": "b", "version": "3.0.0", "purl": "pkg:maven/org.ex/b@3.0.0",
             "hashes": [{"alg": "SHA-256", "content": digest(b"b", "sha256").upper()}]},
            {"type": "file", "name": "README"},
        ],
        "dependencies": [{"ref": "app", "dependsOn": ["pkg:npm/%40scope/a@1.0.0"]},
                         {"ref": "pkg:npm/%40scope/a@1.0.0", "dependsOn": ["b"]}],
    }


def test_cyclonedx_json(write, digest):
    text = json.dumps(cyclonedx_json(digest), indent=2)
    result = read_path(write("sbom/app.cdx.json", text))
    deps = {d.purl: d for d in result.dependencies}
    assert list(deps) == ["pkg:npm/%40scope/a@1.0.0", "pkg:pypi/inner-pkg@2.0.0", "pkg:maven/org.ex/b@3.0.0"]
    a = deps["pkg:npm/%40scope/a@1.0.0"]
    assert a.name == "@scope/a" and a.direct is True and a.hashes == {"sha512": digest(b"a")}
    assert deps["pkg:maven/org.ex/b@3.0.0"].direct is False
    assert deps["pkg:maven/org.ex/b@3.0.0"].hashes == {"sha256": digest(b"b", "sha256")}
    lines = text.splitlines()
    for dep, purl in ((a, "pkg:npm/%40scope/a@1.0.0"), (deps["pkg:pypi/inner-pkg@2.0.0"], "pkg:pypi/Inner_Pkg@2.0.0")):
        assert lines[dep.location.line - 1].strip().startswith(f'"purl": "{purl}')
    assert [s.entry for s in result.skipped] == ["README"]


def test_cyclonedx_xml(write, digest, line):
    text = textwrap.dedent(f'''\
        <?xml version="1.0" encoding="UTF-8"?>
        <bom xmlns="http://cyclonedx.org/schema/bom/1.4" version="1">
          <metadata>
            <component type="application" bom-ref="app"><name>app</name></component>
          </metadata>
          <components>
            <component type="library" bom-ref="pkg:npm/%40scope/a@1.0.0">
              <group>@scope</group>
              <name>a</name>
              <version>1.0.0</version>
              <hashes><hash alg="SHA-512">{digest(b"a")}</hash></hashes>
              <purl>pkg:npm/%40scope/a@1.0.0</purl>
              <components>
                <component type="library" bom-ref="nested">
                  <name>left-pad</name>
                  <version>1.3.0</version>
                  <purl>pkg:npm/left-pad@1.3.0?a=1&amp;b=2</purl>
                </component>
              </components>
            </component>
          </components>
          <dependencies>
            <dependency ref="app"><dependency ref="pkg:npm/%40scope/a@1.0.0"/></dependency>
          </dependencies>
        </bom>
        ''')
    result = read_path(write("bom.xml", text))
    deps = {d.purl: d for d in result.dependencies}
    assert list(deps) == ["pkg:npm/%40scope/a@1.0.0", "pkg:npm/left-pad@1.3.0"]
    a = deps["pkg:npm/%40scope/a@1.0.0"]
    assert a.direct is True and a.hashes == {"sha512": digest(b"a")}
    assert a.location.line == line(text, '<component type="library" bom-ref="pkg:npm/%40scope/a@1.0.0">')
    assert deps["pkg:npm/left-pad@1.3.0"].location.line == line(text, '<component type="library" bom-ref="nested">')
    assert deps["pkg:npm/left-pad@1.3.0"].direct is False


def test_spdx_json(write, digest):
    text = json.dumps({
        "spdxVersion": "SPDX-2.3",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "app",
        "packages": [
            {"SPDXID": "SPDXRef-root", "name": "app"},
            {"SPDXID": "SPDXRef-a", "name": "@scope/a", "versionInfo": "1.0.0",
             "checksums": [{"algorithm": "SHA512", "checksumValue": digest(b"a")},
                           {"algorithm": "SHA1", "checksumValue": digest(b"a", "sha1")}],
             "externalRefs": [{"referenceCategory": "SECURITY", "referenceType": "cpe23Type",
                               "referenceLocator": "cpe:2.3:a:x:a:1.0.0:*:*:*:*:*:*:*"},
                              {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                               "referenceLocator": "pkg:npm/%40scope/a@1.0.0"}]},
            {"SPDXID": "SPDXRef-b", "name": "requests", "versionInfo": "2.31.0",
             "externalRefs": [{"referenceCategory": "PACKAGE_MANAGER", "referenceType": "purl",
                               "referenceLocator": "pkg:pypi/requests@2.31.0"}]},
        ],
    }, indent=2)
    result = read_path(write("app.spdx.json", text))
    deps = {d.purl: d for d in result.dependencies}
    assert list(deps) == ["pkg:npm/%40scope/a@1.0.0", "pkg:pypi/requests@2.31.0"]
    assert deps["pkg:npm/%40scope/a@1.0.0"].hashes == {"sha512": digest(b"a"), "sha1": digest(b"a", "sha1")}
    lines = text.splitlines()
    assert lines[deps["pkg:pypi/requests@2.31.0"].location.line - 1].strip() == \
        '"referenceLocator": "pkg:pypi/requests@2.31.0"'
    assert [s.entry for s in result.skipped] == ["app"]
    assert result.skipped[0].location.line == lines.index('      "SPDXID": "SPDXRef-root",') + 1
