"""The resident ossprov (issue 16): a command handed to the daemon comes out as it would have in its own process
(output, exit code, environment, working directory, signals), the daemon's own environment holds no credential,
stale code and a socket that is not private are never used, and a command whose caller is killed is killed too.

Real processes throughout: the `ossprov` client in a new interpreter, the daemon it starts, a loopback registry.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
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


def test_a_command_imports_from_where_its_own_process_would(daemon: dict, tmp_path: Path) -> None:
    """`python -m ossprov` has its working directory on the import path: a batch runner kept there
    (OSSPROV_BATCH_RUNNER=module:function) is found by the daemon's copy, and by the workers it spawns, as by the
    command's own process."""
    shutil.copy(Path(__file__).resolve().parents[1] / "batch" / "fake_runner.py", tmp_path / "cwd_runner.py")
    (tmp_path / "purls.txt").write_text("pkg:npm/a@1.0.0\npkg:npm/b@1.0.0\n")
    before = _served()
    for mode in ("auto", "off"):
        proc = ossprov("batch", "purls.txt", "--db", f"sqlite:///{tmp_path}/{mode}.db", "--workers", "1",
                       "--format", "json", cwd=tmp_path,
                       env={"OSSPROV_DAEMON": mode, "OSSPROV_BATCH_RUNNER": "cwd_runner:run"})
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["counts"]["done"] == 2
    assert _served() == before + 1


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


def _preloaded_library() -> str:
    """A library this interpreter has loaded already (the C library), so preloading it changes nothing else."""
    with open("/proc/self/maps") as maps:
        return next(line.split()[-1] for line in maps if "/libc.so" in line or "/libc-" in line)


@pytest.mark.parametrize("how", ["rlimit", "SCHED_IDLE", "LD_PRELOAD"])
def test_a_confined_command_is_not_run_by_a_daemon_started_outside_its_confinement(world: World, daemon: dict,
                                                                                    how: str) -> None:
    """A client under a lower resource limit (as `ulimit`, a sandbox or a container would set), at a lower
    scheduling class (`chrt --idle`, as a background job asks), or with a library preloaded into it (as `torsocks` and `proxychains` do to send its connections elsewhere), is not served by the
    daemon started without it: its command runs as started, in its own process or a daemon started alike."""
    import resource

    purl = _published(world)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    before = _served()
    confine = {"rlimit": lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft - 1, hard)),
               "SCHED_IDLE": lambda: os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))}  # `chrt --idle 0`
    if how in confine:
        proc = subprocess.run([sys.executable, "-m", "ossprov", "verify", purl, "--format", "json"],
                              capture_output=True, text=True, timeout=120, preexec_fn=confine[how])
    else:
        proc = ossprov("verify", purl, "--format", "json", env={"LD_PRELOAD": _preloaded_library()})
    assert proc.returncode == 0 and only_result(proc.stdout)["verdict"] == "faithful", proc.stderr
    assert _served() == before


def test_an_import_profile_is_of_the_commands_own_process(daemon: dict) -> None:
    """`-X importtime` and its environment form PYTHONPROFILEIMPORTTIME measure the process's own imports: such
    a command runs in its own process, whose profile shows the command's modules."""
    before = _served()
    for proc in (subprocess.run([sys.executable, "-X", "importtime", "-m", "ossprov", "verify"], capture_output=True,
                                text=True, timeout=60),
                 ossprov("verify", env={"PYTHONPROFILEIMPORTTIME": "1"})):
        assert proc.returncode == 2
        assert re.search(r"^import time:.*\|\s+ossprov\.cli$", proc.stderr, re.M), proc.stderr[-2000:]
    assert _served() == before


def test_the_daemon_holds_no_credential_of_the_command_that_started_it(runtime: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_resident_secret_0123456789")
    assert ossprov("daemon", "start").returncode == 0
    environ = psutil.Process(status()["pid"]).environ()
    assert "GITHUB_TOKEN" not in environ and environ["XDG_RUNTIME_DIR"] == str(runtime)


def _daemon_memory(pid: int) -> Iterator[bytes]:
    """The daemon's writable memory, region by region (it is this user's process, so /proc lets this user read it)."""
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for line in maps:
            span, perms = line.split()[:2]
            if perms.startswith("rw"):
                start, end = (int(x, 16) for x in span.split("-"))
                with contextlib.suppress(OSError, ValueError, OverflowError):
                    mem.seek(start)
                    yield mem.read(end - start)


def test_a_commands_credentials_never_reach_the_daemon(daemon: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the forked copy reads a command's environment and arguments: nothing of them is left in the daemon's
    memory (where a core dump, or the next copy, would find it)."""
    secret = "ghp_" + os.urandom(12).hex()
    before = _served()
    proc = ossprov("verify", f"pkg:npm/{secret}", env={"GITHUB_TOKEN": secret})
    assert proc.returncode == 2 and _served() == before + 1, proc.stderr
    try:
        regions = list(_daemon_memory(daemon["pid"]))
    except PermissionError:
        pytest.skip("this system does not let a process read another's memory")
    leaked = [i for i, region in enumerate(regions) if secret.encode() in region]
    assert regions and not leaked


def test_the_daemon_keeps_nothing_of_the_process_that_started_it(runtime: Path, tmp_path: Path) -> None:
    """A daemon started by a command does not keep that command's open files (a shell's `flock` on fd 9 would
    stay held for as long as the daemon lives) nor its working directory."""
    import fcntl

    with open(tmp_path / "job.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = subprocess.run([sys.executable, "-m", "ossprov", "verify"], capture_output=True, text=True,
                              cwd=tmp_path, pass_fds=(lock.fileno(),), timeout=60)
        assert proc.returncode == 2, proc.stderr
    deadline = time.monotonic() + 30
    while not (info := status())["running"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert info["running"]
    with open(tmp_path / "job.lock", "w") as again:
        fcntl.flock(again, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError if the daemon held it
    assert psutil.Process(info["pid"]).cwd() == "/"


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
    """The daemon's copy running a command (waits for it to appear): the child in a session of its own (the
    spare waiting for the next command is in the daemon's)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        for child in psutil.Process(daemon_pid).children():
            with contextlib.suppress(OSError):
                if os.getsid(child.pid) == child.pid:
                    return child
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


def _spares(daemon_pid: int) -> list[int]:
    """The daemon's children still in its session: the copy forked ahead of the next command."""
    spares = []
    for child in psutil.Process(daemon_pid).children():
        with contextlib.suppress(OSError):
            if os.getsid(child.pid) == os.getsid(daemon_pid):
                spares.append(child.pid)
    return spares


def test_a_command_runs_in_the_copy_forked_before_it_came_and_the_spare_ends_with_the_daemon(daemon: dict) -> None:
    deadline = time.monotonic() + 10
    while not _spares(daemon["pid"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    spare = _spares(daemon["pid"])
    assert len(spare) == 1, spare
    with _stalled_command(daemon) as (_, copy):
        assert copy is not None and copy.pid == spare[0]
        while (_spares(daemon["pid"]) in ([], spare)) and time.monotonic() < deadline + 10:
            time.sleep(0.05)
        after = _spares(daemon["pid"])
        assert len(after) == 1 and after != spare  # the next command's spare is forked already
    assert ossprov("daemon", "stop").returncode == 0
    end = time.monotonic() + 10
    while not _gone(after[0]) and time.monotonic() < end:
        time.sleep(0.05)
    assert _gone(after[0])


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_the_spare_owns_its_pages_before_the_command_comes(daemon: dict) -> None:
    """The spare copies the daemon's heap while it waits (its unique memory grows to most of what the daemon
    holds), so the command it runs does not stop at a page fault for each page it touches."""
    deadline = time.monotonic() + 20
    owned = 0
    while time.monotonic() < deadline:
        spare = _spares(daemon["pid"])
        with contextlib.suppress(psutil.Error):
            owned = psutil.Process(spare[0]).memory_full_info().uss if spare else 0
            if owned >= 0.5 * psutil.Process(daemon["pid"]).memory_info().rss:
                break
        time.sleep(0.1)
    assert owned >= 0.5 * psutil.Process(daemon["pid"]).memory_info().rss, owned


def test_only_dense_private_writable_mappings_are_copied() -> None:
    from ossprov.daemon.pages import writable_mappings

    smaps = ("00400000-00600000 r-xp 00000000 08:01 1 /usr/bin/python3\nRss:  2048 kB\n"
             "7f0000000000-7f0000100000 rw-p 00000000 00:00 0 \nSize: 1024 kB\nRss:  1024 kB\n"
             "7f1000000000-7f1040000000 rw-p 00000000 00:00 0 \nRss:  4096 kB\n"
             "7f2000000000-7f2000100000 rw-s 00000000 00:05 3 /dev/shm/x\nRss:  1024 kB\n")
    assert writable_mappings(smaps) == [(0x7F0000000000, 0x7F0000100000)]


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


def _daemon_socket_path() -> str:
    """Where this test's clients look for their daemon."""
    return subprocess.run([sys.executable, "-c", "from ossprov.daemon import protocol as p; "
                           "print(p.socket_path(p.identity()))"], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_a_socket_directory_others_can_enter_is_not_used(world: World, runtime: Path) -> None:
    """Another user could have put a listening socket there: the client does not even connect to it."""
    path = _daemon_socket_path()  # makes the private directory, then opened to others
    os.chmod(runtime / "ossprov", 0o755)
    planted = socket.socket(socket.AF_UNIX)
    planted.bind(path)
    planted.listen(4)
    planted.setblocking(False)
    try:
        proc = ossprov("verify", _published(world), "--format", "json")
        assert proc.returncode == 0 and only_result(proc.stdout)["verdict"] == "faithful", proc.stderr
        with pytest.raises(BlockingIOError):  # a connection, had the client made one, would wait here
            planted.accept()
    finally:
        planted.close()
    refused = ossprov("daemon", "status")
    assert refused.returncode == 6 and "not a private directory" in refused.stderr


def test_the_daemon_follows_no_link_planted_in_its_directory(runtime: Path, tmp_path: Path) -> None:
    """Were the directory someone else's to write (a race, a shared TMPDIR), a link planted where the daemon
    writes its log would make it truncate the file it names: it replaces the link instead."""
    victim = tmp_path / "authorized_keys"
    victim.write_text("ssh-ed25519 AAAA... keep me\n")
    base = _daemon_socket_path().removesuffix(".sock")
    os.symlink(victim, f"{base}.log")
    assert ossprov("daemon", "start").returncode == 0
    assert victim.read_text() == "ssh-ed25519 AAAA... keep me\n"
    assert not os.path.islink(f"{base}.log") and status()["running"]


@pytest.mark.skipif(os.geteuid() != 0, reason="another user's process is needed")
def test_a_socket_of_another_user_is_sent_nothing(world: World, runtime: Path) -> None:
    """Someone else listens where the daemon is looked for (the private directory's check raced, or root made it
    so): the client sees it is not its own user's and sends it nothing, neither environment nor descriptors."""
    bound = socket.socket(socket.AF_UNIX)
    bound.bind(_daemon_socket_path())
    report_r, report_w = os.pipe()
    impostor = os.fork()
    if impostor == 0:  # nobody listens on it, and counts what it is sent
        try:
            os.setgid(65534)
            os.setuid(65534)
            bound.listen(4)
            os.write(report_w, b"ready\n")
            conn, _ = bound.accept()
            conn.settimeout(60)
            got = 0
            while chunk := conn.recv(1 << 16):
                got += len(chunk)
            os.write(report_w, b"%d\n" % got)
        finally:
            os._exit(0)
    os.close(report_w)
    bound.close()
    try:
        with os.fdopen(report_r) as report:
            assert report.readline() == "ready\n"
            proc = ossprov("verify", _published(world), "--format", "json", env={"GITHUB_TOKEN": "ghp_not_for_you"})
            assert proc.returncode == 0 and only_result(proc.stdout)["verdict"] == "faithful", proc.stderr
            assert report.readline() == "0\n"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(impostor, signal.SIGKILL)
        os.waitpid(impostor, 0)


def test_a_socket_that_does_not_speak_the_protocol_is_not_trusted(world: World, runtime: Path) -> None:
    """Something else listens where the daemon's socket is looked for: it answers garbage, then nothing; the
    command runs in its own process and its result is right."""
    impostor = socket.socket(socket.AF_UNIX)
    impostor.bind(_daemon_socket_path())
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


def test_hostile_requests_neither_stop_nor_hold_up_the_daemon(world: World, daemon: dict) -> None:
    """Connections that send a byte now and then, nothing at all, a huge length, descriptors without a message,
    or a command that is garbage: each is dropped in a bounded time, and the next command is served."""
    import threading

    path, ident = subprocess.run([sys.executable, "-c", "from ossprov.daemon import protocol as p; i = p.identity();"
                                  "print(p.socket_path(i)); print(i.hex())"], capture_output=True, text=True,
                                 check=True).stdout.split()
    purl = _published(world)
    before = _served()
    done = threading.Event()
    hostile = [socket.socket(socket.AF_UNIX) for _ in range(5)]
    for conn in hostile:
        conn.connect(path)
    dripping, _silent, huge, bare, garbage = hostile

    def drip() -> None:
        with contextlib.suppress(OSError):
            dripping.sendall((1000).to_bytes(4, "big"))
            while not done.wait(0.2):
                dripping.sendall(b"x")

    threading.Thread(target=drip, daemon=True).start()
    huge.sendall(b"\xff\xff\xff\xff")
    with open(os.devnull) as null:
        bare.sendmsg([b"\0"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct_fds(*[null.fileno()] * 3))])
        head = b"\0".join([b"ossprov-daemon/3", b"run", bytes.fromhex(ident)])
        garbage.sendmsg([len(head).to_bytes(4, "big")],
                        [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct_fds(*[null.fileno()] * 3))])
        body = b"not\0a\0command"
        garbage.sendall(head + len(body).to_bytes(4, "big") + body)
    bare.close()
    try:
        proc = ossprov("verify", purl, "--format", "json")
        assert proc.returncode == 0 and only_result(proc.stdout)["verdict"] == "faithful", proc.stderr
        assert garbage.recv(64) == b""  # its copy found no command and ran nothing
        assert _served() == before + 2 and status()["pid"] == daemon["pid"]  # the garbage's copy, and the command
    finally:
        done.set()
        for conn in hostile:
            conn.close()


def struct_fds(*fds: int) -> bytes:
    """Descriptors as SCM_RIGHTS carries them."""
    import array

    return array.array("i", fds).tobytes()


STREAMS_PROBE = """
import os, sys
from ossprov.daemon import client, server
specs = [[part.decode() for part in client._stream(s)] for s in (sys.stdin, sys.stdout, sys.stderr)]
copies = [server._text_stream(fd, *spec) for fd, spec in enumerate(specs)]
own = sys.stdin.read()
os.lseek(0, 0, os.SEEK_SET)
def shape(s):
    return type(s.buffer).__name__, s.encoding, s.errors, s.line_buffering, s.write_through
print(repr(own), repr(copies[0].read()))
print([shape(s) for s in (sys.stdin, sys.stdout, sys.stderr)])
print([shape(s) for s in copies])
"""


@pytest.mark.parametrize("how", [[], ["-u"], ["PYTHONIOENCODING=latin-1:replace"]])
def test_a_copys_streams_are_opened_as_its_callers_interpreter_opened_them(how: list[str], tmp_path: Path) -> None:
    """The copy wraps the caller's descriptors as the caller's interpreter did: the same encoding, errors and
    buffering (`-u`, PYTHONUNBUFFERED), and stdin read without newline translation (a CR LF stays)."""
    (tmp_path / "in").write_bytes(b"a\r\nb\rc\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONUNBUFFERED", "PYTHONIOENCODING")}
    env.update(item.partition("=")[::2] for item in how if "=" in item)
    with open(tmp_path / "in", "rb") as stdin:
        proc = subprocess.run([sys.executable, *(f for f in how if "=" not in f), "-c", STREAMS_PROBE], stdin=stdin,
                              capture_output=True, text=True, env=env, timeout=60)
    read, own, copied = proc.stdout.splitlines()
    assert read == "'a\\r\\nb\\rc\\n' 'a\\r\\nb\\rc\\n'", proc.stderr
    assert own == copied


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


def test_a_daemon_killed_outright_is_replaced(world: World, daemon: dict, runtime: Path) -> None:
    """`kill -9` leaves the socket behind: the next command runs in its own process, right, and starts a daemon
    that takes the stale socket's place."""
    psutil.Process(daemon["pid"]).kill()
    psutil.Process(daemon["pid"]).wait(timeout=10)
    assert list((runtime / "ossprov").glob("*.sock"))
    proc = ossprov("verify", _published(world), "--format", "json")
    assert proc.returncode == 0 and only_result(proc.stdout)["verdict"] == "faithful", proc.stderr
    deadline = time.monotonic() + 30
    while not (info := status())["running"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert info["running"] and info["pid"] != daemon["pid"]


def test_a_daemon_whose_directory_is_removed_goes_away(daemon: dict, runtime: Path) -> None:
    """No client can reach it any more (a new daemon is started in the new directory): it exits, rather than
    idling for the rest of its 15 minutes."""
    shutil.rmtree(runtime / "ossprov")
    psutil.Process(daemon["pid"]).wait(timeout=30)


def _daemons(runtime: Path) -> list[psutil.Process]:
    """The daemons (not their copies) started for this test's runtime directory."""
    found = []
    for process in psutil.process_iter(["cmdline", "environ", "ppid"]):
        with contextlib.suppress(psutil.Error):
            if ("ossprov.daemon.server" in (process.info["cmdline"] or [])
                    and (process.info["environ"] or {}).get("XDG_RUNTIME_DIR") == str(runtime)
                    and "ossprov.daemon.server" not in psutil.Process(process.info["ppid"]).cmdline()):
                found.append(process)
    return found


def test_commands_started_together_start_one_daemon(runtime: Path) -> None:
    clients = [subprocess.Popen([sys.executable, "-m", "ossprov", "verify"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL) for _ in range(4)]
    assert [client.wait(timeout=60) for client in clients] == [2] * 4
    deadline = time.monotonic() + 30
    while not status()["running"] or len(_daemons(runtime)) > 1:
        assert time.monotonic() < deadline, _daemons(runtime)
        time.sleep(0.1)
    assert [p.pid for p in _daemons(runtime)] == [status()["pid"]]


@pytest.mark.parametrize("how", ["stopped", "idle"])
def test_a_daemon_that_ends_lets_running_commands_finish(runtime: Path, monkeypatch: pytest.MonkeyPatch,
                                                         how: str) -> None:
    """`ossprov daemon stop`, or its idle time running out, ends the daemon; a command it runs goes on, and still
    answers Ctrl-C."""
    monkeypatch.setenv("OSSPROV_DAEMON_IDLE", "2" if how == "idle" else "900")
    assert ossprov("daemon", "start").returncode == 0
    daemon = status()
    with _stalled_command(daemon) as (client, copy):
        assert copy is not None
        if how == "stopped":
            assert ossprov("daemon", "stop").stdout == "stopped\n"
        psutil.Process(daemon["pid"]).wait(timeout=30)
        assert copy.is_running() and client.poll() is None
        client.send_signal(signal.SIGINT)
        _, err = client.communicate(timeout=30)
        assert client.returncode == 130, err
