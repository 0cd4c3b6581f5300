"""--open-pr against a loopback server playing the GitHub REST API: exact requests, idempotency, no token leak."""

from __future__ import annotations

import json
import logging
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import pytest
from click.testing import CliRunner

from ossprov import stages
from ossprov.cli import cli
from ossprov.fix import run
from ossprov.github import GitHub, GitHubError
from tests.fix.fixhelpers import git, located, make_repo

TOKEN = "ghp_TESTSECRET0123456789"
BRANCH = "ossprov/declare-repository-widget"
MANIFEST = b'{\n  "name": "widget",\n  "version": "1.0.0"\n}\n'


class FakeGitHub(ThreadingHTTPServer):
    """Fork, ref, pulls: state kept in memory; the fork's clone_url is a local bare repository."""

    def __init__(self, fork_dir: Path) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.fork_dir = fork_dir
        self.requests: list[tuple[str, str]] = []
        self.auth: set[str | None] = set()
        self.pulls: list[dict] = []
        self.forked = False
        self.fork_polls = 0
        self.rate_limited = {"/user": 1}
        self.bodies: list[dict] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: FakeGitHub

    def log_message(self, *args: object) -> None:
        return None

    def _send(self, status: int, doc: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(doc).encode()
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self) -> str:
        s = self.server
        s.requests.append((self.command, unquote(self.path)))
        s.auth.add(self.headers.get("Authorization"))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            s.bodies.append(json.loads(self.rfile.read(length)))
        return unquote(self.path)

    def do_GET(self) -> None:
        path, s = self._record(), self.server
        if s.rate_limited.get(path):
            s.rate_limited[path] -= 1
            return self._send(403, {"message": "API rate limit exceeded"},
                              {"Retry-After": "1", "x-ratelimit-remaining": "0"})
        if path == "/repos/acme/widget":
            return self._send(200, {"full_name": "acme/widget", "default_branch": "main"})
        if path == "/user":
            return self._send(200, {"login": "bot"})
        if path.startswith("/repos/acme/widget/pulls?"):
            assert path == f"/repos/acme/widget/pulls?head=bot:{BRANCH}&state=open"
            return self._send(200, s.pulls)
        if path == "/repos/bot/widget":
            s.fork_polls += 1
            if not s.forked or s.fork_polls == 1:
                return self._send(404, {"message": "Not Found"})
            return self._send(200, {"full_name": "bot/widget", "clone_url": f"file://{s.fork_dir}"})
        if path == f"/repos/bot/widget/git/ref/heads/{BRANCH}":
            sha = subprocess.run(["git", "rev-parse", f"refs/heads/{BRANCH}"], cwd=s.fork_dir,
                                 capture_output=True, text=True).stdout.strip()
            return self._send(200, {"object": {"sha": sha}}) if sha else self._send(404, {})
        self._send(404, {"message": "Not Found"})

    def do_POST(self) -> None:
        path, s = self._record(), self.server
        if path == "/repos/acme/widget/forks":
            s.forked = True
            return self._send(202, {"full_name": "bot/widget"})
        if path == "/repos/acme/widget/pulls":
            pull = {"html_url": "https://github.com/acme/widget/pull/7", "head": {"ref": BRANCH}}
            s.pulls.append(pull)
            return self._send(201, pull)
        self._send(404, {})


@pytest.fixture
def github(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    fork = tmp_path / "fork.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(fork)], check=True)
    server = FakeGitHub(fork)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("OSSPROV_GITHUB_API", server.url)
    monkeypatch.setenv("FIX_TOKEN", TOKEN)
    yield server
    server.shutdown()
    server.server_close()


def test_open_pr_forks_pushes_opens_and_is_idempotent(forge: Path, github: FakeGitHub, caplog: pytest.LogCaptureFixture,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.DEBUG)
    make_repo(forge / "acme" / "widget", {"package.json": MANIFEST})
    monkeypatch.setattr(stages, "locate", lambda purl, artifact=None, progress=None: located())
    monkeypatch.setattr(run, "release_hints", lambda purl: ())
    monkeypatch.setattr("ossprov.fix.publish.time.sleep", lambda s: None)  # fork polling only
    args = ["fix", "pkg:npm/widget@1.0.0", "--open-pr", "--github-token-env", "FIX_TOKEN", "--format", "json"]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["pull_request"] == "https://github.com/acme/widget/pull/7"
    assert github.requests == [
        ("GET", "/repos/acme/widget"),
        ("GET", "/user"),  # 403 Retry-After: 1, waited out
        ("GET", "/user"),
        ("GET", f"/repos/acme/widget/pulls?head=bot:{BRANCH}&state=open"),
        ("POST", "/repos/acme/widget/forks"),
        ("GET", "/repos/bot/widget"),  # fork not there yet
        ("GET", "/repos/bot/widget"),
        ("GET", f"/repos/bot/widget/git/ref/heads/{BRANCH}"),
        ("POST", "/repos/acme/widget/pulls"),
    ]
    assert github.auth == {f"Bearer {TOKEN}"}
    pr = github.bodies[-1]
    assert pr["head"] == f"bot:{BRANCH}" and pr["base"] == "main" and pr["title"].startswith("Declare")
    pushed = git(github.fork_dir, "show", "--stat", "--format=%an <%ae>%n%s", f"refs/heads/{BRANCH}")
    assert "ossprov <ossprov@users.noreply.invalid>" in pushed and "package.json" in pushed

    github.requests.clear()
    again = CliRunner().invoke(cli, args)
    assert json.loads(again.stdout)["pull_request"] == "https://github.com/acme/widget/pull/7"
    assert [r for r in github.requests if r[0] == "POST"] == [], "no second fork or pull request"
    assert len(github.pulls) == 1
    for text in (first.stdout, first.stderr, again.stdout, again.stderr, caplog.text):
        assert TOKEN not in text


def test_missing_token_is_an_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_SUCH_TOKEN", raising=False)
    out = CliRunner().invoke(cli, ["fix", "pkg:npm/widget@1.0.0", "--open-pr", "--github-token-env", "NO_SUCH_TOKEN"])
    assert out.exception.exit_code == 2 and "NO_SUCH_TOKEN" in str(out.exception)


def test_rate_limit_that_never_lifts_fails_with_a_clean_message(github: FakeGitHub) -> None:
    github.rate_limited["/user"] = 99
    waits: list[float] = []
    gh = GitHub(TOKEN, sleep=waits.append)
    with pytest.raises(GitHubError) as exc:
        gh.get("/user")
    assert waits == [1.0, 1.0, 1.0]
    assert "403" in str(exc.value) and TOKEN not in str(exc.value) and TOKEN not in repr(gh)


def test_repository_names_cannot_smuggle_paths() -> None:
    from ossprov.errors import InputError
    from ossprov.github import repo_path

    with pytest.raises(InputError):
        repo_path("acme", "../../user")
