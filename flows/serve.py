"""`exportwatch serve`: register the deployments with their schedules and run them.

Schedules need a Prefect server with its scheduler (the temporary API that `update` starts has
none). Without PREFECT_API_URL we start `prefect server start` as a child process with its own
PREFECT_HOME under data/, wait until it is healthy, and stop it when serve stops.
"""

import signal
from pathlib import Path

from flows.config import Settings


def serve_deployments(settings: Settings, config: Path | None, db: Path | None) -> None:
    """Set the global limit of GENESIS requests, register update-trade/scheduled (with the
    configured cron) and backfill/manual, then run due flow runs until interrupted. Needs
    PREFECT_API_URL to point at a server."""
    import prefect
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    from flows.backfill import backfill
    from flows.orchestration.request_slots import GENESIS_REQUEST_LIMIT, set_request_limit
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
