"""API-based checks against a loopback server answering the GitHub REST requests the checks make; the
command end to end (JSON shape, the token never printed or logged), and a purl through locate."""

from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from packageurl import PackageURL

import ossprov.ecosystems
from ossprov.commands.practices import command
from ossprov.ecosystems.interface import PackageHistory, VersionInfo
from ossprov.practices.runner import Target, assess, assess_target
from ossprov.source.git import Repo
from tests.conftest import only_result

TOKEN = "ghp_s3cr3tTOKENvalue0123456789"
NOW_ISO = "2999-01-01T00:00:00Z"
PROTECTION = {
    "allow_force_pushes": {"enabled": False}, "allow_deletions": {"enabled": False},
    "enforce_admins": {"enabled": True},
    "required_pull_request_reviews": {"required_approving_review_count": 1, "require_last_push_approval": True,
                                      "require_code_owner_reviews": False, "dismiss_stale_reviews": True},
    "required_status_checks": {"strict": True, "contexts": ["ci/test"]},
}


class GitHub:
    """A loopback stand-in for the GitHub REST API: path → JSON, with the headers it saw."""

    def __init__(self, routes: dict[str, Any]) -> None:
        self.routes = routes
        self.auth: list[str | None] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.auth.append(self.headers.get("Authorization"))
                body = outer.routes.get(urlsplit(self.path).path)
                status = 404 if body is None else 200
                data = json.dumps(body if body is not None else {"message": "Not Found"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def routes(protection: dict | None = PROTECTION, archived: bool = False) -> dict[str, Any]:
    base = "/repos/acme/widget"
    return {
        base: {"default_branch": "main", "archived": archived, "created_at": "2020-01-01T00:00:00Z"},
        f"{base}/branches/main/protection": protection,
        f"{base}/branches/main": {"name": "main", "protected": protection is not None},
        f"{base}/hooks": [{"id": 1, "config": {"url": "https://hooks.acme.org", "secret": "********"}},
                          {"id": 2, "config": {"url": "https://other.acme.org"}}],
        f"{base}/issues": [],
        f"{base}/pulls": [{"number": 7, "merged_at": "2024-01-01T00:00:00Z", "head": {"sha": "a" * 40}}],
        f"{base}/commits/{'a' * 40}/check-runs": {"check_runs": [{"name": "test (3.11)", "status": "completed",
                                                                  "conclusion": "success",
                                                                  "app": {"slug": "github-actions"}}]},
        f"{base}/commits/{'a' * 40}/statuses": [],
        f"{base}/pulls/7": {"user": {"login": "bob"}, "merged_by": {"login": "bob"}, "head": {"sha": "a" * 40}},
        f"{base}/pulls/7/reviews": [],
        f"{base}/releases": [
            {"tag_name": "v1.1.0", "assets": [{"name": "w.tgz"}, {"name": "w.tgz.intoto.jsonl"}]},
            {"tag_name": "v1.0.0", "assets": [{"name": "w.tgz"}, {"name": "w.tgz.asc"}]},
            {"tag_name": "v0.9.0", "assets": [{"name": "w.tgz"}]},
            {"tag_name": "v0.8.0", "assets": []},  # no files: not counted
        ],
    }


@pytest.fixture
def github(monkeypatch):
    servers: list[GitHub] = []

    def start(**kwargs: Any) -> GitHub:
        server = GitHub(routes(**kwargs))
        servers.append(server)
        monkeypatch.setenv("OSSPROV_GITHUB_API", server.url)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def widget(make_repo):
    fixture = make_repo(origin="https://github.com/acme/widget.git")
    fixture.commit({"LICENSE": "Apache License\n", "a.txt": "1"}, days_ago=200)
    fixture.commit({"b.txt": "2"}, days_ago=1, message="Add b (#7)",  # squash-merged by the forge
                   extra_env={"GIT_COMMITTER_NAME": "GitHub", "GIT_COMMITTER_EMAIL": "noreply@github.com"})
    return fixture


def by_name(result) -> dict[str, Any]:
    return {c.name: c for c in result.checks}


def test_api_checks_with_token(widget, github, monkeypatch):
    server = github()
    monkeypatch.setenv("MY_GH_TOKEN", TOKEN)
    checks = by_name(assess(str(widget.path), token_env="MY_GH_TOKEN"))
    # tiers 1–3 met (3 + 3 + 2); tier 4 (two reviewers, code owners) not: 8, and tier 5 is not reached
    assert checks["Branch-Protection"].score == 8 and "code owners must review" in checks["Branch-Protection"].reason
    assert checks["Webhooks"].score == 5
    assert checks["CI-Tests"].score == 10 and "1 out of 1" in checks["CI-Tests"].reason
    # PR #7 was merged by its own author without approval, the first commit was pushed directly.
    assert checks["Code-Review"].score == 0 and checks["Code-Review"].reason.startswith("0 out of 2")
    # provenance 10, signature 8, nothing 0, over the three releases with files: 18 // 3
    assert checks["Signed-Releases"].score == 6 and checks["Signed-Releases"].reason.startswith("2 out of the last 3")
    assert set(server.auth) == {f"Bearer {TOKEN}"}


def test_unprotected_and_archived(widget, github, monkeypatch):
    github(protection=None, archived=True)
    monkeypatch.setenv("MY_GH_TOKEN", TOKEN)
    checks = by_name(assess(str(widget.path), token_env="MY_GH_TOKEN"))
    assert checks["Branch-Protection"].score == 0
    assert checks["Maintained"].score == 0 and "archived" in checks["Maintained"].reason


def test_without_token_api_checks_are_inconclusive(widget, github):
    server = github()
    result = assess(str(widget.path), token_env="MY_GH_TOKEN")
    checks = by_name(result)
    for name in ("Branch-Protection", "Webhooks"):
        assert checks[name].score == -1 and "needs GitHub API" in checks[name].reason
        assert name in result.excluded
    assert server.auth == []


def test_command_json_and_token_never_shown(widget, github, monkeypatch, caplog):
    github()
    monkeypatch.setenv("MY_GH_TOKEN", TOKEN)
    caplog.set_level(logging.DEBUG)
    runner = CliRunner()
    out = runner.invoke(command, [str(widget.path), "--format", "json", "--github-token-env", "MY_GH_TOKEN"])
    assert out.exit_code == 0, out.output
    doc = only_result(out.output)
    assert set(doc) == {"repository", "commit", "score", "excluded", "checks", "package", "head"}
    assert doc["repository"] == "https://github.com/acme/widget.git"
    assert len(doc["checks"]) == 18 and {"name", "score", "risk", "reason", "details", "probes"} <= set(doc["checks"][0])
    assert isinstance(doc["score"], float)
    table = runner.invoke(command, [str(widget.path), "--github-token-env", "MY_GH_TOKEN"])
    assert table.exit_code == 0 and "Aggregate score" in table.output
    for text in (out.output, table.output, caplog.text):
        assert TOKEN not in text


def test_api_failure_is_per_check_and_hides_token(widget, monkeypatch):
    monkeypatch.setenv("OSSPROV_GITHUB_API", "http://127.0.0.1:9")  # nothing listens on the discard port
    monkeypatch.setenv("OSSPROV_TIMEOUT", "2")
    monkeypatch.setenv("MY_GH_TOKEN", TOKEN)
    checks = by_name(assess(str(widget.path), token_env="MY_GH_TOKEN"))
    assert checks["Webhooks"].score == -1 and "could not be checked" in checks["Webhooks"].reason
    assert all(TOKEN not in c.reason for c in checks.values())


def test_bad_target_is_an_input_error(tmp_path):
    out = CliRunner().invoke(command, [str(tmp_path / "nope")])
    assert out.exit_code != 0 and "no such file" in str(out.exception)


class FakeEcosystem:
    def history(self, name: str) -> PackageHistory:
        assert name == "@acme/widget"
        return PackageHistory("npm", name, versions=(
            VersionInfo("1.0.0", "2023-01-01T00:00:00Z", ("ann",), "ann"),
            VersionInfo("1.1.0", "2023-03-02T00:00:00Z", ("ann",), "ann"),
            VersionInfo("1.2.0", "2024-06-01T00:00:00Z", ("mallory",), "mallory", deprecated="use 2.x"),
        ), maintainers=("mallory",))


def test_package_target_reads_package_history(widget, monkeypatch):
    """A package's clone and commit come from the stage runner; the practices add its registry history."""
    head = widget.git("rev-parse", "HEAD~1").strip()
    monkeypatch.setattr(ossprov.ecosystems, "get", lambda t: FakeEcosystem(), raising=False)
    target = Target(Repo(widget.path), head, head, str(widget.path),
                    PackageURL.from_string("pkg:npm/%40acme/widget@1.2.0"))
    result = assess_target(target, token_env=None, now=time.time())
    assert result.commit == head
    package = result.package
    assert package is not None and package.deprecated and package.latest_version == "1.2.0"
    assert package.maintainer_changes[0].added == ("mallory",) and package.maintainer_changes[0].removed == ("ann",)
    assert package.release_cadence_days is not None


FULL = {**PROTECTION, "required_pull_request_reviews": {
    "required_approving_review_count": 2, "require_last_push_approval": True, "require_code_owner_reviews": True,
    "dismiss_stale_reviews": True}}


@pytest.mark.parametrize(("protection", "codeowners", "expected"), [
    ({"allow_force_pushes": {"enabled": True}, "allow_deletions": {"enabled": False}}, False, 1),  # 3·1/2
    ({**PROTECTION, "required_status_checks": {"strict": False}, "required_pull_request_reviews": {
        "required_approving_review_count": 1}}, False, 4),  # 3 + 3·3/5 (approvals 2, pull requests 1)
    (FULL, True, 10),
    (FULL, False, 8),  # 3 + 3 + 2 + 1·1/2: code-owner review without a CODEOWNERS file
    ({**FULL, "enforce_admins": {"enabled": False}}, True, 9),  # 3 + 3 + 2 + 1 + 1·1/2
])
def test_branch_protection_tiers(make_repo, github, monkeypatch, protection, codeowners, expected):
    fixture = make_repo(origin="https://github.com/acme/widget.git")
    fixture.commit({"a.txt": "1", **({".github/CODEOWNERS": "* @acme/maintainers\n"} if codeowners else {})})
    github(protection=protection)
    monkeypatch.setenv("MY_GH_TOKEN", TOKEN)
    check = by_name(assess(str(fixture.path), token_env="MY_GH_TOKEN"))["Branch-Protection"]
    assert check.score == expected, check.reason
