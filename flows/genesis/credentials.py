"""GENESIS credentials come only from the environment and travel only in request headers."""

import os
from dataclasses import dataclass, field

from flows.errors import ConfigError

ENV_TOKEN = "GENESIS_TOKEN"
ENV_USERNAME = "GENESIS_USERNAME"
ENV_PASSWORD = "GENESIS_PASSWORD"


@dataclass(frozen=True)
class Credentials:
    username: str = field(repr=False)
    password: str = field(repr=False)

    @property
    def is_token(self) -> bool:
        """A token is sent as username with an empty password; it cannot start background jobs."""
        return self.password == ""

    def headers(self) -> dict[str, str]:
        return {"username": self.username, "password": self.password}

    def __repr__(self) -> str:
        return f"Credentials({'token' if self.is_token else 'user+password'}, ********)"

    __str__ = __repr__

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Credentials | None":
        env = os.environ if environ is None else environ
        token = env.get(ENV_TOKEN, "").strip()
        username = env.get(ENV_USERNAME, "").strip()
        password = env.get(ENV_PASSWORD, "")
        if token and username:
            raise ConfigError(
                f"Both {ENV_TOKEN} and {ENV_USERNAME} are set: unset one of them "
                f"(a token for read-only updates, user + password for background jobs)."
            )
        if token:
            return cls(token, "")
        if username:
            if not password:
                raise ConfigError(f"{ENV_USERNAME} is set but {ENV_PASSWORD} is empty: set the password too.")
            return cls(username, password)
        return None


def require_credentials(environ: dict[str, str] | None = None) -> Credentials:
    credentials = Credentials.from_env(environ)
    if credentials is None:
        raise ConfigError(
            f"No GENESIS credentials: set {ENV_TOKEN} (your API token from GENESIS-Online, "
            f"'Webservice-Schnittstelle (API)'), or {ENV_USERNAME} and {ENV_PASSWORD}. "
            f"To try exportwatch without an account, run `exportwatch demo`."
        )
    return credentials
