"""`exportwatch serve`: register the deployments with their schedules and run them.

Schedules need a Prefect server with its scheduler (the temporary API that `update` starts has
none). Without PREFECT_API_URL we start `prefect server start` as a child process with its own
PREFECT_HOME under data/, wait until it is healthy, and stop it when serve stops.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from flows.config import Settings
from flows.errors import ExportwatchError

HEALTH_TIMEOUT_SECONDS = 120


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
    try:
        wait_until_healthy(api_url, process, log_path)
        yield api_url, process.pid
    finally:
        stop_process_group(process)


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


def stop_process_group(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def serve_deployments(settings: Settings, config: Path | None, db: Path | None) -> None:
    """Set the global limit of GENESIS requests, register update-trade/scheduled (with the
    configured cron) and backfill/manual, then run due flow runs until interrupted. Needs
    PREFECT_API_URL to point at a server."""
    import prefect
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    from flows.backfill import backfill
    from flows.request_slots import GENESIS_REQUEST_LIMIT, set_request_limit
    from flows.update_trade import update_trade

    set_request_limit(settings.genesis.max_in_flight)
    print(
        f"Global concurrency limit {GENESIS_REQUEST_LIMIT}: {settings.genesis.max_in_flight} GENESIS requests at once across all runs.",
        flush=True,
    )

    parameters = {"config": str(config.resolve()) if config else None, "db": str(db.resolve()) if db else None}
    scheduled = update_trade.to_deployment(
        name="scheduled",
        schedules=[Cron(settings.schedule.cron, timezone=settings.schedule.timezone)],
        parameters=parameters,
        entrypoint_type=EntrypointType.MODULE_PATH,
        description="Fetch what GENESIS published or revised and load it.",
    )
    manual = backfill.to_deployment(
        name="manual",
        parameters=parameters,
        entrypoint_type=EntrypointType.MODULE_PATH,
        description="Load a span of years for some countries; start it from the UI with countries and since.",
    )
    prefect.serve(scheduled, manual, print_starting_message=False)


def raise_keyboard_interrupt_on_sigterm() -> None:
    """SIGTERM (systemd, docker stop, kill) shuts down like Ctrl-C, so the child server is stopped."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)
