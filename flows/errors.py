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
    """Busy or unreachable: the same command may work later unchanged (exit code 75)."""


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
    """No valid HTTP answer after all retries."""


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
