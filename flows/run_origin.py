"""Who started a run. It decides how long the run may retry GENESIS (someone at a terminal wants a
quick answer; a scheduled run may wait) and what a failure tells the user to do."""

from enum import Enum


class RunOrigin(Enum):
    MANUAL = "manual"  # `exportwatch update` / `backfill` / `check` at a terminal or in cron
    DEPLOYMENT = "deployment"  # a run of a served deployment started from the Prefect UI or API
    SCHEDULE = "schedule"  # a run the deployment's schedule created: the next one will try again

    @property
    def attended(self) -> bool:
        return self is RunOrigin.MANUAL


def current_run_origin() -> RunOrigin:
    """The origin of the Prefect flow run this code runs in; MANUAL outside any flow run, or in a
    flow called directly (as the CLI does), which belongs to no deployment."""
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    run = context.flow_run if context else None
    if run is None or run.deployment_id is None:
        return RunOrigin.MANUAL
    return RunOrigin.SCHEDULE if run.auto_scheduled else RunOrigin.DEPLOYMENT
