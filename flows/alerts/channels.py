"""Sending to the user's channels with Apprise (Slack, Teams, e-mail, ntfy, json://, …).

Channel URLs can hold secrets (webhook tokens, passwords): they are shown only in Apprise's privacy
form and stored only as a hash.
"""

import hashlib
import logging
import re
from dataclasses import dataclass

import apprise

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Channel:
    url: str

    @property
    def key(self) -> str:
        return hashlib.sha256(self.url.encode()).hexdigest()[:32]

    @property
    def display(self) -> str:
        plugin = apprise.Apprise.instantiate(self.url)
        if plugin is None:
            return f"{self.url.split(':', 1)[0]}://(invalid URL)"
        # The privacy form masks passwords but not custom headers (?+X-Api-Key=...): drop the query.
        return plugin.url(privacy=True).split("?", 1)[0]


@dataclass(frozen=True)
class SendResult:
    channel: Channel
    ok: bool
    error: str | None


def scrub(text: str, channel: Channel) -> str:
    """Remove anything of the channel URL that could be a secret from a message."""
    secrets = {channel.url}
    secrets.update(part for part in re.split(r"[/:@?&=#]+", channel.url.split("://", 1)[-1]) if len(part) >= 6)
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def send(channel: Channel, title: str, body: str) -> SendResult:
    notifier = apprise.Apprise()
    if not notifier.add(channel.url):
        return SendResult(channel, False, f"{channel.display}: not a valid Apprise URL")
    with apprise.LogCapture(level=logging.WARNING) as captured:
        ok = bool(notifier.notify(title=title, body=body))
    error = (
        None
        if ok
        else scrub(captured.getvalue().strip().splitlines()[-1] if captured.getvalue().strip() else "delivery failed", channel)
    )
    if not ok:
        log.warning("alert to %s not delivered: %s", channel.display, error)
    return SendResult(channel, ok, None if ok else f"{channel.display}: {error}")
