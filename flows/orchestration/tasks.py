"""Turning the pipeline's plain functions into Prefect tasks.

Tasks get settings and paths, never connections; caching is off because the inputs (a client,
settings) are not meant to be hashed and every run must ask GENESIS again. No task retries: the
GENESIS client retries each request within the run's retry budget ([genesis] retry_budget_seconds),
and a second level of retries would multiply the attempts and the time a failing run takes.
"""

from collections.abc import Callable

from prefect import task
from prefect.cache_policies import NO_CACHE


def prefect_step(fn: Callable) -> Callable:
    return task(fn, name=fn.__name__.replace("_", "-"), cache_policy=NO_CACHE)
