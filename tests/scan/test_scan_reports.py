"""Scan reports: CycloneDX SBOM (validated against the schema) and the self-contained HTML page."""

from __future__ import annotations

import html
import json
import re

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from ossprov.model import (
    ArtifactInfo,
    Evidence,
    FileResult,
    FileStatus,
    Finding,
    LocateResult,
    Repository,
    Severity,
    Verdict,
    VerifyResult,
)
from ossprov.report.cyclonedx import render_cyclonedx
from ossprov.report.html import render_html
from ossprov.scan.items import ScanItem
from ossprov.scan.parsers.base import Dependency, Location, Skipped

SHA = "0123456789abcdef0123456789abcdef01234567"
HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned=2">'


def dep(purl: str, name: str, line: int = 3, **hashes: str) -> Dependency:
    ecosystem = purl.split(":", 1)[1].split("/", 1)[0]
    return Dependency(purl=purl, name=name, version=purl.rsplit("@", 1)[1], ecosystem=ecosystem, hashes=hashes,
                      location=Location("package-lock.json", line), direct=True, resolved_url=None)


def result(purl: str, verdict: Verdict, **kw) -> VerifyResult:
    locate = LocateResult(
        purl=purl, repository=Repository("https://example.test/o/r", "packages/a"), commit=SHA, confidence=0.93,
        evidence=(Evidence("gitHead", "the registry names the commit"),
                  Evidence("tag", HOSTILE, supports=False)),
        artifact=ArtifactInfo("a-1.0.0.tgz", "ab" * 32, "local:/tmp/a.tgz", True),
    )
    return VerifyResult(locate=locate, verdict=verdict, **kw)


def scan_items() -> list[ScanItem]:
    mismatch = result(
        "pkg:npm/%40scope/evil@2.0.0", Verdict.MISMATCH,
        file_results=(
            FileResult("index.js", FileStatus.MODIFIED, "src/index.js", "content differs",
                       diff="--- src/index.js\n+++ index.js\n@@ -1 +1,2 @@\n-ok()\n+ok()\n+fetch('</pre><script>x()</script>')\n"),
            FileResult("lib/a.js", FileStatus.IDENTICAL, "lib/a.js"),
            FileResult("install.sh", FileStatus.UNEXPLAINED, None, "not in the source"),
        ),
        findings=(Finding(Severity.HIGH, "OSP101", "index.js", "file differs from the source"),
                  Finding(Severity.LOW, "OSP300", None, HOSTILE)),
        reason="2 files are not the source",
    )
    return [
        ScanItem(dep("pkg:npm/left-pad@1.3.0", "left-pad", 5, sha512="cd" * 64),
                 result("pkg:npm/left-pad@1.3.0", Verdict.FAITHFUL, file_results=(
                     FileResult("index.js", FileStatus.IDENTICAL, "index.js"),))),
        ScanItem(dep("pkg:npm/%40scope/evil@2.0.0", "@scope/evil", 9, sha1="ef" * 20), mismatch,
                 extra_findings=(Finding(Severity.MEDIUM, "OSP500", None, "looks like a typosquat of @scope/good"),)),
        ScanItem(dep("pkg:pypi/attrs@25.1.0", "attrs"), result("pkg:pypi/attrs@25.1.0", Verdict.FAITHFUL_WITH_BUILD_OUTPUT)),
        ScanItem(dep("pkg:pypi/gone@1.0.0", "gone"), None, error="registry answered 404"),
        ScanItem(dep("pkg:npm/republished@1.0.0", "republished", 11),
                 result("pkg:npm/republished@1.0.0", Verdict.FAITHFUL),
                 extra_findings=(Finding(Severity.HIGH, "OSP514", None, "the lockfile digest does not match"),)),
        ScanItem(dep("pkg:npm/" + "x%3Cscript%3E@1.0.0", HOSTILE),
                 VerifyResult(LocateResult(purl="pkg:npm/x@1.0.0"), Verdict.UNVERIFIABLE, reason=HOSTILE)),
    ]


def properties(component: dict) -> dict[str, str]:
    return {p["name"]: p["value"] for p in component.get("properties", [])}


def test_cyclonedx_validates_and_carries_conclusions():
    text = render_cyclonedx(scan_items())
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom = json.loads(text)
    assert bom["specVersion"] == "1.6"
    components = {c["purl"]: c for c in bom["components"]}
    evil = components["pkg:npm/%40scope/evil@2.0.0"]
    assert evil["group"] == "@scope" and evil["name"] == "evil" and evil["bom-ref"] == evil["purl"]
    assert evil["hashes"] == [{"alg": "SHA-1", "content": "ef" * 20}]
    (vcs,) = evil["externalReferences"]
    assert vcs["type"] == "vcs" and vcs["url"] == f"git+https://example.test/o/r@{SHA}"
    assert "packages/a" in vcs["comment"]
    props = properties(evil)
    assert props["ossprov:verdict"] == "mismatch" and props["ossprov:commit"] == SHA
    assert props["ossprov:confidence"] == "0.93" and props["ossprov:location"] == "package-lock.json:9"
    assert props["ossprov:findings"] == "3" and props["ossprov:findings:high"] == "1"
    assert props["ossprov:findings:medium"] == "1" and props["ossprov:files:modified"] == "1"
    gone = properties(components["pkg:pypi/gone@1.0.0"])
    assert gone["ossprov:verdict"] == "error" and gone["ossprov:error"] == "registry answered 404"
    assert "externalReferences" not in components["pkg:pypi/gone@1.0.0"]
    summary = {p["name"]: p["value"] for p in bom["properties"]}
    assert summary["ossprov:summary:faithful"] == "2" and summary["ossprov:summary:error"] == "1"


def test_html_escapes_everything_and_is_self_contained():
    page = render_html(scan_items(), skipped=[Skipped(Location("yarn.lock", 7), HOSTILE, "local path dependency")],
                       title=HOSTILE)
    assert "<script>window" not in page and "<img" not in page and "</pre><script>" not in page
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page
    assert page.count("<script>") == 1  # ours, pinned by hash in the CSP
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page.replace('href="https://example.test/o/r"', ""))
    assert "default-src 'none'" in html.unescape(page)
    assert 'data-category="mismatch"' in page and 'class="d-add"' in page


def test_html_badge_shows_the_worst_finding_not_only_the_verdict():
    page = render_html(scan_items())
    republished = re.search(r'<details[^>]*data-name="pkg:npm/republished@1.0.0"[^>]*>', page)
    assert republished and 'data-category="mismatch"' in republished.group(0)
    assert 'data-rules=" OSP514 "' in republished.group(0)


@pytest.mark.slow
def test_html_in_headless_chromium(tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    page = tmp_path / "report.html"
    page.write_text(render_html(scan_items(), title=HOSTILE), encoding="utf-8")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,1600",
                f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.get(page.as_uri())
        assert driver.title == HOSTILE  # shown as text
        assert driver.execute_script("return window.__pwned === undefined")
        packages = driver.find_elements(By.CSS_SELECTOR, "#packages .pkg")
        assert len(packages) == 6 and all(p.is_displayed() for p in packages)
        assert driver.find_element(By.ID, "shown").text == "6"
        driver.find_element(By.CSS_SELECTOR, '[data-only="mismatch"]').click()
        visible = [p.get_attribute("data-name") for p in packages if p.is_displayed()]
        assert visible == ["pkg:npm/%40scope/evil@2.0.0", "pkg:npm/republished@1.0.0"]
        assert driver.find_element(By.ID, "shown").text == "2"
        Select(driver.find_element(By.ID, "rule")).select_by_value("OSP514")
        assert [p.get_attribute("data-name") for p in packages if p.is_displayed()] == ["pkg:npm/republished@1.0.0"]
        driver.find_element(By.ID, "all").click()
        Select(driver.find_element(By.ID, "severity")).select_by_value("2")
        assert sorted(p.get_attribute("data-name") for p in packages if p.is_displayed()) == [
            "pkg:npm/%40scope/evil@2.0.0", "pkg:npm/republished@1.0.0"]
        driver.find_element(By.ID, "all").click()
        Select(driver.find_element(By.ID, "sort")).select_by_value("name")
        names = [p.get_attribute("data-name") for p in driver.find_elements(By.CSS_SELECTOR, "#packages .pkg")]
        assert names == sorted(names)
        Select(driver.find_element(By.ID, "sort")).select_by_value("findings")
        counts = [int(p.get_attribute("data-findings"))
                  for p in driver.find_elements(By.CSS_SELECTOR, "#packages .pkg")]
        assert counts == sorted(counts, reverse=True)
        Select(driver.find_element(By.ID, "sort")).select_by_value("status")
        driver.find_element(By.CSS_SELECTOR, '[data-only="mismatch"]').click()
        evil = driver.find_elements(By.CSS_SELECTOR, "#packages .pkg")[0]
        evil.find_element(By.TAG_NAME, "summary").click()
        assert "file differs from the source" in evil.text
        evil.find_element(By.CSS_SELECTOR, ".diff > summary").click()
        assert "fetch('</pre><script>x()</script>')" in evil.text  # the diff line, as text
        driver.find_element(By.CSS_SELECTOR, 'input[value="faithful"]').click()
        assert sorted(p.get_attribute("data-category") for p in packages if p.is_displayed()) == [
            "faithful", "mismatch", "mismatch"]
        driver.find_element(By.ID, "all").click()
        assert all(p.is_displayed() for p in packages)
        driver.find_element(By.ID, "q").send_keys("attrs")
        assert [p.get_attribute("data-category") for p in packages if p.is_displayed()] == ["faithful-with-build-output"]
        shot = tmp_path / "report.png"
        assert driver.save_screenshot(str(shot))
        data = shot.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000
        assert not [e for e in driver.get_log("browser") if "Content Security Policy" in e.get("message", "")]
    finally:
        driver.quit()
