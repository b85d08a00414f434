"""GENESIS request slots shared by every process that runs exportwatch flows.

GENESIS allows 3 parallel requests per user. The client holds a request slot around each HTTP
request; on its own that is a semaphore of one process (flows.genesis.client). Flows give it a
slot that also occupies a Prefect global concurrency limit, so the limit holds across workers
and machines that share a Prefect server.

One limit name for all runs, not one per GENESIS user: the user name of a token is the token
itself, a secret that must not become a name in the Prefect UI. Runs with different GENESIS
accounts therefore share the 3 slots, which is slower but never too many.
"""

import logging
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
from prefect.concurrency.asyncio import AcquireConcurrencySlotTimeoutError, ConcurrencySlotAcquisitionError
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

from flows import shutdown
from flows.errors import ExportwatchError, TemporaryError
from flows.genesis.client import RequestSlot, local_request_slot

log = logging.getLogger(__name__)

GENESIS_REQUEST_LIMIT = "genesis-requests"
# A slot is held for one HTTP request; Prefect renews the lease while the request runs. When a
# worker dies holding a slot, the server frees it once the lease runs out: 60 s, Prefect's minimum.
LEASE_SECONDS = 60
# Waiting longer than this for a slot means slots are stuck (or the Prefect API is unreachable),
# not that GENESIS is busy: each slot is held for one request only.
SLOT_WAIT_SECONDS = 900
# The wait is asked for in pieces this long, so that a stop (flows.shutdown) ends it between them.
SLOT_POLL_SECONDS = 2.0


class RequestSlotUnavailable(ExportwatchError):
    """No GENESIS request slot could be had from the Prefect global concurrency limit."""


class RequestSlotsBusy(RequestSlotUnavailable, TemporaryError):
    """Every slot stayed taken for SLOT_WAIT_SECONDS (or the Prefect API did not answer)."""


def ensure_request_limit(limit: int, name: str = GENESIS_REQUEST_LIMIT) -> None:
    """Create the global concurrency limit if it does not exist yet; leave an existing one as the
    operator set it, but warn when it would not keep GENESIS' limit."""
    with get_client(sync_client=True) as client:
        try:
            existing = client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            try:
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=limit))
                log.info("created the global concurrency limit %s: %d GENESIS requests at once across all runs", name, limit)
            except ObjectAlreadyExists:  # a run that started at the same moment created it
                pass
            return
    if not existing.active:
        log.warning(
            "the global concurrency limit %s is disabled: only this process keeps to %d GENESIS requests "
            "at once, and several runs together may exceed it (prefect gcl enable %s)",
            name,
            limit,
            name,
        )
    elif existing.limit > limit:
        log.warning(
            "the global concurrency limit %s allows %d requests at once, GENESIS only %d (prefect gcl update %s --limit %d)",
            name,
            existing.limit,
            limit,
            name,
            limit,
        )


def set_request_limit(limit: int, name: str = GENESIS_REQUEST_LIMIT) -> None:
    """Create the global concurrency limit, or set an existing one to `limit` and enable it."""
    with get_client(sync_client=True) as client:
        try:
            client.update_global_concurrency_limit(name, GlobalConcurrencyLimitUpdate(limit=limit, active=True))
        except ObjectNotFound:
            client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=limit))


def prefect_request_slot(max_in_flight: int, name: str = GENESIS_REQUEST_LIMIT) -> RequestSlot:
    """A request slot of this process that also occupies one slot of the global limit `name`.

    The local slot comes first, so threads waiting in this process do not queue at the Prefect
    API. The limit must exist (ensure_request_limit): a missing one fails the request instead
    of silently meaning "no limit".
    """
    local_slot = local_request_slot(max_in_flight)

    @contextmanager
    def slot() -> Iterator[None]:
        with local_slot(), ExitStack() as held:
            deadline = time.monotonic() + SLOT_WAIT_SECONDS
            while True:
                shutdown.check()
                try:
                    held.enter_context(
                        concurrency(
                            name,
                            occupy=1,
                            timeout_seconds=SLOT_POLL_SECONDS,
                            lease_duration=LEASE_SECONDS,
                            strict=True,
                            # A request that is already running finishes when the Prefect API is
                            # briefly unreachable; at worst GENESIS answers status 6 and is retried.
                            raise_on_lease_renewal_failure=False,
                        )
                    )
                    break
                except AcquireConcurrencySlotTimeoutError:
                    if time.monotonic() >= deadline:
                        raise RequestSlotsBusy(
                            f"waited {SLOT_WAIT_SECONDS} s for a GENESIS request slot of the global concurrency limit {name}: "
                            f"slots may be stuck, or the Prefect API unreachable. See `prefect gcl inspect {name}`."
                        ) from None
                except ConcurrencySlotAcquisitionError as error:
                    raise RequestSlotUnavailable(
                        f"no GENESIS request slot from the global concurrency limit {name} ({error}). "
                        f"Create it with `prefect gcl create {name} --limit {max_in_flight}` or start `exportwatch serve`."
                    ) from None
            yield

    return slot
