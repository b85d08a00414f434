"""Configuration: a committed TOML file (see exportwatch.example.toml), overridable by environment
variables. Secrets are never read from the file: GENESIS credentials come only from the
environment (flows.genesis.credentials)."""

import os
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from flows.alerts.rules import AlertRule
from flows.errors import ConfigError
from flows.limits import Limits
from schemas.measures import MEASURES
from warehouse.countries import countries
from warehouse.location import WarehouseLocation

ENV_CONFIG = "EXPORTWATCH_CONFIG"
ENV_DB = "EXPORTWATCH_DB"
ENV_API_URL = "GENESIS_API_URL"
DEFAULT_CONFIG_FILE = Path("exportwatch.toml")
DEFAULT_BASE_URL = "https://www-genesis.destatis.de/genesisWS/rest/2020/"


def _known_measures(value: list[str]) -> list[str]:
    unknown = [m for m in value if m not in MEASURES]
    if unknown:
        raise ValueError(f"unknown measure(s) {unknown}; known: {sorted(MEASURES)}")
    return value


Measures = Annotated[list[str], AfterValidator(_known_measures)]


class _Section(BaseModel):
    # inf and nan are no numbers of seconds, attempts or thresholds: rejected everywhere
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def _web_url(value: str) -> str:
    """http or https with a host: the request carries credentials, so no file://, ftp:// or typo."""
    scheme, _, rest = value.partition("://")
    if scheme.lower() not in ("http", "https") or not rest or rest.startswith("/"):
        raise ValueError(f"must be an http:// or https:// URL with a host, not {redact_url(value)!r}")
    return value


def redact_url(value: str) -> str:
    """The URL without user and password (http://user:secret@host/ -> http://***@host/)."""
    scheme, sep, rest = value.partition("://")
    authority, slash, path = rest.partition("/")
    if sep and "@" in authority:
        authority = "***@" + authority.rsplit("@", 1)[1]
    return f"{scheme}{sep}{authority}{slash}{path}"


WebUrl = Annotated[str, AfterValidator(_web_url)]


def _goods_key(value: str) -> str:
    """Goods keys go verbatim into the request form: letters and digits only (WA8703, WA87032310), or *."""
    if value != "*" and not re.fullmatch(r"[A-Za-z0-9]{1,32}", value):
        shown = value if len(value) <= 40 else value[:40] + "…"
        raise ValueError(f"a goods key is 1 to 32 letters and digits as GENESIS lists it (e.g. WA8703) or *, not {shown!r}")
    return value


GoodsKey = Annotated[str, AfterValidator(_goods_key)]


class GenesisSettings(_Section):
    api_url: WebUrl = DEFAULT_BASE_URL
    language: Literal["de", "en"] = "de"
    timeout_seconds: float = Field(60.0, gt=0)
    max_in_flight: int = Field(3, ge=1, le=3, description="GENESIS allows at most 3 parallel requests per user.")
    retry_attempts: int = Field(
        10, ge=1, description="At most this many attempts per request (the retry budget usually ends them first)."
    )
    retry_backoff_seconds: float = Field(2.0, ge=0, allow_inf_nan=False)
    retry_budget_seconds: float = Field(
        20.0,
        ge=0,
        allow_inf_nan=False,
        description="Total time a manual run (exportwatch update, backfill, check) may spend retrying GENESIS.",
    )
    scheduled_retry_budget_seconds: float = Field(
        300.0,
        ge=0,
        allow_inf_nan=False,
        description="The same for runs of the deployments `exportwatch serve` serves (scheduled or started from the UI).",
    )
    max_retry_after_seconds: float = Field(
        300.0, ge=0, allow_inf_nan=False, description="Longest Retry-After honoured; GENESIS asking for more fails the run."
    )
    job_poll_seconds: float = Field(5.0, ge=0)
    job_timeout_seconds: float = Field(3000.0, gt=0)
    dialog_value_limit: int = Field(40_000, ge=12, description="Values per dialog request before GENESIS wants a job.")

    @model_validator(mode="before")
    @classmethod
    def _no_task_retries(cls, data: object) -> object:
        removed = sorted({"fetch_task_retries", "fetch_task_retry_delay_seconds"} & set(data if isinstance(data, dict) else ()))
        if removed:
            raise ValueError(
                f"{' and '.join(removed)} no longer exist: the fetch is not retried as a whole any more; "
                f"retry_budget_seconds and scheduled_retry_budget_seconds bound the retries of each run. Remove the line."
            )
        return data


class WatchlistSettings(_Section):
    table: str = Field("51000-0004", pattern=r"^51000-\d{4}$")
    countries: list[str] = ["RU", "BY", "KG", "KZ", "AM", "GE", "UZ", "TR"]
    measures: Measures = ["WERTA", "WERTE"]
    since: int = Field(2008, ge=1990)
    revision_years: int = Field(2, ge=0, description="Re-request the current year and this many before it on every run.")


class TableSettings(_Section):
    """A further 51000 table to load, e.g. monthly trade by goods and country (51000-0012)."""

    table: str = Field(pattern=r"^51000-\d{4}$")
    goods_variable: str = Field("", pattern=r"^(WA[A-Z0-9]*)?$", description="Goods classification, e.g. WAM4 or WAM8.")
    goods: list[GoodsKey] = Field(["*"], description="Goods keys (e.g. WA8703, text with leading zeros) or * for all.")
    goods_estimate: int = Field(1000, ge=1, description="How many goods * stands for, to plan requests below the dialog limit.")
    countries: list[str] | None = Field(None, description="Default: [watchlist] countries.")
    measures: Measures = ["WERTA", "WERTE"]
    since: int | None = Field(None, ge=1990, description="Default: [watchlist] since.")


class PriorityGoodsSettings(_Section):
    """The CHPL monitor: the goods of warehouse/seeds/priority_goods.csv by country, from a 6-digit goods table."""

    table: str = Field("51000-0012", pattern=r"^51000-\d{4}$")
    goods_variable: str = Field("WAM6", pattern=r"^WA[A-Z0-9]+$", description="The table's 6-digit goods classification.")
    countries: list[str] = ["RU", "BY", "AM", "AZ", "GE", "KZ", "KG", "TJ", "TM", "UZ", "TR", "AE"]
    since: int = Field(2019, ge=1990)


class WarehouseSettings(_Section):
    path: Path = Path("data/exportwatch.duckdb")
    url: str | None = Field(
        None,
        description="Instead of path: 'ducklake:sqlite:PATH' or 'ducklake:postgres:<libpq string>' (password in PGPASSWORD). "
        "path's folder stays the local working folder (archive, staging, lock).",
    )
    data_path: str | None = Field(None, description="DuckLake only: folder (or s3://...) for the Parquet data files.")
    archive_dir: Path = Path("data/raw")
    lock_timeout_seconds: float = Field(30.0, ge=0)
    snapshot_path: Path | None = Field(None, description="If set, a read-only copy refreshed after each successful run.")
    report_dir: Path | None = Field(
        None, description="Where a run writes the HTML report; default: report/ beside the warehouse file."
    )
    memory_limit: str = Field(
        "700MB",
        pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description="DuckDB memory limit for staging and loading; beyond it DuckDB spills to disk.",
    )

    @model_validator(mode="after")
    def _backend_fits(self) -> "WarehouseSettings":
        location = self.location  # raises WarehouseUrlError (a ValueError) for an unsupported url
        if location.is_lake and self.snapshot_path:
            raise ValueError("snapshot_path is for a DuckDB file; DuckLake readers see consistent snapshots already")
        return self

    @property
    def location(self) -> WarehouseLocation:
        """The DuckDB file at path, or the DuckLake the url names."""
        return WarehouseLocation.parse(self.url, self.data_path) if self.url else WarehouseLocation.file(self.path)


class ScheduleSettings(_Section):
    cron: str = "30 8 * * 1-5"
    timezone: str = "Europe/Berlin"

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        return check_cron(value)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Europe/Berlin or UTC") from None
        return value


# Five cron fields, their ranges and names (the cron Prefect's scheduler understands, without its
# random and hashed extensions); checked here so that no command, `serve` least, starts with a
# schedule that cannot work.
CRON_FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")),
    ("day of week", 0, 7, ("sun", "mon", "tue", "wed", "thu", "fri", "sat")),
)


def check_cron(expression: str) -> str:
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"cron {expression!r} needs 5 fields (minute hour day-of-month month day-of-week), e.g. '30 8 * * 1-5'")
    for text, (name, low, high, names) in zip(fields, CRON_FIELDS):
        for item in text.split(","):
            span, _, step = item.partition("/")
            if step and not (step.isdigit() and int(step) >= 1):
                raise ValueError(f"cron {expression!r}: bad step {step!r} in the {name} field")
            if span == "*":
                continue
            for bound in span.split("-", 1):
                number = names.index(bound.lower()) + (1 if name == "month" else 0) if bound.lower() in names else bound
                if not (str(number).isdigit() and low <= int(number) <= high):
                    raise ValueError(f"cron {expression!r}: {bound!r} is not a valid {name} ({low}-{high})")
    return expression


class AlertsSettings(_Section):
    channels: list[str] = Field([], description="Apprise URLs; may hold secrets, so prefer EXPORTWATCH_ALERTS__CHANNELS.")
    rules: list[AlertRule] = [
        AlertRule(name="russia-exports-yoy", countries=["RU"], flow="export", metric="yoy_pct", threshold=-20.0)
    ]
    delivery_attempts: int = Field(3, ge=1)
    delivery_backoff_seconds: float = Field(2.0, ge=0)

    @field_validator("rules")
    @classmethod
    def _unique_names(cls, rules: list[AlertRule]) -> list[AlertRule]:
        names = [r.name for r in rules]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"rule names must be unique; repeated: {duplicates}")
        return rules


class Settings(BaseSettings):
    """All settings. Environment variables EXPORTWATCH_<SECTION>__<KEY> override the file."""

    model_config = SettingsConfigDict(env_prefix="EXPORTWATCH_", env_nested_delimiter="__", extra="forbid")

    genesis: GenesisSettings = GenesisSettings()
    watchlist: WatchlistSettings = WatchlistSettings()
    warehouse: WarehouseSettings = WarehouseSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    alerts: AlertsSettings = AlertsSettings()
    tables: list[TableSettings] = []
    limits: Limits = Limits()
    priority_goods: PriorityGoodsSettings | None = Field(None, description="The CHPL monitor; off unless the section exists.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls)


def config_path(explicit: Path | None = None) -> Path | None:
    """--config, else EXPORTWATCH_CONFIG, else ./exportwatch.toml if present, else embedded defaults."""
    if explicit is not None:
        return explicit
    if os.environ.get(ENV_CONFIG):
        return Path(os.environ[ENV_CONFIG])
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.exists() else None


def load_settings(explicit: Path | None = None, *, db: Path | None = None) -> Settings:
    path = config_path(explicit)
    if path is not None and not path.is_file():
        raise ConfigError(f"Configuration file {path} not found (from --config or {ENV_CONFIG}).")

    class FileSettings(Settings):
        model_config = SettingsConfigDict(toml_file=path)

    try:
        settings = FileSettings() if path else Settings()
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors(include_url=False))
        raise ConfigError(f"Invalid configuration{f' in {path}' if path else ''}: {problems}") from None
    except ValueError as error:  # a TOML syntax error
        raise ConfigError(f"Cannot read configuration file {path}: {error}") from None
    if os.environ.get(ENV_API_URL):
        try:
            settings.genesis.api_url = _web_url(os.environ[ENV_API_URL])
        except ValueError as error:
            raise ConfigError(f"Invalid {ENV_API_URL}: {error}") from None
    if db is not None or os.environ.get(ENV_DB):  # a DuckDB file named here wins over [warehouse] url
        settings.warehouse.path = db if db is not None else Path(os.environ[ENV_DB])
        settings.warehouse.url = settings.warehouse.data_path = None
    if settings.warehouse.path.is_dir():
        raise ConfigError(
            f"The warehouse {settings.warehouse.path} is a folder; name a DuckDB file in it instead, "
            f"e.g. --db {settings.warehouse.path / 'exportwatch.duckdb'}."
        )
    resolve_countries(settings.watchlist.countries)
    for extra in settings.tables:
        resolve_countries(extra.countries or settings.watchlist.countries)
    if settings.priority_goods is not None:
        resolve_countries(settings.priority_goods.countries)
    for rule in settings.alerts.rules:
        resolve_countries(rule.countries)
    return settings


# [warehouse] path of flows/demo/demo.toml: where `exportwatch demo` leaves its warehouse.
DEMO_WAREHOUSE = Path("data/demo.duckdb")


def demo_warehouse_instead(settings: Settings, db: Path | None) -> Path | None:
    """For a read command right after `exportwatch demo`: the demo's warehouse, when no warehouse
    was named (--db, EXPORTWATCH_DB, [warehouse] path or url) and the default one does not exist yet."""
    default = WarehouseSettings.model_fields["path"].default
    if db is not None or os.environ.get(ENV_DB) or settings.warehouse.url or settings.warehouse.path != default:
        return None
    if default.exists() or not DEMO_WAREHOUSE.is_file():
        return None
    return DEMO_WAREHOUSE


def resolve_countries(values: list[str]) -> tuple[str, ...]:
    """ISO alpha-2 codes or STLAH keys -> STLAH keys, in the given order, without duplicates."""
    table = countries()
    by_iso = {c.iso2: c.code for c in table.values() if c.iso2}
    resolved: list[str] = []
    for value in values:
        text = value.strip().upper()
        code = text if text in table else by_iso.get(text)
        if code is None:
            raise ConfigError(
                f"Unknown country {value!r}: use an ISO 3166 alpha-2 code (e.g. RU) or a STLAH key (e.g. STLAH075); "
                f"see the countries table."
            )
        if code not in resolved:
            resolved.append(code)
    if not resolved:
        raise ConfigError("No countries to watch: set [watchlist] countries or pass --country.")
    return tuple(resolved)
