"""`ossprov fix` as a function: locate, decide, edit the manifest at the default branch, commit, describe.

The records it reads come from the stage runner (`LocateResult`) and the ecosystem plug-in (`Release.hints`);
what it writes is a branch in the cached clone plus a `FixResult` the command prints.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from packageurl import PackageURL

from ossprov import ecosystems, stages
from ossprov.errors import GitError
from ossprov.fix import text
from ossprov.fix.branch import DEFAULT_AUTHOR, Commit, branch_name, commit_file
from ossprov.fix.decide import content_verified, decide, declaring_hints, problem
from ossprov.fix.manifests import choose
from ossprov.fix.publish import open_pull_request
from ossprov.fix.records import CheckResult, FixResult, Status
from ossprov.github import GitHub
from ossprov.model import LocateResult, SourceHint
from ossprov.purls import package_name, parse_purl
from ossprov.source.git import Repo, ensure_clone


@dataclass(frozen=True)
class Proposal:
    """What `propose` made: the result to print, and what --open-pr needs to publish it."""

    result: FixResult
    locate: LocateResult
    commit: Commit | None = None
    clone: Path | None = None
    """The cached clone holding the commit's branch (what --open-pr pushes from)."""


def release_hints(purl: PackageURL) -> tuple[SourceHint, ...]:
    """The source hints of the release's registry metadata (where its declared repository is)."""
    return ecosystems.get(purl.type).release(purl).hints


def propose(purl: str, *, author: str = DEFAULT_AUTHOR) -> Proposal:
    """Decide whether the release's repository field needs fixing and, if so, make the commit."""
    parsed = parse_purl(purl)
    located = stages.locate(purl)
    decision = decide(located, release_hints(parsed), parsed.type)
    if decision.target is None:
        return Proposal(FixResult(purl, False, decision.reason, Status.NOT_LOCATED), located)
    if not decision.needed:
        return Proposal(FixResult(purl, False, decision.reason, Status.NOT_NEEDED), located)
    target = decision.target
    clone = ensure_clone(target.url)
    repo = Repo(clone)
    default = repo.default_branch()
    head = repo.resolve(default) if default else None
    if head is None:
        raise GitError(f"{target.url} has no default branch to propose a change to")
    files = repo.ls_tree(head, target.subdir)

    def read(path: str) -> bytes:
        return next(data for _, data in repo.read_blobs([files[path]]))

    name = package_name(parsed)
    choice = choose(parsed.type, parsed.name, files, target.subdir, read)
    if choice is None:
        reason = f"{decision.reason}; but no manifest was found in {target.subdir or 'the root'} of {target.url}"
        return Proposal(FixResult(purl, True, reason, Status.MANUAL), located)
    if choice.editor is None:
        snippet = text.setup_py_snippet(target)
        body = text.body(name, decision.reason, choice.path, target, located, snippet)
        return Proposal(FixResult(purl, True, decision.reason, Status.MANUAL, choice.path,
                                  title=text.title(choice.path), body=body), located)
    now = declaring_hints(choice.editor.declared(choice.text), parsed.type)
    if problem(now, target, parsed.type) is None:
        reason = f"{decision.reason}; already fixed upstream on {default}, awaiting a release"
        return Proposal(FixResult(purl, True, reason, Status.ALREADY_FIXED, choice.path), located)
    new = choice.editor.apply(choice.text, target)
    commit = commit_file(clone, head, branch_name(name), choice.path, new.encode("utf-8"),
                         text.commit_message(choice.path, target), author)
    body = text.body(name, decision.reason, choice.path, target, located)
    result = FixResult(purl, True, decision.reason, Status.PROPOSED, choice.path, commit.patch,
                       text.title(choice.path), body, commit.branch)
    return Proposal(result, located, commit, clone)


def publish(proposal: Proposal, gh: GitHub) -> FixResult:
    """--open-pr: the result with the pull request's URL (unchanged when no commit was proposed)."""
    result, commit, clone, located = proposal.result, proposal.commit, proposal.clone, proposal.locate
    if commit is None or clone is None or located.repository is None or not (result.title and result.body):
        return result
    url = open_pull_request(gh, located.repository.url, clone, commit, result.title, result.body)
    return replace(result, pull_request=url)


def check(purl: str) -> CheckResult:
    """Whether this (later) release declares the repository and locate confirms it by content."""
    parsed = parse_purl(purl)
    located = stages.locate(purl)
    declared = declaring_hints(release_hints(parsed), parsed.type)
    if not declared:
        return CheckResult(purl, False, False, "the release still declares no source repository")
    if not content_verified(located) or located.repository is None:
        return CheckResult(purl, True, False, f"the release declares {declared[0].url}, but locating the source "
                                              "by content did not confirm it")
    issue = problem(declared, located.repository, parsed.type)
    if issue is not None:
        return CheckResult(purl, False, True, f"the release {issue}")
    return CheckResult(purl, True, True, f"the release declares {located.repository.url}, and its content "
                                         f"matches commit {located.commit}")
