"""The resident ossprov (issue 16): a command handed to the daemon comes out as it would have in its own process
(output, exit code, environment, working directory, signals), the daemon's own environment holds no credential,
stale code and a socket that is not private are never used, and a command whose caller is killed is killed too.

Real processes throughout: the `ossprov` client in a new interpreter, the daemon it starts, a loopback registry.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from ossprov.fixtures.world import World
from tests.conftest import npm_project, only_result

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the daemon speaks over a Unix socket")


def ossprov(*argv: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
    """`ossprov ARGV` in a new interpreter, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "ossprov", *argv], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout, env={**os.environ, **(env or {})})


def status() -> dict:
    proc = ossprov("daemon", "status", "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private runtime directory for this test's daemons (short: a socket's path is limited to ~100 bytes);
    every daemon started there is gone after the test."""
    path = Path(tempfile.mkdtemp(prefix="od-"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(path))
    monkeypatch.setenv("OSSPROV_DAEMON", "auto")
    yield path
    for process in psutil.process_iter(["cmdline", "environ"]):
        with contextlib.suppress(psutil.Error):
            if ("ossprov.daemon.server" in (process.info["cmdline"] or [])
                    and (process.info["environ"] or {}).get("XDG_RUNTIME_DIR") == str(path)):
                process.kill()
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def daemon(runtime: Path) -> dict:
    """This test's own daemon, started and listening."""
    started = ossprov("daemon", "start")
    assert started.returncode == 0, started.stderr
    info = status()
    assert info["running"], info
    return info


def _served() -> int:
    return status()["served"]


def _published(world: World, name: str = "resident") -> str:
    repo, pkg = npm_project(world, f"acme/{name}", name, "1.0.0", {f"lib/m{i}.js": f"exports.n = {i};\n"
                                                                     for i in range(5)})
    sha = repo.commit("release")
    repo.tag("v1.0.0")
    return world.publish_npm(world.npm_pack(pkg), git_head=sha)


def _tampered(world: World) -> str:
    from ossprov.fixtures import hijack

    return hijack.ATTACKS["npm-single-module-tampered"](world).purl


def _comparable(stdout: str) -> dict:
    result = only_result(stdout)
    return {"verdict": result["verdict"], "rules": sorted((f["rule"], f.get("path") or "")
                                                         for f in result["findings"])}


def test_a_handed_over_command_prints_and_exits_as_in_its_own_process(world: World, daemon: dict) -> None:
    genuine, tampered = _published(world), _tampered(world)
    before = _served()
    served = [ossprov("verify", purl, "--format", "json") for purl in (genuine, tampered)]
    assert _served() == before + 2  # both ran in the daemon's copies, not in the clients
    alone = [ossprov("verify", purl, "--format", "json", env={"OSSPROV_DAEMON": "off"}) for purl in (genuine, tampered)]
    assert [p.returncode for p in served] == [p.returncode for p in alone] == [0, 1]
    assert [_comparable(p.stdout) for p in served] == [_comparable(p.stdout) for p in alone]
    assert _comparable(served[0].stdout)["verdict"] == "faithful"
    assert _comparable(served[1].stdout)["verdict"] == "mismatch"
    usage = ossprov("verify", "not-a-purl")
    assert usage.returncode == 2 and usage.stderr.startswith("ossprov: error:") and "Traceback" not in usage.stderr


def test_usage_lines_name_the_program_as_its_caller_ran_it(daemon: dict, tmp_path: Path) -> None:
    """click names the program after `__main__` and `sys.argv[0]`: `python -m ossprov`, or the script's name
    (pip's `ossprov` script), never the daemon's module."""
    script = tmp_path / "bin" / "ossprov"
    script.parent.mkdir()
    script.write_text(f"#!{sys.executable}\nfrom ossprov.daemon.client import main\nmain()\n")
    script.chmod(0o755)
    before = _served()
    for command in ([sys.executable, "-m", "ossprov", "verify"], [str(script), "verify"]):
        served, alone = (subprocess.run(command, capture_output=True, text=True, timeout=60,
                                        env={**os.environ, "OSSPROV_DAEMON": mode}) for mode in ("auto", "off"))
        assert served.returncode == alone.returncode == 2
        assert served.stderr == alone.stderr, served.stderr
    assert alone.stderr.startswith("Usage: ossprov verify [OPTIONS]")
    assert _served() == before + 2


def test_each_command_runs_in_its_callers_environment_and_directory(world: World, daemon: dict,
                                                                    tmp_path: Path) -> None:
    purl = _published(world)
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    port = dead.getsockname()[1]
    dead.close()  # nothing listens there now
    unreachable = ossprov("verify", purl, "--format", "json",
                          env={"OSSPROV_NPM_REGISTRY": f"http://127.0.0.1:{port}/npm/", "OSSPROV_CACHE": str(tmp_path / "c1")})
    assert unreachable.returncode == 3, unreachable.stdout + unreachable.stderr
    assert f"127.0.0.1:{port}" in unreachable.stderr
    again = ossprov("verify", purl, "--format", "json")  # the previous command's environment did not stay behind
    assert again.returncode == 0, again.stderr
    tarball = next((world.root / "packs").glob("resident-1.0.0.tgz"))
    shutil.copy(tarball, tmp_path / "here.tgz")
    relative = ossprov("verify", purl, "--artifact", "here.tgz", "--format", "json", cwd=tmp_path)
    assert relative.returncode == 0, relative.stderr
    assert only_result(relative.stdout)["verdict"] == "faithful"
    assert _served() >= daemon["served"] + 3
    with open(tarball, "rb") as held:  # `--artifact <(...)`: a descriptor only the client has
        fd = held.fileno()
        own = subprocess.run([sys.executable, "-m", "ossprov", "verify", purl, "--artifact", f"/dev/fd/{fd}",
                              "--format", "json"], capture_output=True, text=True, pass_fds=(fd,), timeout=120)
    assert own.returncode == 0 and only_result(own.stdout)["verdict"] == "faithful", own.stderr


def test_a_confined_command_is_not_run_by_a_daemon_started_outside_its_confinement(world: World,
                                                                                    daemon: dict) -> None:
    """A client under a lower resource limit (as `ulimit`, a sandbox or a container would set) is not served by
    the daemon started without it: its command runs confined, in its own process or a daemon confined alike."""
    import resource

    purl = _published(world)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    before = _served()
    proc = subprocess.run([sys.executable, "-m", "ossprov", "verify", purl, "--format", "json"],
                          capture_output=True, text=True, timeout=120,
                          preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft - 1, hard)))
    assert proc.returncode == 0 and only_result(proc.stdout)["verdict"] == "faithful", proc.stderr
    assert _served() == before


def test_the_daemon_holds_no_credential_of_the_command_that_started_it(runtime: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_resident_secret_0123456789")
    assert ossprov("daemon", "start").returncode == 0
    environ = psutil.Process(status()["pid"]).environ()
    assert "GITHUB_TOKEN" not in environ and environ["XDG_RUNTIME_DIR"] == str(runtime)


def test_changed_code_is_never_served(world: World, daemon: dict, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A directory on the import path changes (a package installed): the daemon answers `stale` and stops, and
    the command runs in its own process with the right result."""
    purl = _published(world)
    extra = Path(tempfile.mkdtemp(prefix="op-"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(extra), os.environ.get("PYTHONPATH", "")]).rstrip(":"))
    assert ossprov("daemon", "start").returncode == 0
    mine = status()
    assert mine["running"] and mine["pid"] != daemon["pid"]  # another import path: another daemon
    (extra / "newly_installed.py").write_text("")
    os.utime(extra, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    proc = ossprov("verify", purl, "--format", "json")
    assert proc.returncode == 0 and only_result(proc.stdout)["verdict"] == "faithful", proc.stderr
    deadline = time.monotonic() + 10
    while psutil.pid_exists(mine["pid"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not psutil.pid_exists(mine["pid"]) or psutil.Process(mine["pid"]).status() == psutil.STATUS_ZOMBIE
    shutil.rmtree(extra, ignore_errors=True)


def _stalled_registry() -> socket.socket:
    """A loopback port that takes connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    return server


def _copy_of(daemon_pid: int, deadline: float = 20) -> psutil.Process:
    """The daemon's copy running a command (waits for it to appear)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        children = psutil.Process(daemon_pid).children()
        if children:
            return children[0]
        time.sleep(0.05)
    raise AssertionError("no command started in the daemon")


@contextlib.contextmanager
def _stalled_command(daemon: dict | None) -> Iterator[tuple[subprocess.Popen, psutil.Process | None]]:
    """`ossprov verify` of a package whose registry never answers, and the daemon's copy running it (None without
    a daemon); the client in a process group of its own, as a shell starts a job."""
    stalled = _stalled_registry()
    env = {**os.environ, "OSSPROV_NPM_REGISTRY": f"http://127.0.0.1:{stalled.getsockname()[1]}/npm/",
           "OSSPROV_TIMEOUT": "120", **({} if daemon else {"OSSPROV_DAEMON": "off"})}
    client = subprocess.Popen([sys.executable, "-m", "ossprov", "verify", "pkg:npm/slow@1.0.0"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, process_group=0)
    try:
        yield client, _copy_of(daemon["pid"]) if daemon else None
    finally:
        with contextlib.suppress(ProcessLookupError):
            client.kill()
        client.communicate()
        stalled.close()


@pytest.mark.parametrize("how", ["interrupted", "killed", "hung up"])
def test_a_command_ends_with_its_caller(daemon: dict, how: str) -> None:
    """Ctrl-C reaches the command (exit 130, as in its own process); a HUP ends it as it would have ended its own
    process, by the signal; a client killed outright takes its command and the command's processes with it."""
    with _stalled_command(daemon) as (client, copy):
        assert copy is not None
        if how == "interrupted":
            client.send_signal(signal.SIGINT)
            _, err = client.communicate(timeout=30)
            assert client.returncode == 130, err
            assert "interrupted" in err
        elif how == "hung up":
            client.send_signal(signal.SIGHUP)
            _, err = client.communicate(timeout=30)
            assert client.returncode == -signal.SIGHUP and err == "", err
        else:
            client.kill()
            client.wait(timeout=10)
        copy.wait(timeout=30)
        assert not psutil.pid_exists(copy.pid) or copy.status() == psutil.STATUS_ZOMBIE
    if how == "hung up":  # as in its own process
        with _stalled_command(None) as (alone, _):
            alone.send_signal(signal.SIGHUP)
            assert alone.wait(timeout=30) == -signal.SIGHUP


def _state_of(process: psutil.Process, state: str, deadline: float = 20) -> bool:
    """Whether `process` reaches `state` (stopped, running...) within the deadline."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if process.status() == state or (state == psutil.STATUS_RUNNING
                                         and process.status() == psutil.STATUS_SLEEPING):
            return True
        time.sleep(0.05)
    return False


def test_ctrl_z_stops_the_command_and_fg_continues_it(daemon: dict) -> None:
    """Ctrl-Z (a TSTP to the client's process group) stops the command, not only the client that waits for it;
    `fg` (a CONT) continues both, and the command still answers Ctrl-C."""
    with _stalled_command(daemon) as (client, copy):
        assert copy is not None
        os.killpg(client.pid, signal.SIGTSTP)
        assert _state_of(psutil.Process(client.pid), psutil.STATUS_STOPPED)
        assert _state_of(copy, psutil.STATUS_STOPPED)
        os.killpg(client.pid, signal.SIGCONT)
        assert _state_of(copy, psutil.STATUS_RUNNING) and _state_of(psutil.Process(client.pid), psutil.STATUS_RUNNING)
        client.send_signal(signal.SIGINT)
        _, err = client.communicate(timeout=30)
        assert client.returncode == 130, err


def test_a_socket_directory_others_can_enter_is_not_used(world: World, runtime: Path) -> None:
    (runtime / "ossprov").mkdir()
    os.chmod(runtime / "ossprov", 0o755)
    proc = ossprov("verify", _published(world), "--format", "json")
    assert proc.returncode == 0 and only_result(proc.stdout)["verdict"] == "faithful", proc.stderr
    time.sleep(1)  # a daemon, had one been started, would have made its lock and log by now
    assert list((runtime / "ossprov").iterdir()) == []
    refused = ossprov("daemon", "status")
    assert refused.returncode == 6 and "not a private directory" in refused.stderr


def test_a_socket_that_does_not_speak_the_protocol_is_not_trusted(world: World, runtime: Path) -> None:
    """Something else listens where the daemon's socket is looked for: it answers garbage, then nothing; the
    command runs in its own process and its result is right."""
    path = subprocess.run([sys.executable, "-c", "from ossprov.daemon import protocol as p; "
                           "print(p.socket_path(p.identity()))"], capture_output=True, text=True,
                          check=True).stdout.strip()
    impostor = socket.socket(socket.AF_UNIX)
    impostor.bind(path)
    impostor.listen(4)
    try:
        client = subprocess.Popen([sys.executable, "-m", "ossprov", "verify", _published(world), "--format", "json"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        conn, _ = impostor.accept()
        conn.recv(1 << 16)
        conn.sendall(b"exit 0\n")
        conn.close()
        out, err = client.communicate(timeout=60)
        assert client.returncode == 0 and only_result(out)["verdict"] == "faithful", err
    finally:
        impostor.close()


def test_a_bad_mode_is_a_usage_error() -> None:
    proc = ossprov("verify", "pkg:npm/x@1", env={"OSSPROV_DAEMON": "sometimes"})
    assert proc.returncode == 2
    assert proc.stderr.strip() == "ossprov: error: OSSPROV_DAEMON must be auto or off, not 'sometimes'"


def test_an_idle_daemon_goes_away(runtime: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSSPROV_DAEMON_IDLE", "1")
    assert ossprov("daemon", "start").returncode == 0
    psutil.Process(status()["pid"]).wait(timeout=20)
    assert not status()["running"]
    assert not list((runtime / "ossprov").glob("*.sock"))
