"""Turning the pipeline's plain functions into Prefect tasks, and the failure hook.

Tasks get settings and paths, never connections; caching is off because the inputs (a client,
settings) are not meant to be hashed and every run must ask GENESIS again.
"""

import logging
from collections.abc import Callable
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

from flows.errors import GenesisTransportError
from flows.pipeline import fetch_planned

log = logging.getLogger(__name__)


def _only_transport_errors(task: Any, task_run: Any, state: Any) -> bool:
    """Retry the fetch task when GENESIS was unreachable, not when it answered an error."""
    try:
        state.result()
    except GenesisTransportError:
        return True
    except Exception:
        return False
    return False


def prefect_step(fetch_retries: int, fetch_retry_delay_seconds: float) -> Callable[[Callable], Callable]:
    def step(fn: Callable) -> Callable:
        options: dict[str, Any] = {}
        if fn is fetch_planned and fetch_retries:
            options = dict(
                retries=fetch_retries,
                retry_delay_seconds=exponential_backoff(backoff_factor=fetch_retry_delay_seconds)(fetch_retries),
                retry_condition_fn=_only_transport_errors,
            )
        return task(fn, name=fn.__name__.replace("_", "-"), cache_policy=NO_CACHE, **options)

    return step
