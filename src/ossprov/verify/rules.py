"""The rule catalogue (described once, used by every output format) and the findings file statuses carry.

The verdict is computed from them in `ossprov.verdict`.

Rule ids are stable: OSP1xx integrity of what was published, OSP2xx what a static comparison cannot vouch
for, OSP5xx distribution-channel threats (names, repositories, removals).
"""

from __future__ import annotations

from ossprov.ecosystems.common import is_code, is_doc
from ossprov.model import FileResult, FileStatus, Finding, Severity

RULES: dict[str, tuple[str, str]] = {
    "OSP100": ("artifact-digest-mismatch", "The artifact does not match the digest the registry publishes."),
    "OSP101": ("code-modified", "A code file differs from the repository at the pinned commit."),
    "OSP102": ("code-unexplained", "A code file is in no source file and no build rule explains it."),
    "OSP103": ("file-unexplained", "A non-code file is in no source file and no build rule explains it."),
    "OSP104": ("file-modified", "A non-code, non-documentation file differs from the repository."),
    "OSP105": ("doc-modified", "A documentation file differs from the repository."),
    "OSP106": ("file-missing", "A file the package's file list names is not in the artifact."),
    "OSP110": ("manifest-missing", "The artifact has no manifest."),
    "OSP111": ("install-script-changed", "An install-time script differs from the repository's manifest."),
    "OSP112": ("native-build-added", "A native build file not in the repository runs at install."),
    "OSP113": ("dependency-added", "The published manifest declares dependencies the repository does not."),
    "OSP114": ("entry-point-changed", "The published manifest points its entry points elsewhere."),
    "OSP115": ("manifest-fields-changed", "The published manifest differs from the repository's."),
    "OSP116": ("embedded-commit-mismatch", "A commit embedded in the artifact differs from the pinned commit."),
    "OSP117": ("manifest-confusion", "The registry's version metadata, which npm installs from, differs from the "
               "tarball's package.json."),
    "OSP118": ("checksum-database-unconfirmed", "The Go checksum database did not confirm the module's hash "
               "(unreachable, no record, or an answer failing verification)."),
    "OSP121": ("generated-loads-unknown-module", "Generated code loads a module the source never names."),
    "OSP122": ("source-map-mismatch", "A source map embeds source that differs from the repository."),
    "OSP123": ("source-map-inconsistent", "Generated code that its source map does not account for."),
    "OSP124": ("class-strings-unaccounted", "A compiled class holds strings its sources lack, where constants of "
               "other classes or a template's filled-in values may account for them."),
    "OSP130": ("core-metadata-missing", "The Python artifact has no core metadata."),
    "OSP131": ("pth-file", "A .pth file in a wheel runs code at every interpreter start."),
    "OSP132": ("wheel-record", "A wheel file is missing from RECORD or does not match its hash."),
    "OSP133": ("core-metadata-identity", "The core metadata names another project or version."),
    "OSP135": ("dist-info-unexpected-file", "A wheel's .dist-info holds a file no build backend writes."),
    "OSP140": ("archive-entry-refused", "An archive entry was refused (traversal, link, device, bad name)."),
    "OSP150": ("borrowed-repository", "The declared repository holds another package, none of this one's files."),
    "OSP301": ("rebuild-code-differs", "A code file differs from its rebuild."),
    "OSP302": ("rebuild-file-differs", "A non-code file differs from its rebuild."),
    "OSP501": ("typosquat", "The name imitates a far more popular package."),
    "OSP502": ("typosquat-young", "The imitating package is less than 90 days old."),
    "OSP503": ("typosquat-single-maintainer", "The imitating package has a single maintainer."),
    "OSP504": ("typosquat-borrowed-repository", "The imitating package declares the popular package's repository."),
    "OSP511": ("deprecated-version", "The registry marks this version deprecated."),
    "OSP512": ("yanked-release", "The release was yanked from the index (PEP 592)."),
    "OSP513": ("version-removed", "The registry no longer serves a version the lockfile names."),
    "OSP514": ("lockfile-digest-mismatch", "The lockfile's digest does not match the artifact served now."),
    "OSP900": ("not-checked", "The package could not be checked: what was not checked is not clean."),
    "OSP601": ("weak-practices", "The source repository scores below 3/10 on the OpenSSF Scorecard checks."),
    "OSP201": ("generated-needs-rebuild", "Generated code that only a rebuild can vouch for."),
    "OSP202": ("generated-vouched", "Generated code whose source map matches the repository."),
    "OSP205": ("artifact-other-commit", "A file of the release was built from another commit of its published "
               "history than the release commit."),
    "OSP204": ("shaded-class", "A class relocated from a dependency (maven-shade-plugin): verify that dependency."),
    "OSP203": ("build-step", "A file a named build step made from the source (the evidence is given)."),
    "OSP207": ("submodule-unchecked", "A submodule the artifact ships files of could not be read at the commit "
               "the superproject pins (no URL, a refused URL, unreachable, or the commit absent)."),
    "OSP206": ("doc-output-not-installed", "A static file of Sphinx output built from the commit's documentation, "
               "in a part of the artifact no install puts on the machine; its content is not vouched for."),
}


def findings_for(result: FileResult) -> list[Finding]:
    """The finding a file's status carries when the ecosystem gave none."""
    path, status = result.path, result.status
    if status in (FileStatus.IDENTICAL, FileStatus.NORMALIZED, FileStatus.GENERATED):
        return []
    if status is FileStatus.MISSING:
        return [Finding(Severity.LOW, "OSP106", path, result.reason)]
    code = is_code(path)
    if status is FileStatus.MODIFIED:
        if code:
            return [Finding(Severity.HIGH, "OSP101", path, "code differs from the repository at the pinned commit")]
        if is_doc(path):
            return [Finding(Severity.LOW, "OSP105", path, "documentation differs from the repository")]
        return [Finding(Severity.MEDIUM, "OSP104", path, "differs from the repository at the pinned commit")]
    if code:
        return [Finding(Severity.HIGH, "OSP102", path, "code in no source file and explained by no build rule")]
    if is_doc(path):
        return [Finding(Severity.LOW, "OSP103", path, "documentation file not in the repository")]
    return [Finding(Severity.MEDIUM, "OSP103", path, "file in no source file and explained by no build rule")]


def aggregate_generated(results: list[FileResult], findings: list[Finding]) -> list[Finding]:
    """One medium finding for the generated code files that nothing vouched for (a rebuild is needed). A
    finding about a directory (its path ending in "/", a vendored crate) vouches for every file under it."""
    vouched = {f.path for f in findings if f.rule in ("OSP202", "OSP203", "OSP204", "OSP121", "OSP122", "OSP123")}
    directories = tuple(p for p in vouched if p and p.endswith("/"))
    pending = [r.path for r in results if r.status is FileStatus.GENERATED and is_code(r.path)
               and r.path not in vouched and not r.path.startswith(directories)
               and not r.path.endswith((".d.ts", ".d.mts", ".d.cts", "/package.json"))]
    if not pending:
        return []
    shown = ", ".join(pending[:5]) + (f" and {len(pending) - 5} more" if len(pending) > 5 else "")
    return [Finding(Severity.MEDIUM, "OSP201", pending[0],
                    f"{len(pending)} generated code file(s) that static comparison cannot vouch for; "
                    f"run `ossprov rebuild` ({shown})")]
