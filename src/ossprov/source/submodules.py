"""The git submodules of a pinned commit, read at the commits the superproject pins.

An sdist made from a checkout with its submodules checked out ships their files (tomlkit ships
`tests/toml-test/`). The superproject's tree holds only a gitlink there (mode 160000: the submodule's commit)
and `.gitmodules` says where the submodule's repository is. A submodule is cloned only when an artifact has files
under its path, through the clone cache like every repository (`ensure_clone`: isolated git, the package
deadline), from a URL `urls.submodule_url` accepts; its tree is read at the gitlink's commit, never at a branch
head. What cannot be read (no URL, a refused URL, a clone that fails, a commit the repository lacks) is
`Mounted.problem`: its files are then in no source, and the comparison says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ossprov.errors import GitError, OfflineError
from ossprov.redaction import redact_url
from ossprov.source import urls
from ossprov.source.git import Repo, ensure_clone, git_env, run_git

GITMODULES = ".gitmodules"


@dataclass(frozen=True)
class Mounted:
    """One submodule of the pinned commit, read (or not) at the commit the superproject pins."""

    path: str
    """Where it is in the superproject."""
    commit: str
    """The gitlink's commit."""
    url: str
    """Its repository (as `.gitmodules` names it when it was refused)."""
    repo: Repo | None = None
    files: dict[str, str] = field(default_factory=dict)
    """Path in the superproject (under `path`) → blob id at `commit`."""
    problem: str = ""
    """Why it could not be read; empty when it was."""

    def describe(self) -> str:
        return f"submodule {self.path} at {self.commit}"


class Submodules:
    """The submodules of one commit of a superproject cloned from `url`; each read once, when first asked."""

    def __init__(self, repo: Repo, commit: str, url: str, has_gitmodules: bool) -> None:
        self._repo, self._commit, self._url = repo, commit, url
        self._links: dict[str, str] | None = None if has_gitmodules else {}
        self._mounted: dict[str, Mounted] = {}

    def links(self) -> dict[str, str]:
        """Path → commit of every gitlink of the commit (none is looked for without a `.gitmodules`: git
        checks out no submodule it does not name)."""
        if self._links is None:
            self._links = self._repo.gitlinks(self._commit)
        return self._links

    def under(self, paths: set[str]) -> list[Mounted]:
        """The submodules that have one of `paths` (repository paths) under them, read."""
        links = self.links()
        if not links:
            return []
        wanted = {link for link in links for p in paths if p.startswith(link + "/")}
        return [self._mount(link) for link in sorted(wanted)]

    def _mount(self, path: str) -> Mounted:
        if path not in self._mounted:
            self._mounted[path] = _read(path, self.links()[path], self._declared().get(path), self._url)
        return self._mounted[path]

    def _declared(self) -> dict[str, str]:
        """Path → URL of each submodule `.gitmodules` names at the commit (read by git's own config parser,
        includes not followed)."""
        text = self._repo.read_file(self._commit, GITMODULES) or b""
        out = run_git(["config", "--file", "-", "--no-includes", "--null", "--list"], input=text, check=False,
                      cwd=Path("/"), env=git_env(user=False))
        names: dict[str, dict[str, str]] = {}
        for item in out.decode("utf-8", "surrogateescape").split("\0"):
            key, _, value = item.partition("\n")
            section, _, rest = key.partition(".")
            name, _, var = rest.rpartition(".")
            if section == "submodule" and name and var in ("path", "url"):
                names.setdefault(name, {})[var] = value
        return {entry["path"].strip("/"): entry.get("url", "") for entry in names.values() if "path" in entry}


def _read(path: str, commit: str, raw_url: str | None, superproject: str) -> Mounted:
    if raw_url is None:
        return Mounted(path, commit, "", problem=f"{GITMODULES} names no URL for it")
    url, refused = urls.submodule_url(superproject, raw_url)
    if url is None:
        return Mounted(path, commit, redact_url(raw_url), problem=refused)
    try:
        repo = Repo(ensure_clone(url))
    except (GitError, OfflineError) as exc:
        return Mounted(path, commit, url, problem=str(exc))
    if not repo.has_commit(commit):
        return Mounted(path, commit, url, problem=f"{redact_url(url)} has no commit {commit} on its branches or tags")
    files = {f"{path}/{p}": blob for p, blob in repo.ls_tree(commit).items()}
    return Mounted(path, commit, url, repo, files)
