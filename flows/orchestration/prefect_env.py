"""Prefect settings exportwatch wants unless the user chose otherwise. Must run before Prefect is
imported, because Prefect reads its settings at import time.

Every command imports this module (configure_prefect), also those that start no flow: what only
the temporary API needs (subprocess, socket) is imported where it is used, for start-up time.
"""

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DEFAULT_PREFECT_HOME = Path("data/prefect")


def configure_prefect() -> None:
    # Run history next to the warehouse instead of ~/.prefect, so `exportwatch runs` and
    # `exportwatch serve` see the same runs; a user's own PREFECT_HOME or PREFECT_API_URL wins.
    os.environ.setdefault("PREFECT_HOME", str(DEFAULT_PREFECT_HOME.resolve()))
    # The temporary API server cannot create its SQLite file in a folder that does not exist.
    Path(os.environ["PREFECT_HOME"]).expanduser().mkdir(parents=True, exist_ok=True)
    # Offline machines: no phoning home, no "failed to send telemetry" errors in the log.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    # Our own loggers show up in Prefect's run logs.
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "flows,warehouse")
    # Our loggers also log from worker threads (the fetch), outside a flow run context: not a problem.
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "60")


def prefect_console(verbosity: int) -> None:
    """Prefect's log on the terminal of a CLI command: everything with --verbose (2); by default
    (1) warnings and errors, except what the CLI reports itself (the run's failure, tracebacks);
    errors only with --quiet (0). The run's log still reaches the Prefect API in full.

    Two handlers write Prefect's log to stderr: the console handler on the root logger, and a
    handler of its own on PREFECT_PLUMBING_LOGGER, which does not propagate (Prefect's logging.yml)."""

    from prefect.logging.handlers import PrefectConsoleHandler

    for handler in logging.getLogger().handlers:
        if isinstance(handler, PrefectConsoleHandler):
            if verbosity >= 2:
                handler.setLevel(logging.NOTSET)
                continue
            handler.setLevel(logging.WARNING if verbosity == 1 else logging.ERROR)
            handler.addFilter(_reported_by_the_cli)
            handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))  # a line for people, not a log
    if verbosity < 2:
        for handler in logging.getLogger(PREFECT_PLUMBING_LOGGER).handlers:
            handler.setLevel(logging.CRITICAL + 1)


def _reported_by_the_cli(record: logging.LogRecord) -> bool:
    """False for records the CLI's own lines cover: the runs' log (the CLI prints the outcome, the
    Prefect API keeps the log), the failure hook's notice, any traceback (the CLI prints it once)."""
    return not (
        record.name in ("flows.orchestration.run_hooks", *PREFECT_RUN_LOGGERS)  # the run's own story: the CLI tells its outcome
        or record.exc_info
    )


PREFECT_RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")
# Prefect's own threads and services: a failing run can leave them an error line about a request it
# abandoned ("Service 'ConcurrencySlotAcquisitionWithLeaseService' failed with 0 pending items"),
# which says nothing to the user; -v shows it.
PREFECT_PLUMBING_LOGGER = "prefect._internal"


@contextmanager
def temporary_prefect_api() -> Iterator[None]:
    """The temporary Prefect API for flow runs in this process, unless PREFECT_API_URL names one.
    Enter it before Prefect is imported: Prefect's background threads (logs, events) read the API
    URL from the environment as it was at import.

    Prefect would start the same server itself, but in our process group: Ctrl-C in the terminal
    would kill it at once and every later state report would retry against a dead server for a
    minute. Ours runs in its own session, outlives the interrupted flow long enough to record its
    final state, and is stopped when the command ends."""
    if os.environ.get("PREFECT_API_URL"):
        yield
        return
    import subprocess

    from flows.orchestration.prefect_server import STOP_GRACE_SECONDS, stop_process_group, wait_until_healthy

    port = free_port()
    log_path = Path(os.environ["PREFECT_HOME"]) / "temporary-server.log"
    environment = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "prefect.server.api.server:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "error",
                "--lifespan",
                "on",
            ],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # not in the terminal's process group: Ctrl-C does not reach it
        )
    api_url = f"http://127.0.0.1:{port}/api"
    os.environ["PREFECT_API_URL"] = api_url
    healthy = False
    try:
        wait_until_healthy(api_url, process, log_path)
        healthy = True
        yield
    finally:
        if healthy:
            send_pending_logs_and_events()
        os.environ.pop("PREFECT_API_URL", None)
        stop_process_group(process, grace_seconds=STOP_GRACE_SECONDS if healthy else 0)


def send_pending_logs_and_events() -> None:
    """Prefect sends logs and events from background threads; let them finish while the API is up."""
    if "prefect" not in sys.modules:
        return
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=5)
    EventsWorker.drain_all(timeout=5)


def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
