"""The words of the fix: commit message, pull-request title and body, the setup.py snippet.

Maintainers get many automated pull requests; this one says in two short paragraphs why the field matters
and what changed, then shows the evidence, so it can be checked rather than taken on trust.
"""

from __future__ import annotations

from ossprov.fix.manifests.base import web_url
from ossprov.model import LocateResult, Repository

EVIDENCE_KINDS = ("content-match", "gitHead", "tag", "manifest-version", "artifact-digest")
"""Evidence worth showing a maintainer, in this order."""


def title(manifest: str) -> str:
    return f"Declare the source repository in {manifest}"


def declared_as(target: Repository) -> str:
    where = f"{target.url}"
    return f"{where} (directory `{target.subdir.strip('/')}`)" if target.subdir.strip("/") else where


def setup_py_snippet(target: Repository) -> str:
    return f'setup(\n    ...,\n    project_urls={{"Source": "{web_url(target)}"}},\n)\n'


def evidence_lines(result: LocateResult) -> list[str]:
    """Which published files matched which commit, as the locate step recorded it."""
    lines = []
    if result.artifact is not None:
        lines.append(f"- The published artifact `{result.artifact.filename}` (sha256 `{result.artifact.sha256}`) "
                     f"was compared with commit `{result.commit}` of {result.repository.url if result.repository else ''}.")
    for kind in EVIDENCE_KINDS:
        lines += [f"- {e.detail}" for e in result.evidence if e.kind == kind and e.supports]
    lines.append(f"- Confidence of the location: {result.confidence:.2f}.")
    return lines


def body(package: str, problem: str, manifest: str, target: Repository, result: LocateResult,
         snippet: str | None = None) -> str:
    """The pull-request body: why, what, evidence."""
    why = (f"The published release of `{package}` {problem.removeprefix('the release ')}. The repository field is "
           "what ties a published package to its source: with it anyone (registries, security scanners, people "
           "reviewing a dependency) can find the code a release was built from and verify that the release "
           "matches it.")
    if snippet is None:
        what = (f"This change declares {declared_as(target)} in `{manifest}`, so the next release carries it. "
                "Nothing else in the file changes.")
    else:
        what = (f"`{manifest}` is code, so it is not edited automatically; adding `project_urls` to the `setup()` "
                f"call declares {declared_as(target)}:\n\n```python\n{snippet}```")
    return "\n\n".join([why, what, "Evidence that this is the right repository:\n\n" + "\n".join(evidence_lines(result))]) + "\n"


def commit_message(manifest: str, target: Repository) -> str:
    return (f"{title(manifest)}\n\nDeclare {declared_as(target)} so that published releases can be tied to "
            "their source and verified against it.\n")
