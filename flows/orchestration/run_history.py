"""Recent flow runs from the Prefect API (the local one under data/prefect unless PREFECT_API_URL is set)."""

import os

import httpx
from prefect.client.orchestration import get_client
from prefect.client.schemas.sorting import FlowRunSort

from flows.errors import TemporaryError


def recent_runs(limit: int) -> tuple[list[str], list[tuple]]:
    try:
        with get_client(sync_client=True) as client:
            runs = client.read_flow_runs(limit=limit, sort=FlowRunSort.START_TIME_DESC)
            flows = {flow.id: flow.name for flow in client.read_flows(limit=200)}
    except (httpx.HTTPError, OSError) as error:
        where = os.environ.get("PREFECT_API_URL") or "the temporary Prefect API"
        raise TemporaryError(
            f"Cannot read the run history from {where}: {error or type(error).__name__}. "
            f"Is the server running (exportwatch serve)? Without PREFECT_API_URL the local history under $PREFECT_HOME is read."
        ) from None
    rows = [
        (
            flows.get(run.flow_id, "?"),
            run.name,
            run.state_name or "",
            run.start_time.strftime("%Y-%m-%d %H:%M:%S") if run.start_time else "",
            f"{run.total_run_time.total_seconds():.1f} s",
            (run.state.message or "")[:120] if run.state else "",
        )
        for run in runs
    ]
    return ["flow", "run", "state", "started (UTC)", "duration", "message"], rows
