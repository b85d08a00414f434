"""A throwaway PostgreSQL server on 127.0.0.1 for the DuckLake tests, from the distribution's
packages (Debian: postgresql). EXPORTWATCH_TEST_POSTGRES (a libpq string for an admin connection)
uses a server that is already running instead."""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

ENV_DSN = "EXPORTWATCH_TEST_POSTGRES"
# runuser lives in /usr/sbin or /sbin, which a non-login shell's PATH may lack.
SYSTEM_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin", "/usr/bin", "/bin"])


def binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[4]))
    return candidates[-1] if candidates else None


def runuser() -> str | None:
    """The absolute path of runuser, which starts the server as the postgres user when we are root."""
    return shutil.which("runuser", path=SYSTEM_PATH)


def unavailable_reason() -> str | None:
    """Why no server can be had here, or None."""
    needed = ("psql", "pg_dump") if os.environ.get(ENV_DSN) else ("initdb", "pg_ctl", "psql", "pg_dump")
    missing = [name for name in needed if not binary(name)]
    if missing:
        return f"PostgreSQL is not installed ({', '.join(missing)} missing): apt-get install postgresql"
    if not os.environ.get(ENV_DSN) and os.geteuid() == 0 and not runuser():
        return "running as root, PostgreSQL must run as the postgres user, and runuser was not found in " + SYSTEM_PATH
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self) -> None:
        self.admin_dsn = os.environ.get(ENV_DSN, "")
        self._folder: Path | None = None

    def __enter__(self) -> "PostgresServer":
        if not self.admin_dsn:
            self._start()
        return self

    def __exit__(self, *exc) -> None:
        if self._folder:
            self._as_owner([binary("pg_ctl"), "-D", str(self._folder / "data"), "-m", "immediate", "stop"])
            shutil.rmtree(self._folder, ignore_errors=True)

    def _as_owner(self, command: list) -> None:
        # PostgreSQL refuses to run as root; the package's system user runs it then.
        prefix = [runuser(), "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(prefix + command, check=True, capture_output=True, text=True, timeout=120)

    def _start(self) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="exportwatch-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self._folder, "postgres")
        port = _free_port()
        data = self._folder / "data"
        self._as_owner([binary("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"])
        options = f"-p {port} -k {self._folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._as_owner([binary("pg_ctl"), "-D", str(data), "-o", options, "-l", str(self._folder / "log"), "-w", "start"])
        self.admin_dsn = f"host=127.0.0.1 port={port} user=postgres dbname=postgres"

    def create_database(self, name: str) -> str:
        """A new empty database; returns its libpq connection string."""
        subprocess.run(
            [binary("psql"), self.admin_dsn, "-qc", f'CREATE DATABASE "{name}"'], check=True, capture_output=True, timeout=60
        )
        return " ".join(part for part in self.admin_dsn.split() if not part.startswith("dbname=")) + f" dbname={name}"
