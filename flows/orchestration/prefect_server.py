"""A Prefect server as our own child process (its own process group), started and stopped by us."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from flows.errors import ExportwatchError

HEALTH_TIMEOUT_SECONDS = 120
STOP_GRACE_SECONDS = 30


@contextmanager
def local_prefect_server(home: Path, port: int) -> Iterator[tuple[str, int]]:
    """A Prefect server on 127.0.0.1:port for the duration; yields (API URL, server PID)."""
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(home.resolve()), PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1")
    log_path = home / "server.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port), "--analytics-off"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # our own process group: stopped by us, all of it
        )
    api_url = f"http://127.0.0.1:{port}/api"
    healthy = False
    try:
        wait_until_healthy(api_url, process, log_path)
        healthy = True
        yield api_url, process.pid
    finally:
        stop_process_group(process, grace_seconds=STOP_GRACE_SECONDS if healthy else 0)


def wait_until_healthy(api_url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-1500:]
            raise ExportwatchError(
                f"The Prefect server exited with code {process.returncode} before it was ready (is the port in use?). Its log ({log_path}) ends:\n{tail}"
            )
        try:
            if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise ExportwatchError(f"The Prefect server did not become healthy within {HEALTH_TIMEOUT_SECONDS} s; see {log_path}.")


def stop_process_group(process: subprocess.Popen, grace_seconds: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM, and SIGKILL after grace_seconds (at once with 0). A server stopped before it became
    healthy has nothing to finish, and it does not heed SIGTERM while it starts (its database
    migrations): waiting for it held a Ctrl-C'd command 7-10 s."""
    if process.poll() is not None:
        return
    if grace_seconds > 0:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace_seconds)
            return
        except subprocess.TimeoutExpired:
            pass
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
