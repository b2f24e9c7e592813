"""Who the embedded server's processes run as.

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
"""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import functools
import os
import pwd
import shutil
import signal
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import PostgresError

SERVER_USER = "tickhub-postgres"


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


def hand_over(pgdata: Path, uid: int, gid: int) -> None:
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


def choose_user(root: Path, pgdata: Path, programs: Path) -> RunAs:
    """Root's server: the system user when it can reach the data directory and the
    programs, else that user's uid in a user namespace mapped onto root, else one
    error line that says what to do (we do not loosen other people's directories,
    a home at mode 700, behind their back)."""
    user = server_user()
    paths = (("data directory", pgdata), ("program", programs / "postgres"))
    opened = (root.parent, root)  # ours: EmbeddedPostgres._prepare_dirs opens them for it
    closed = [(what, path, _first_closed(path, user, opened)) for what, path in paths]
    if all(directory is None for _, _, directory in closed):
        return user
    namespaced = dataclasses.replace(user, namespaced=True)
    still_closed = [_first_closed(path, namespaced) for _, path in paths]
    if all(directory is None for directory in still_closed):
        if user_namespaces_work(programs / "postgres", user):
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


def as_user(user: RunAs) -> tuple[int | None, int | None, list[int] | None]:
    """subprocess's user, group and extra_groups: the server's user, or unchanged
    (ourselves, or a user namespace, which :func:`preexec_fn` enters)."""
    if user == RunAs.current() or user.namespaced:
        return None, None, None
    return user.uid, user.gid, []


def preexec_fn(user: RunAs, *, die_with_parent: bool) -> Callable[[], None] | None:
    """The child's ``preexec_fn``: into the user namespace, if the server runs in
    one, then the parent-death signal, last (a change of credentials clears it)."""
    steps: list[Callable[[], None]] = []
    if user.namespaced:
        steps.append(_enter_user_namespace(user))
    fast_shutdown = _fast_shutdown_with_parent() if die_with_parent else None
    if fast_shutdown is not None:
        steps.append(fast_shutdown)
    if not steps:
        return None

    def preexec() -> None:
        for step in steps:
            step()

    return preexec


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
