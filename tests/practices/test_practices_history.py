"""History checks on repositories whose commits are dated with GIT_AUTHOR_DATE / GIT_COMMITTER_DATE."""

from __future__ import annotations

from ossprov.practices.checks.code_review import CodeReview
from ossprov.practices.checks.contributors import Contributors
from ossprov.practices.checks.maintained import Maintained


def _history(make_repo, ages: list[float]):
    fixture = make_repo()
    for n, age in enumerate(sorted(ages, reverse=True)):
        fixture.commit({"f.txt": str(n)}, days_ago=age)
    return fixture


def test_maintained_active(make_repo, run_check):
    result = run_check(Maintained(), _history(make_repo, [200] + [i * 6 for i in range(13)]))
    assert result.score == 10 and "13 commit(s)" in result.reason


def test_maintained_partial(make_repo, run_check):
    assert run_check(Maintained(), _history(make_repo, [200, 80, 60, 40, 30, 20, 10])).score == 5  # 6·10 // 12


def test_maintained_stale_over_a_year(make_repo, run_check):
    result = run_check(Maintained(), _history(make_repo, [900, 600, 400]))
    assert result.score == 0 and "over a year" in result.reason


def test_maintained_too_new_is_inconclusive(make_repo, run_check):
    assert run_check(Maintained(), _history(make_repo, [10, 5, 1])).score == -1


def _merge_pr(fixture, number: int, author: str = "Bob", email: str = "bob@acme.org") -> None:
    fixture.git("checkout", "-q", "-b", f"pr{number}")
    fixture.commit({f"pr{number}.txt": "x"}, author=author, email=email, message=f"feature {number}")
    fixture.git("checkout", "-q", "main")
    env = {"GIT_AUTHOR_NAME": "Ann", "GIT_AUTHOR_EMAIL": "ann@acme.org", "GIT_COMMITTER_NAME": "Ann",
           "GIT_COMMITTER_EMAIL": "ann@acme.org"}
    fixture.git("merge", "-q", "--no-ff", "-m", f"Merge pull request #{number} from bob/pr{number}",
        f"pr{number}", env=env)


def test_code_review_all_through_pull_requests(make_repo, run_check):
    fixture = make_repo()
    fixture.commit({"a": "1"}, message="Initial import (#1)")
    for n in (2, 3):
        _merge_pr(fixture, n)
    fixture.commit({"b": "1"}, message="Fix typo\n\nReviewed-by: Carol <carol@acme.org>")
    result = run_check(CodeReview(), fixture)
    assert result.score == 10 and result.reason.startswith("4 out of 4")


def test_code_review_direct_pushes(make_repo, run_check):
    fixture = make_repo()
    fixture.commit({"a": "1"}, message="Initial import (#1)")
    fixture.commit({"b": "1"}, message="push straight to main")
    assert run_check(CodeReview(), fixture).score == 3
    fixture.commit({"c": "1"}, message="and again")
    assert run_check(CodeReview(), fixture).score == 0
    fixture.commit({"d": "1"}, message="Bump x", author="dependabot[bot]", email="49699333+dependabot[bot]@x.com")
    assert run_check(CodeReview(), fixture).score == 0


def test_contributors(make_repo, run_check):
    fixture = make_repo()
    for domain in ("acme.org", "globex.com", "initech.io"):
        for n in range(5):
            fixture.commit({f"{domain}{n}": "x"}, author=f"dev@{domain}", email=f"dev@{domain}")
    assert run_check(Contributors(), fixture).score == 10
    lone = make_repo()
    for n in range(6):
        lone.commit({str(n): "x"}, author="Solo", email="solo@gmail.com")
    lone.commit({"x": "x"}, author="Ann", email="ann@acme.org")
    result = run_check(Contributors(), lone)
    assert result.score == 0 and "2 recent author(s)" in result.reason
