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
