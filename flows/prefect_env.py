"""Prefect settings exportwatch wants unless the user chose otherwise. Must run before Prefect is
imported, because Prefect reads its settings at import time."""

import os
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
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "60")
