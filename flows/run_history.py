"""Recent flow runs from the Prefect API (the local one under data/prefect unless PREFECT_API_URL is set)."""

from prefect.client.orchestration import get_client
from prefect.client.schemas.sorting import FlowRunSort


def recent_runs(limit: int) -> tuple[list[str], list[tuple]]:
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(limit=limit, sort=FlowRunSort.START_TIME_DESC)
        flows = {flow.id: flow.name for flow in client.read_flows(limit=200)}
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
