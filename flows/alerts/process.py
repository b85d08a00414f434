"""After a load: evaluate every rule on what changed since it last looked, store the alerts, and
deliver everything still pending (also from earlier runs) to every channel.

A stop (flows.shutdown: Ctrl-C, SIGTERM) ends the delivery within moments, also in the middle of
sending to a slow channel: what was delivered is recorded, the rest stays pending for the next run.
A message abandoned in flight may still arrive, and then arrives once more with the next run.
"""

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import duckdb

from flows import shutdown
from flows.alerts import messages
from flows.alerts.channels import Channel, SendResult, send
from flows.alerts.rules import AlertRule, decide
from flows.config import Settings, resolve_countries
from schemas.measures import VALUE_MEASURES
from warehouse import alerts as store
from warehouse.connection import open_warehouse
from warehouse.transactions import in_transaction

log = logging.getLogger(__name__)

# How long a process may take to send a message before another may try (all attempts, back-offs
# and channel timeouts fit well inside); only matters when a sender died on the way.
DELIVERY_CLAIM = timedelta(minutes=15)


@dataclass
class AlertOutcome:
    raised: list[str] = field(default_factory=list)  # one line per new alert
    messages_sent: int = 0
    pending: int = 0  # alerts some channel still lacks


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def process_alerts(settings: Settings) -> AlertOutcome:
    with open_warehouse(settings.warehouse.location, lock_timeout=settings.warehouse.lock_timeout_seconds) as con:
        raised = evaluate_rules(con, settings.alerts.rules)
        outcome = deliver_pending(con, settings)
    rules = {rule.name: rule for rule in settings.alerts.rules}
    outcome.raised = [messages.line(a, rules.get(a["rule"])) for a in raised]
    historical = [a for a in raised if a["kind"] == "historical"]
    for alert in raised:
        if alert["kind"] != "historical":
            log.warning("alert: %s", messages.line(alert, rules.get(alert["rule"])))
    if historical:
        log.warning(
            "%d historical crossing(s) found on a first evaluation: they go out as one digest, not one message each",
            len(historical),
        )
    return outcome


def evaluate_rules(con: duckdb.DuckDBPyConnection, rules: list[AlertRule]) -> list[dict]:
    """Store the alerts every rule calls for since its watermark; returns them (as pending rows)."""
    newest = store.newest_load(con)
    if newest is None:
        return []
    now = utcnow()

    def evaluate() -> list[int]:
        new_ids: list[int] = []
        for rule in rules:
            state = store.rule_state(con, rule.name)
            same_rule = state is not None and state[0] == rule.fingerprint
            since = state[1] if same_rule else None
            if same_rule and since == newest:
                continue
            measure = VALUE_MEASURES[rule.flow]
            found = []
            for code in resolve_countries(rule.countries):
                if rule.scope == "priority_goods":
                    points, previous = priority_series(con, rule, code, measure, since)
                else:
                    points = store.series(con, code, rule.flow, measure)
                    previous = store.values_before_revision(con, code, measure, since)
                active = store.active_kinds(con, rule.name, code, rule.flow) if same_rule else {}
                found += decide(rule, code, points, active, since=since, previous_values=previous)
            new_ids += store.save_evaluation(con, rule.name, rule.fingerprint, newest, found, now)
        return new_ids

    # On a DuckLake, another machine may evaluate at the same moment: the loser of the commit runs
    # again, finds the watermarks moved, and raises nothing twice.
    new_ids = in_transaction(con, evaluate, what="Evaluating alert rules")
    return [a for a in store.pending(con) if a["alert_id"] in set(new_ids)]


def priority_series(con: duckdb.DuckDBPyConnection, rule: AlertRule, code: str, measure: str, since: datetime | None):
    """The rule's priority goods series now, and its values as known at the watermark (what a
    revision changed them from)."""
    points = store.priority_series(con, code, rule.flow, measure, rule.tier, rule.hs6)
    if since is None:
        return points, {}
    before = store.priority_series(con, code, rule.flow, measure, rule.tier, rule.hs6, as_of=since)
    return points, {p.month: p.value_eur for p in before if p.value_eur is not None}


def deliver_pending(con: duckdb.DuckDBPyConnection, settings: Settings) -> AlertOutcome:
    """Send pending alerts: historical ones as one digest, the others one message each. A channel
    that already received an alert is not sent it again."""
    outcome = AlertOutcome()
    rules = {rule.name: rule for rule in settings.alerts.rules}
    pending = store.pending(con)
    channels = [Channel(url) for url in settings.alerts.channels]
    if not pending:
        return outcome
    if not channels:
        log.warning("%d alert(s) pending and no [alerts] channels configured; see `exportwatch alerts`", len(pending))
        outcome.pending = len(pending)
        return outcome
    historical = [a for a in pending if a["kind"] == "historical"]
    groups = [[a] for a in pending if a["kind"] != "historical"] + ([historical] if historical else [])
    for group in groups:
        shutdown.check()
        alert_ids = [a["alert_id"] for a in group]
        if not claim(con, alert_ids):
            log.info("alert(s) %s are being sent by another process", ", ".join(map(str, alert_ids)))
            continue
        rule = rules.get(group[0]["rule"])
        title, body = messages.digest(group, rules) if group[0]["kind"] == "historical" else messages.single(group[0], rule)
        delivered = deliver(con, alert_ids, channels, title, body, settings)
        outcome.messages_sent += delivered
        if not delivered:
            outcome.pending += len(group)
    return outcome


def claim(con: duckdb.DuckDBPyConnection, alert_ids: list[int]) -> bool:
    """On a DuckLake another machine may deliver at the same moment: of two claims one conflicts at
    commit, runs again and finds the alerts taken."""
    now = utcnow()
    return in_transaction(
        con, lambda: store.claim_delivery(con, alert_ids, now, now + DELIVERY_CLAIM), what="Claiming alerts to send"
    )


def deliver(
    con: duckdb.DuckDBPyConnection, alert_ids: list[int], channels: list[Channel], title: str, body: str, settings: Settings
) -> bool:
    """Try a message up to delivery_attempts times on the channels that lack it; record the outcome."""
    missing = [c for c in channels if c.key not in store.delivered_channels(con, alert_ids[0])]
    delivered_now: dict[str, datetime] = {}
    errors: list[str] = []
    tries = 0
    stopped: shutdown.Stopped | None = None
    try:
        for attempt in range(settings.alerts.delivery_attempts):
            tries += 1
            errors = []
            for channel in [c for c in missing if c.key not in delivered_now]:
                result = send_unless_stopped(channel, title, body)
                if result.ok:
                    delivered_now[channel.key] = utcnow()
                else:
                    errors.append(result.error or "delivery failed")
            if not errors:
                break
            if attempt + 1 < settings.alerts.delivery_attempts:
                shutdown.wait(settings.alerts.delivery_backoff_seconds * 2**attempt)
    except shutdown.Stopped as error:
        stopped = error
        errors = [str(error)]
    complete = not errors
    in_transaction(
        con,
        lambda: store.record_delivery(
            con, alert_ids, delivered_now, utcnow() if complete else None, "; ".join(errors) or None, tries
        ),
        what="Recording alert deliveries",
    )
    if stopped is not None:
        raise stopped
    return complete


def send_unless_stopped(channel: Channel, title: str, body: str) -> SendResult:
    """send() in a thread of its own, waited for in steps of shutdown.WAKE_SECONDS: a stop ends the
    wait (raises Stopped) also while a slow channel holds the request, whose timeouts may be long."""
    outcome: list[SendResult | BaseException] = []
    finished = threading.Event()

    def work() -> None:
        try:
            outcome.append(send(channel, title, body))
        except BaseException as error:  # handed to the waiting thread
            outcome.append(error)
        finally:
            finished.set()

    threading.Thread(target=work, name="exportwatch-alert", daemon=True).start()
    while not finished.wait(shutdown.WAKE_SECONDS):
        shutdown.check()
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def notify_run_failed(settings: Settings, flow_name: str, run_name: str, message: str) -> list[str]:
    """Tell every channel that a run failed (best effort: nothing is stored). Returns the errors."""
    title, body = messages.failure(flow_name, run_name, message)
    problems = []
    for url in settings.alerts.channels:
        result = send(Channel(url), title, body)
        if not result.ok:
            problems.append(result.error or "delivery failed")
    return problems
