"""A throwaway PostgreSQL server for the tests and benches: initdb into a temporary directory,
started by pg_ctl on a unix socket in that directory (no TCP), stopped at the end.

initdb refuses to run as root, so as root the server runs as the unprivileged `postgres` user
(through runuser) in a directory it owns. `start` raises `ServerUnavailable` with the reason
when there is no PostgreSQL on this machine or it cannot start; callers skip on it.
"""

from __future__ import annotations

import getpass
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SERVER_USER = "postgres"  # the distribution's unprivileged account, used when we are root


class ServerUnavailable(Exception):
    """No PostgreSQL server can be started here; the message says why."""


def _binaries() -> Path:
    """The folder holding initdb and pg_ctl: on PATH, or the newest /usr/lib/postgresql/*/bin."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).parent
    folders = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda f: int(Path(f).parent.name))
    for folder in reversed(folders):
        if (Path(folder) / "initdb").is_file() and (Path(folder) / "pg_ctl").is_file():
            return Path(folder)
    raise ServerUnavailable("PostgreSQL is not installed (no initdb or pg_ctl)")


def _free_port() -> int:
    # the port only names the socket file (.s.PGSQL.<port>); a free one avoids any clash
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One server in its own temporary directory; `url` connects to its `postgres` database."""

    def __init__(self) -> None:
        # in /tmp when root: the server's user must reach it (a root-only TMPDIR it could not),
        # and a short path keeps the socket's name under its 107-byte limit
        parent = "/tmp" if os.geteuid() == 0 and os.path.isdir("/tmp") else None
        self.directory = Path(tempfile.mkdtemp(prefix="slr-pg-", dir=parent))
        self.data = self.directory / "data"
        self.port = _free_port()
        self.user = SERVER_USER if os.geteuid() == 0 else getpass.getuser()
        self.started = False

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@/postgres?host={self.directory}&port={self.port}"

    def _run(self, *command: str | Path) -> None:
        prefix: list[str | Path] = []
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            if runuser is None:
                raise ServerUnavailable("running as root and runuser is missing")
            prefix = [runuser, "-u", SERVER_USER, "--"]
        result = subprocess.run(
            [*prefix, *command], capture_output=True, text=True, timeout=120, check=False
        )
        if result.returncode != 0:
            output = (result.stderr or result.stdout).strip().splitlines()
            raise ServerUnavailable(f"{Path(command[0]).name} failed: {' | '.join(output[-3:])}")

    def start(self) -> PostgresServer:
        binaries = _binaries()
        if os.geteuid() == 0:
            try:
                shutil.chown(self.directory, SERVER_USER, SERVER_USER)
            except (LookupError, OSError) as error:
                raise ServerUnavailable(f"no unprivileged {SERVER_USER} user: {error}") from None
        # --no-sync and fsync=off: a throwaway server need not survive a power cut
        self._run(
            binaries / "initdb",
            "-D",
            self.data,
            "-A",
            "trust",
            "-U",
            self.user,
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        options = (
            f"-c listen_addresses='' -c unix_socket_directories='{self.directory}' "
            f"-p {self.port} -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=60"
        )
        self._run(
            binaries / "pg_ctl",
            "-D",
            self.data,
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "-l",
            self.directory / "server.log",
            "start",
        )
        self.started = True
        return self

    def stop(self) -> None:
        try:
            if self.started:
                self._run(_binaries() / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)
