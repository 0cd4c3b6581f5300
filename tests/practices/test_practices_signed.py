"""Signed release tags with real signatures (a throwaway GPG key in a temporary GNUPGHOME, and SSH signing):
shown as releaseTagSigned findings, not scored, since Scorecard scores the release files on the forge."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from ossprov.practices.checks.signed_releases import SignedReleases


@pytest.fixture
def gnupghome():
    if not shutil.which("gpg"):
        pytest.skip("gpg not installed")
    home = tempfile.mkdtemp(prefix="g", dir="/tmp")  # short path: gpg-agent's socket must fit
    subprocess.run(["gpg", "--batch", "--quiet", "--passphrase", "", "--quick-gen-key",
                    "Release Bot <release@acme.org>", "ed25519", "sign", "never"],
                   env={"GNUPGHOME": home, "PATH": "/usr/bin:/bin"}, check=True, capture_output=True)
    yield home
    subprocess.run(["gpgconf", "--kill", "gpg-agent"], env={"GNUPGHOME": home, "PATH": "/usr/bin:/bin"},
                   check=False, capture_output=True)
    shutil.rmtree(home, ignore_errors=True)


def _signed_repo(make_repo, gnupghome: str):
    fixture = make_repo()
    fixture.commit({"a": "1"}, days_ago=3)
    env = {"GNUPGHOME": gnupghome}
    fixture.git("-c", "user.signingkey=release@acme.org", "-c", "user.name=R", "-c", "user.email=release@acme.org",
                "tag", "-s", "v1.0.0", "-m", "v1.0.0", env=env)
    return fixture


def test_gpg_signed_tag_verified(make_repo, run_check, gnupghome, monkeypatch):
    fixture = _signed_repo(make_repo, gnupghome)
    monkeypatch.setenv("GNUPGHOME", gnupghome)
    result = run_check(SignedReleases(), fixture)
    assert result.score == -1 and "on the forge, not in git" in result.reason
    assert [(p.outcome, p.data["status"]) for p in result.probes] == [(True, "verified")]
    assert "signature verified" in result.details[0].message


def test_gpg_signed_tag_without_the_key_is_signed_unverified(make_repo, run_check, gnupghome, monkeypatch, tmp_path):
    fixture = _signed_repo(make_repo, gnupghome)
    empty = tempfile.mkdtemp(prefix="e", dir="/tmp")
    monkeypatch.setenv("GNUPGHOME", empty)
    try:
        result = run_check(SignedReleases(), fixture)
    finally:
        shutil.rmtree(empty, ignore_errors=True)
    assert [(p.outcome, p.data["status"]) for p in result.probes] == [(True, "unverified")]
    assert "signed, unverified" in result.details[0].message


def test_unsigned_and_mixed_releases(make_repo, run_check, gnupghome, monkeypatch):
    fixture = _signed_repo(make_repo, gnupghome)
    fixture.commit({"b": "2"}, days_ago=1)
    fixture.git("tag", "-a", "v1.1.0", "-m", "v1.1.0", env={"GIT_COMMITTER_NAME": "R", "GIT_COMMITTER_EMAIL": "r@x"})
    fixture.git("tag", "not-a-release")
    monkeypatch.setenv("GNUPGHOME", gnupghome)
    result = run_check(SignedReleases(), fixture)
    assert {p.data["tag"]: p.outcome for p in result.probes} == {"v1.1.0": False, "v1.0.0": True}
    assert result.score == -1 and "1 of the 2 newest release tags are signed" in result.reason


def test_no_release_tags_is_inconclusive(make_repo, run_check):
    fixture = make_repo()
    fixture.commit({"a": "1"})
    assert run_check(SignedReleases(), fixture).score == -1


def test_ssh_signed_release_commit(make_repo, run_check, tmp_path: Path, monkeypatch):
    if not shutil.which("ssh-keygen"):
        pytest.skip("ssh-keygen not installed")
    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    fixture = make_repo()
    fixture.git("config", "gpg.format", "ssh")
    fixture.git("config", "user.signingkey", str(key))
    fixture.commit({"a": "1"}, args=("-S",))
    fixture.git("tag", "v2.0")  # lightweight tag: the release commit carries the signature
    assert run_check(SignedReleases(), fixture).probes[0].data["status"] == "unverified"
    signers = tmp_path / "allowed"
    signers.write_text(f"ann@acme.org {(tmp_path / 'key.pub').read_text()}")
    fixture.git("config", "gpg.ssh.allowedSignersFile", str(signers))
    assert run_check(SignedReleases(), fixture).probes[0].data["status"] != "verified"  # the repository may
    user_config = tmp_path / "user-gitconfig"  # not choose whom to trust; the user may
    user_config.write_text(f"[gpg \"ssh\"]\n\tallowedSignersFile = {signers}\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(user_config))
    assert run_check(SignedReleases(), fixture).probes[0].data["status"] == "verified"
