"""Prefect state hooks shared by the flows."""

import logging
from typing import Any

log = logging.getLogger(__name__)


def notify_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """A failed run: say so in the log (and, via flows.alerts, on the user's channels)."""
    log.error("flow run %s failed: %s", flow_run.name, state.message)
