"""Opening the pull request: fork, push the branch, open it — or find the one already open.

Idempotent by construction: the branch name is derived from the package, and an open pull request from the
user's fork with that branch is reported instead of opening another. The token reaches git only through
`GIT_CONFIG_*` environment variables (an `http.extraHeader`), never through the command line or a URL,
where process listings and logs would show it.
"""

from __future__ import annotations

import base64
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from ossprov.errors import GitError, InputError
from ossprov.fix.branch import Commit
from ossprov.github import GitHub, GitHubError, repo_path
from ossprov.redaction import redact_url
from ossprov.source.git import git_env
from ossprov.source.urls import normalize

FORK_POLLS = 10
"""How often to look for a fork GitHub is still creating (it forks asynchronously)."""


def owner_and_name(url: str) -> tuple[str, str]:
    """GitHub owner and repository name of a repository URL."""
    ref = normalize(url)
    parts = ref.url.split("://", 1)[-1].split("/")[1:] if ref else []
    if len(parts) < 2:
        raise InputError(f"cannot open a pull request: {url} is not a GitHub repository")
    return parts[-2], parts[-1]


def _push_env(token: str) -> dict[str, str]:
    """The environment for `git push`: ossprov's git safety settings plus the token as an extra header."""
    env = git_env()  # isolated from the user's config but for mirror mappings and network settings
    index = int(env.get("GIT_CONFIG_COUNT", "0") or 0)
    credential = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    env |= {"GIT_CONFIG_COUNT": str(index + 1), f"GIT_CONFIG_KEY_{index}": "http.extraHeader",
            f"GIT_CONFIG_VALUE_{index}": f"Authorization: Basic {credential}"}
    return env


def push(clone: Path, url: str, commit: Commit, token: str) -> None:
    """Push the commit as the branch to `url` (the fork), replacing an earlier ossprov push of it. The URL comes
    from an API answer: one that git could read as an option or a remote helper (`ext::`) is refused."""
    if url.startswith("-") or "::" in url.split("/", 1)[0]:
        raise GitError(f"refusing to push to {url[:60]!r}: not a repository URL")
    try:
        proc = subprocess.run(
            ["git", "-c", "core.hooksPath=/dev/null", "push", "--quiet", "--force", "--", url,
             f"{commit.sha}:refs/heads/{commit.branch}"],
            cwd=clone, env=_push_env(token), capture_output=True, timeout=600, check=False)
    except subprocess.TimeoutExpired:
        raise GitError(f"git push to {redact_url(url)} took too long") from None
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").replace(token, "***").strip().splitlines()
        raise GitError(f"git push to {redact_url(url)} failed: {lines[-1] if lines else proc.returncode}")


def _wait_for_fork(gh: GitHub, full_name: str, sleep: Callable[[float], None]) -> dict:
    owner, name = full_name.split("/", 1)
    for attempt in range(FORK_POLLS):
        info = gh.get(repo_path(owner, name), allow_404=True)
        if info is not None:
            return info
        sleep(min(2.0**attempt, 10.0))
    raise GitHubError(f"the fork {full_name} did not appear")


def open_pull_request(gh: GitHub, upstream_url: str, clone: Path, commit: Commit, title: str, body: str,
                      *, sleep: Callable[[float], None] = time.sleep) -> str:
    """The URL of the pull request proposing `commit` to `upstream_url` (an existing open one if any)."""
    if gh.token is None:
        raise InputError("--open-pr needs a GitHub token")
    owner, name = owner_and_name(upstream_url)
    upstream = repo_path(owner, name)
    info = gh.get(upstream)
    login = gh.get("/user")["login"]
    head = f"{login}:{commit.branch}"
    existing = gh.get(f"{upstream}/pulls", params={"head": head, "state": "open"})
    if existing:
        return existing[0]["html_url"]
    if login.lower() == owner.lower():
        target = info
    else:
        fork = gh.post(f"{upstream}/forks")
        target = _wait_for_fork(gh, fork["full_name"], sleep)
    push(clone, target["clone_url"], commit, gh.token)
    fork_owner, fork_name = target["full_name"].split("/", 1)
    ref = gh.get(f"{repo_path(fork_owner, fork_name)}/git/ref/heads/{commit.branch}", allow_404=True)
    if not ref or ref.get("object", {}).get("sha") != commit.sha:
        raise GitHubError(f"the branch {commit.branch} did not arrive in {target['full_name']}")
    pull = gh.post(f"{upstream}/pulls", {"title": title, "body": body, "head": head, "base": info["default_branch"],
                                         "maintainer_can_modify": True})
    return pull["html_url"]
