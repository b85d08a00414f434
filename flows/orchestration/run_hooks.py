"""Prefect state hooks shared by the flows."""

import logging
from pathlib import Path
from typing import Any

from flows.alerts.process import notify_run_failed
from flows.config import load_settings

log = logging.getLogger(__name__)


def notify_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """A failed run: tell the user's alert channels, with the run's clear error message."""
    message = state.message or "the run failed"
    log.error("flow run %s failed: %s", flow_run.name, message)
    parameters = flow_run.parameters or {}
    try:
        settings = load_settings(
            Path(parameters["config"]) if parameters.get("config") else None,
            db=Path(parameters["db"]) if parameters.get("db") else None,
        )
    except Exception as error:  # a broken configuration is often why the run failed
        log.error("cannot load the configuration to send the failure notice: %s", error)
        return
    for problem in notify_run_failed(settings, flow.name, flow_run.name, message):
        log.error("failure notice not delivered: %s", problem)
