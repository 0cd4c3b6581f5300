"""The user's git settings (mirror mappings, proxies) are read by one `git config` per state of the files they
come from, kept in the cache across processes; a change to any of those files, an included one or one created
later, is seen by the next git call; a setting holding a credential is never written to the cache."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ossprov.source import git


def _old(path: Path) -> None:
    """Date the file back: the memo does not trust the stamp of a file changed this very second."""
    os.utime(path, (os.stat(path).st_atime - 10, os.stat(path).st_mtime - 10))


@pytest.fixture
def asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `git` first on PATH that logs each `git config` it runs; each test starts as a new process would."""
    log = tmp_path / "git.log"
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "git").write_text(f'#!/bin/sh\n[ "$1" = config ] && echo "$*" >> "{log}"\nexec {shutil.which("git")} "$@"\n')
    (bindir / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    monkeypatch.setattr(git, "_USER_MEMO", {})
    return log


def _mirrors(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """The insteadOf values a git call gets, as a new process would compute them."""
    monkeypatch.setattr(git, "_USER_MEMO", {})
    env = git.git_env()
    keys = {env[k]: env[k.replace("KEY", "VALUE")] for k in env if k.startswith("GIT_CONFIG_KEY_")}
    return {v for k, v in keys.items() if k.endswith(".insteadof")}


def _calls(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_git_is_asked_again_only_when_a_config_file_changes(asked: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    glob = Path(os.environ["GIT_CONFIG_GLOBAL"])
    included = tmp_path / "included.gitconfig"
    glob.write_text(f'[url "file:///mirror/a/"]\n\tinsteadOf = https://a.example/\n[include]\n\tpath = {included}\n')
    _old(glob)
    assert _mirrors(monkeypatch) == {"https://a.example/"}
    assert _mirrors(monkeypatch) == {"https://a.example/"}
    assert _calls(asked) == 1  # the second "process" read the memo
    included.write_text('[url "file:///mirror/b/"]\n\tinsteadOf = https://b.example/\n')  # did not exist before
    _old(included)
    assert _mirrors(monkeypatch) == {"https://a.example/", "https://b.example/"}
    assert _calls(asked) == 2
    glob.write_text('[url "file:///mirror/c/"]\n\tinsteadOf = https://c.example/\n')
    _old(glob)
    assert _mirrors(monkeypatch) == {"https://c.example/"}
    other = tmp_path / "other.gitconfig"
    other.write_text('[url "file:///mirror/d/"]\n\tinsteadOf = https://d.example/\n')
    _old(other)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(other))
    assert _mirrors(monkeypatch) == {"https://d.example/"}
    assert _calls(asked) == 4


def test_a_file_changed_this_instant_is_read_again(asked: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    glob = Path(os.environ["GIT_CONFIG_GLOBAL"])
    glob.write_text('[url "file:///mirror/a/"]\n\tinsteadOf = https://a.example/\n')
    _mirrors(monkeypatch)
    glob.write_text('[url "file:///mirror/b/"]\n\tinsteadOf = https://b.example/\n')  # same size, same tick
    assert _mirrors(monkeypatch) == {"https://b.example/"}


def test_a_credential_in_the_users_settings_never_reaches_the_cache(asked: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    glob = Path(os.environ["GIT_CONFIG_GLOBAL"])
    glob.write_text('[url "https://user:s3cretvalue@mirror.example/"]\n\tinsteadOf = https://a.example/\n')
    _old(glob)
    assert _mirrors(monkeypatch) == {"https://a.example/"}
    assert _mirrors(monkeypatch) == {"https://a.example/"}  # used, and asked again rather than kept
    assert _calls(asked) == 2
    cache = Path(os.environ["OSSPROV_CACHE"])
    assert not [p for p in cache.rglob("*") if p.is_file() and b"s3cretvalue" in p.read_bytes()]


def test_a_proxy_password_without_a_scheme_never_reaches_the_cache(asked: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """git takes `http.proxy = user:password@host:port`: no `://` for a URL redaction to see."""
    glob = Path(os.environ["GIT_CONFIG_GLOBAL"])
    glob.write_text('[http]\n\tproxy = alice:s3cretvalue@127.0.0.1:3128\n'
                    '[url "file:///mirror/a/"]\n\tinsteadOf = https://a.example/\n')
    _old(glob)
    for _ in range(2):
        monkeypatch.setattr(git, "_USER_MEMO", {})
        assert ("http.proxy", "alice:s3cretvalue@127.0.0.1:3128") in _passed(git.git_env())
    assert _calls(asked) == 2
    cache = Path(os.environ["OSSPROV_CACHE"])
    assert not [p for p in cache.rglob("*") if p.is_file() and b"s3cretvalue" in p.read_bytes()]


def test_an_ssh_user_is_no_credential(asked: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The common `git@host:` mirror mapping is kept: a user name for SSH is no secret."""
    glob = Path(os.environ["GIT_CONFIG_GLOBAL"])
    glob.write_text('[url "git@forge.example:"]\n\tinsteadOf = https://forge.example/\n')
    _old(glob)
    assert _mirrors(monkeypatch) == _mirrors(monkeypatch) == {"https://forge.example/"}
    assert _calls(asked) == 1


def _passed(env: dict[str, str]) -> set[tuple[str, str]]:
    """The settings a git call gets through GIT_CONFIG_KEY_n/VALUE_n."""
    return {(env[k], env[k.replace("KEY", "VALUE")]) for k in env if k.startswith("GIT_CONFIG_KEY_")}


def _mirror_a() -> None:
    """The global config maps https://a.example/ to a mirror (dated back: its stamp is trusted)."""
    glob = Path(os.environ["GIT_CONFIG_GLOBAL"])
    glob.write_text('[url "file:///mirror/a/"]\n\tinsteadOf = https://a.example/\n')
    _old(glob)


def _memo_file(cache: Path) -> Path:
    memos = [p for p in (cache / git.USER_SETTINGS).iterdir() if not p.name.startswith(".")]
    assert len(memos) == 1, memos
    return memos[0]


@pytest.mark.parametrize("damage", [b"{", b"[]", b"{}", b'{"files": [[1, null]], "settings": []}',
                                    b'{"files": [["/etc/x\\u0000", null]], "settings": []}',
                                    b'{"files": [], "settings": [["a"]]}'])
def test_a_damaged_memo_is_asked_again_never_a_traceback(asked: Path, monkeypatch: pytest.MonkeyPatch,
                                                         damage: bytes) -> None:
    _mirror_a()
    _mirrors(monkeypatch)
    _memo_file(Path(os.environ["OSSPROV_CACHE"])).write_bytes(damage)
    assert _mirrors(monkeypatch) == {"https://a.example/"}
    assert _calls(asked) == 2


def test_a_memo_others_could_write_is_never_believed(asked: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A shared cache directory: a planted memo would map the forge's repository to another one."""
    _mirror_a()
    _mirrors(monkeypatch)
    memo = _memo_file(Path(os.environ["OSSPROV_CACHE"]))
    memo.write_bytes(memo.read_bytes().replace(b"https://a.example/", b"https://forge.example/"))
    assert _mirrors(monkeypatch) == {"https://forge.example/"}  # the user's own memo is the user's own cache
    memo.chmod(0o666)
    assert _mirrors(monkeypatch) == {"https://a.example/"}


def test_a_git_config_that_failed_is_not_remembered(asked: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """git could not read the settings once (a file it was not allowed to read): the next run asks again."""
    _mirror_a()
    failing = tmp_path / "failing-bin"
    failing.mkdir()
    (failing / "git").write_text(f'#!/bin/sh\n[ "$1" = config ] && echo "$*" >> "{asked}" && exit 128\n'
                                 f'exec {shutil.which("git")} "$@"\n')
    (failing / "git").chmod(0o755)
    path = os.environ["PATH"]
    monkeypatch.setenv("PATH", f"{failing}:{path}")
    assert _mirrors(monkeypatch) == set()
    monkeypatch.setenv("PATH", path)
    assert _mirrors(monkeypatch) == {"https://a.example/"}
