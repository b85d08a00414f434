"""The origin of the Prefect flow run this code runs in (flows.pipeline.run_origin says what each means)."""

from flows.pipeline.run_origin import RunOrigin


def current_run_origin() -> RunOrigin:
    """The origin of the Prefect flow run this code runs in; MANUAL outside any flow run, or in a
    flow called directly (as the CLI does), which belongs to no deployment."""
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    run = context.flow_run if context else None
    if run is None or run.deployment_id is None:
        return RunOrigin.MANUAL
    return RunOrigin.SCHEDULE if run.auto_scheduled else RunOrigin.DEPLOYMENT
