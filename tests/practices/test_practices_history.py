"""The local stand-ins for Scorecard's API-only checks (Maintained, Code-Review, CI-Tests, Contributors), on
repositories whose commits are dated with GIT_AUTHOR_DATE / GIT_COMMITTER_DATE and merged as the forge
merges pull requests; each probe where it holds and where it does not, and the scores Scorecard's
evaluation code gives those findings."""

from __future__ import annotations

from ossprov.practices.checks.ci_tests import CiTests
from ossprov.practices.checks.code_review import CodeReview
from ossprov.practices.checks.contributors import Contributors
from ossprov.practices.checks.maintained import Maintained

FORGE = {"GIT_COMMITTER_NAME": "GitHub", "GIT_COMMITTER_EMAIL": "noreply@github.com"}
PR_WORKFLOW = {".github/workflows/ci.yml": "on: [pull_request]\njobs:\n  t:\n    runs-on: x\n    steps:\n"
                                          "      - run: make test\n"}


def _history(make_repo, ages: list[int]):
    fixture = make_repo()
    for n, age in enumerate(sorted(ages, reverse=True)):
        fixture.commit({"f.txt": str(n)}, days_ago=age)
    return fixture


def _probes(result, name: str) -> list:
    return [p.outcome for p in result.probes if p.name == name]


def test_maintained_active(make_repo, run_check):
    result = run_check(Maintained(), _history(make_repo, [200] + [i * 6 for i in range(13)]))
    assert result.score == 10 and "13 commit(s)" in result.reason
    assert _probes(result, "hasRecentCommits") == [True] and _probes(result, "createdRecently") == [False]
    assert "not seen without the GitHub API" in result.reason


def test_maintained_partial_and_stale(make_repo, run_check):
    assert run_check(Maintained(), _history(make_repo, [200, 80, 60, 40, 30, 20, 10])).score == 5  # 6·10 // 12
    stale = run_check(Maintained(), _history(make_repo, [900, 600, 400]))
    assert stale.score == 0 and _probes(stale, "hasRecentCommits") == [False]


def test_maintained_created_recently_scores_0(make_repo, run_check):
    result = run_check(Maintained(), _history(make_repo, [10, 5, 1]))
    assert result.score == 0 and _probes(result, "createdRecently") == [True]  # Scorecard: min score, not -1


def _pull(fixture, number: int, *, author: str = "Bob", merger: str = "Ann", squash: bool = False,
          files: dict[str, str] | None = None) -> None:
    """Merge a pull request as the forge does: a merge commit by the merger, or one squashed commit."""
    fixture.git("checkout", "-q", "-b", f"pr{number}")
    fixture.commit(files or {f"pr{number}.txt": "x"}, author=author, email=f"{author.lower()}@acme.org",
                   message=f"feature {number}")
    fixture.git("checkout", "-q", "main")
    if squash:
        fixture.git("merge", "-q", "--squash", f"pr{number}")
        fixture.commit(author=author, email=f"{author.lower()}@acme.org", message=f"Feature {number} (#{number})",
                       extra_env=FORGE)
        return
    env = {"GIT_AUTHOR_NAME": merger, "GIT_AUTHOR_EMAIL": f"{merger.lower()}@acme.org", **FORGE}
    fixture.git("merge", "-q", "--no-ff", "-m", f"Merge pull request #{number} from bob/pr{number}", f"pr{number}",
                env=env)


def test_code_review_probe_per_changeset(make_repo, run_check):
    fixture = make_repo()
    fixture.commit({"a": "1"}, message="Initial import")
    _pull(fixture, 2)  # merged by someone else: reviewed, and git shows it
    _pull(fixture, 3, merger="Bob")  # merged by its author: approvals only on the forge
    _pull(fixture, 4, squash=True)
    fixture.commit({"g": "1"}, message="Fix\n\nReviewed-on: https://review.example/c/1\nReviewed-by: Carol <c@acme.org>")
    result = run_check(CodeReview(), fixture)
    assert sorted((p.outcome, p.data["basis"]) for p in result.probes) == [
        (False, "seen"), (True, "forge"), (True, "forge"), (True, "seen"), (True, "seen")]
    # 4 of 5 changesets reviewed (the branch commit of each merged PR is part of its changeset): 10·4 // 5
    assert result.score == 8 and result.reason.startswith("4 out of 5 changesets reviewed")
    assert "2 pull request(s) counted as reviewed without seeing their approvals" in result.reason


def test_code_review_is_proportional(make_repo, run_check):
    fixture = make_repo()
    fixture.commit({"a": "1"}, message="Initial import (#1)", extra_env=FORGE)
    for n in range(2, 9):
        _pull(fixture, n)
    for n in range(3):
        fixture.commit({f"d{n}": "1"}, message=f"push straight to main {n}")
    result = run_check(CodeReview(), fixture)
    assert result.score == 7 and result.reason.startswith("8 out of 11")  # 80 // 11, not a levelled 0


def test_code_review_bots(make_repo, run_check):
    fixture = make_repo()
    fixture.commit({"a": "1"}, message="Initial import (#1)", extra_env=FORGE)
    fixture.commit({"b": "1"}, message="Bump x (#2)", author="dependabot[bot]", email="4969+dependabot[bot]@x.com",
                   extra_env=FORGE)
    assert run_check(CodeReview(), fixture).score == 10  # the reviewed bot change is left out
    fixture.commit({"c": "1"}, message="Update notes", author="notes[bot]", email="notes[bot]@x.com")
    assert run_check(CodeReview(), fixture).score == 5  # an unreviewed bot change counts: 1 // 2
    bots = make_repo()
    bots.commit({"a": "1"}, message="Bump y (#3)", author="renovate[bot]", email="renovate[bot]@x.com",
                extra_env=FORGE)
    assert run_check(CodeReview(), bots).score == -1


def test_ci_tests_per_merged_pull_request(make_repo, run_check):
    fixture = make_repo()
    fixture.commit({"a": "1"}, days_ago=3)
    _pull(fixture, 2)  # before CI existed
    _pull(fixture, 3, files=PR_WORKFLOW)  # the pull request that added CI ran it
    _pull(fixture, 4, squash=True)
    result = run_check(CiTests(), fixture)
    assert sorted((p.data["pull"], p.outcome) for p in result.probes) == [(2, False), (3, True), (4, True)]
    assert result.score == 6 and "whether the runs passed is on the forge" in result.reason  # 10·2 // 3


def test_ci_tests_push_only_workflow_and_other_ci(make_repo, run_check):
    push_only = make_repo()
    push_only.commit({".github/workflows/ci.yml": "on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n"
                                                  "      - run: make test\n"})
    _pull(push_only, 2)
    assert run_check(CiTests(), push_only).score == 0
    travis = make_repo()
    travis.commit({".travis.yml": "script: npm test\n"})
    _pull(travis, 2)
    assert run_check(CiTests(), travis).score == 10
    none = make_repo()
    none.commit(PR_WORKFLOW)
    assert run_check(CiTests(), none).score == -1  # no merged pull request


def test_contributors(make_repo, run_check):
    fixture = make_repo()
    for domain in ("acme.org", "globex.com", "initech.io"):
        for n in range(5):
            fixture.commit({f"{domain}{n}": "x"}, author=f"dev@{domain}", email=f"dev@{domain}")
    result = run_check(Contributors(), fixture)
    assert result.score == 10 and _probes(result, "contributorsFromOrgOrCompany") == [True] * 3
    assert "email domains" in result.reason
    lone = make_repo()
    for n in range(6):
        lone.commit({str(n): "x"}, author="Solo", email="solo@gmail.com")
    for n in range(4):
        lone.commit({f"a{n}": "x"}, author="Ann", email="ann@acme.org")  # under 5 commits: not counted
    result = run_check(Contributors(), lone)
    assert result.score == 0 and _probes(result, "contributorsFromOrgOrCompany") == [False]


def test_a_local_commit_naming_a_pull_request_is_not_one(make_repo, run_check):
    fixture = make_repo()
    fixture.commit({"a": "1"}, message="Fix crash reported in (#12)")  # committed by its author, not by the forge
    result = run_check(CodeReview(), fixture)
    assert result.score == 0 and "pushed without a pull request" in result.details[0].message
