"""`assess_target`: run every check on a repository at a commit, aggregate, and add the package's
maintenance signals when the target is a package. `assess` resolves a repository URL or local path first;
a package is located by the stage runner (`ossprov.stages`), which calls `assess_target` with its clone."""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from packageurl import PackageURL

from ossprov.errors import InputError, NotLocatedError
from ossprov.practices.checks import ALL_CHECKS
from ossprov.practices.context import Context
from ossprov.practices.github import GitHubApi, github_slug
from ossprov.practices.osv import check_export, osv_data_path
from ossprov.practices.package import signals
from ossprov.practices.records import PackageSignals, PracticesResult
from ossprov.practices.scoring import aggregate
from ossprov.purls import package_name
from ossprov.source.git import Repo, ensure_clone

_REMOTE = re.compile(r"^(https?|ssh|git|file)://|^[\w.-]+@[\w.-]+:")


@dataclass(frozen=True)
class Target:
    """A repository to assess and the commit whose tree is read."""

    repo: Repo
    commit: str
    head: str
    url: str | None
    purl: PackageURL | None = None


def _from_path(text: str) -> Target:
    path = Path(text).expanduser()
    if not path.exists():
        raise InputError(f"no such file or directory: {text}")
    repo = Repo(path)
    head = repo.resolve("HEAD") if (path / ".git").exists() or (path / "HEAD").is_file() else None
    if head is None:
        raise InputError(f"{text} is not a git repository with at least one commit")
    url = repo.git("config", "--get", "remote.origin.url", check=False).decode().strip() or None
    return Target(repo, head, head, url)


def resolve(target: str) -> Target:
    """The repository and commit `target` names: a repository URL (cloned into the cache) or a path. A
    package (purl) is located by the stage runner, which hands its clone to `assess_target`."""
    if target.startswith("pkg:"):
        raise InputError(f"{target} is a package: its practices are assessed through ossprov.stages.run_stages")
    if _REMOTE.match(target):
        repo = Repo(ensure_clone(target))
        head = repo.resolve("HEAD")
        if head is None:
            raise NotLocatedError(f"{target} has no commits")
        return Target(repo, head, head, target)
    return _from_path(target)


def github_api(url: str | None, token_env: str | None) -> tuple[GitHubApi | None, str]:
    """A GitHub client when the repository is on GitHub and a token is set, else None and why not."""
    slug = github_slug(url)
    if slug is None:
        return None, "needs GitHub API (the repository is not hosted on GitHub)"
    token = os.environ.get(token_env) if token_env else None
    if not token:
        return None, f"needs GitHub API (set a token in ${token_env or 'GITHUB_TOKEN'})"
    return GitHubApi(*slug, token), ""


def package_signals(purl: PackageURL, now: float) -> PackageSignals | None:
    from ossprov import ecosystems

    history = ecosystems.get(purl.type).history(package_name(purl))
    return signals(history, purl.version, now) if history else None


def assess(target: str, *, token_env: str | None = "GITHUB_TOKEN", now: float | None = None,
           osv: Path | None = None) -> PracticesResult:
    """Score the practices of the repository `target` (URL or path) names. The OSV export is checked before
    anything else, so a wrong path fails at once."""
    export = osv_export(osv)
    return assess_target(resolve(target), token_env=token_env, now=time.time() if now is None else now, osv=export)


def osv_export(explicit: Path | None) -> Path | None:
    """The OSV export for Vulnerabilities: `--osv`, else OSSPROV_OSV_DATA or the config's `[osv] data`;
    an input error when it names no directory or zip."""
    path = osv_data_path(explicit)
    return check_export(path) if path else None


def assess_target(resolved: Target, *, token_env: str | None, now: float, osv: Path | None = None) -> PracticesResult:
    """Score the practices of a resolved repository at its commit, with the package's maintenance signals
    when the target is a package; `osv` is a checked OSV export (see `osv_export`)."""
    moment = now
    osv_export = osv
    api, why = github_api(resolved.url, token_env)
    try:
        ctx = Context(resolved.repo, resolved.commit, head=resolved.head, url=resolved.url, now=moment,
                      github=api, github_reason=why, package=resolved.purl, osv=osv_export)
        results = tuple(check.run(ctx) for check in ALL_CHECKS)
    finally:
        if api is not None:
            api.close()
    score, excluded = aggregate(results)
    package = package_signals(resolved.purl, moment) if resolved.purl else None
    return PracticesResult(resolved.url or str(resolved.repo.path), resolved.commit, score, excluded, results, package,
                           head=resolved.head)
