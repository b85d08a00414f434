"""Expected failures end a flow run as Failed with their one-line message and no traceback, neither
in the terminal nor in Prefect's run log; anything else is a bug and keeps its traceback.

Prefect logs the exception of a raising flow or task with its traceback; so a flow returns a
Failed state for an expected error instead of raising it, and a log filter drops the traceback
from the records Prefect writes about a task that raised one.
"""

import functools
import logging
from collections.abc import Callable
from typing import Any

from prefect.states import Failed

from flows.errors import EXPECTED_ERRORS

PREFECT_RUN_LOGGERS = ("prefect.task_runs", "prefect.flow_runs")


def failing_cleanly(body: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a flow function: an expected error becomes the run's Failed state (message = the
    error's one line; data = the error, so the caller in the same process can re-raise it)."""

    @functools.wraps(body)
    def flow_function(*args: Any, **kwargs: Any) -> Any:
        try:
            return body(*args, **kwargs)
        except EXPECTED_ERRORS as error:
            logging.getLogger(__name__).debug("expected failure", exc_info=True)
            return Failed(message=str(error), data=error)

    return flow_function


class WithoutExpectedTraceback(logging.Filter):
    """Keeps the record (its message names the error) but not the traceback of an expected error."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], EXPECTED_ERRORS):
            record.exc_info = None
            record.exc_text = None
        return True


def keep_expected_failures_short() -> None:
    for name in PREFECT_RUN_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, WithoutExpectedTraceback) for f in logger.filters):
            logger.addFilter(WithoutExpectedTraceback())


def flow_result(state: Any) -> Any:
    """The return value of a flow run called with return_state=True; its error, re-raised, if it failed."""
    result = state.result(raise_on_failure=False)
    if isinstance(result, BaseException):
        raise result
    if not state.is_completed():
        raise RuntimeError(f"the flow run ended in state {state.name}: {state.message}")
    return result
