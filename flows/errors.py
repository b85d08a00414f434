"""Errors a user sees. Each message says what went wrong, where, and what to do; none holds a secret."""

from warehouse.errors import WarehouseError
from warehouse.location import WarehouseUrlError

# Exit codes of the `exportwatch` command (docs/cli.md). 75 is EX_TEMPFAIL of sysexits.h: a cron
# wrapper can tell "try again later" from "something needs fixing".
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_TEMPORARY = 75


class ExportwatchError(Exception):
    """Base class: str(error) is the one line the CLI prints."""


class TemporaryError(ExportwatchError):
    """Temporary: GENESIS (or another service the run needs) is busy or unreachable; the same command
    is expected to work later, unchanged. The CLI exits with code 75 for it, so a cron wrapper can
    tell "try later" from "fix something"."""


LOADED = "The data of this run WAS loaded"


class LoadedButFailed(ExportwatchError):
    """The run's load committed, then a later step failed; the text begins with LOADED."""


class ConfigError(ExportwatchError):
    """The configuration file or environment is wrong."""


class GenesisError(ExportwatchError):
    """GENESIS did not deliver usable data for a request."""

    def __init__(
        self,
        cause: str,
        *,
        table: str | None = None,
        request: str | None = None,
        hint: str | None = None,
        archived: str | None = None,
    ) -> None:
        self.cause = cause
        self.table = table
        self.request = request
        self.archived = archived
        parts = [f"{table}: " if table else "", cause]
        if request:
            parts.append(f" [request: {request}]")
        if hint:
            parts.append(f" {hint}")
        if archived:
            parts.append(f" Raw response kept at {archived}.")
        super().__init__("".join(parts))


class GenesisStatusError(GenesisError):
    """GENESIS answered with an error status code in its JSON envelope."""

    def __init__(self, code: int, content: str, **kwargs) -> None:
        self.code = code
        super().__init__(f"GENESIS status {code}: {content.strip()}", **kwargs)


class TableTooBig(GenesisStatusError):
    """Status 98: the selection exceeds the dialog limit; split it or run a job."""


class GenesisTransportError(GenesisError, TemporaryError):
    """No usable answer within the retry budget: connection refused, timeouts, HTTP 429/5xx,
    status 6 (too many parallel requests)."""


class GenesisBusy(GenesisTransportError):
    """GENESIS asked (Retry-After) to come back later than the run may wait."""


class FlatFileError(GenesisError):
    """The delivered file is not a GENESIS v5 flat file we can read."""


class ValidationFailed(GenesisError):
    """The flat file parsed but its contents broke the data contract (see quality_issues)."""

    def __init__(self, cause: str, failure_cases: list[dict], **kwargs) -> None:
        self.failure_cases = failure_cases
        super().__init__(cause, **kwargs)


# What the CLI prints as one line and a flow run ends with as its Failed message, without a
# traceback: the project's own errors, the warehouse's, and the operating system's (disk full,
# permission denied). Anything else is a bug.
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (ExportwatchError, WarehouseError, WarehouseUrlError, OSError)
