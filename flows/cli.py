"""The `exportwatch` command line. Heavy imports (Prefect, DuckDB, pandas) happen inside the
commands, so `exportwatch --help` answers at once."""

import csv
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from flows.errors import ExportwatchError
from flows.prefect_env import configure_prefect
from warehouse.errors import WarehouseError

app = typer.Typer(help="Watch German foreign trade (Destatis GENESIS-Online) in a DuckDB warehouse.", no_args_is_help=True)
# Piped output (files, other programs) gets wide tables instead of columns cut to 80 characters.
console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 240)
errors = Console(stderr=True)

ConfigOption = Annotated[Path | None, typer.Option("--config", help="TOML configuration (default: $EXPORTWATCH_CONFIG or ./exportwatch.toml).")]
DbOption = Annotated[Path | None, typer.Option("--db", help="Warehouse file (default: $EXPORTWATCH_DB or data/exportwatch.duckdb).")]
CountryOption = Annotated[list[str] | None, typer.Option("--country", help="ISO alpha-2 code or STLAH key; repeat for several. Default: [watchlist] countries.")]


class OutputFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


def fail(error: Exception) -> None:
    # The message is text, not markup: "[request: ...]" or "[priority_goods]" must print as written.
    errors.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


@app.callback()
def main() -> None:
    configure_prefect()


@app.command()
def update(
    db: DbOption = None,
    config: ConfigOption = None,
    country: CountryOption = None,
    since: Annotated[
        int | None,
        typer.Option(
            help="Extend the history back to this year: years never fetched are fetched once; already fetched years "
            "only as every run does (recent ones, with stand). To download again: backfill."
        ),
    ] = None,
) -> None:
    """Fetch what GENESIS published or revised since the last run and load it."""
    from flows.config import load_settings, resolve_countries
    from flows.genesis.credentials import require_credentials

    try:
        load_settings(config, db=db)
        if country:
            resolve_countries(country)
        require_credentials()
        from flows.update_trade import update_trade

        with fetch_progress():
            result = update_trade(config=str(config) if config else None, db=str(db) if db else None, countries=country, since=since)
    except (ExportwatchError, WarehouseError) as error:
        fail(error)
    print_summary(result)


@app.command()
def backfill(
    country: Annotated[list[str], typer.Option("--country", help="ISO alpha-2 code or STLAH key; repeat for several.")],
    since: Annotated[
        int,
        typer.Option(
            help="First year. Every year since..until is downloaded again, without stand "
            "(update --since fetches only the years never fetched)."
        ),
    ],
    until: Annotated[int | None, typer.Option(help="Last year (default: this year).")] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Load every year since..until for some countries, whatever was fetched before."""
    from flows.config import load_settings, resolve_countries
    from flows.genesis.credentials import require_credentials

    try:
        load_settings(config, db=db)
        resolve_countries(country)
        require_credentials()
        from flows.backfill import backfill as backfill_flow

        with fetch_progress():
            result = backfill_flow(countries=country, since=since, until=until, config=str(config) if config else None, db=str(db) if db else None)
    except (ExportwatchError, WarehouseError) as error:
        fail(error)
    print_summary(result)


@contextmanager
def fetch_progress() -> Iterator[None]:
    """A progress bar on stderr fed by the pipeline's progress log records (see flows.pipeline)."""
    import logging

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("fetching"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=errors, transient=True)
    task = progress.add_task("fetch", total=None)

    class ProgressHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            done, total = getattr(record, "progress", (None, None))
            if total and total > 1:
                progress.update(task, completed=done, total=total)

    handler = ProgressHandler(level=logging.INFO)
    logger = logging.getLogger("flows.progress")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with progress:
            yield
    finally:
        logger.removeHandler(handler)


def print_summary(result: dict) -> None:
    console.print(
        f"{result['status']}: {result['requests']} request(s), {result['rows_inserted']} row(s) inserted, "
        f"{result['rows_closed']} closed by revisions; {result['new_months']} new and {result['revised_months']} revised month(s); "
        f"{result['alerts_raised']} alert(s) raised, {result['alerts_pending']} pending delivery."
    )


@app.command()
def load(
    path: Annotated[Path, typer.Argument(help="A flat file (ZIP or CSV) downloaded from GENESIS-Online, format 'flat file CSV'.")],
    table: Annotated[str | None, typer.Option(help="Table code, when the file name does not contain it (e.g. 51000-0012).")] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Load a flat file you downloaded by hand, with the same validation and vintage rules."""
    import time

    from flows.config import load_settings
    from flows.load_file import load_file

    started = time.monotonic()
    try:
        report = load_file(load_settings(config, db=db), path, table=table)
    except (ExportwatchError, WarehouseError) as error:
        fail(error)
    console.print(
        f"{report.status}: {report.rows_inserted} row(s) inserted, {report.rows_closed} closed by revisions "
        f"({time.monotonic() - started:.1f} s)."
    )


CHECK_RETRY_BUDGET_SECONDS = 5.0


@app.command()
def check(config: ConfigOption = None) -> None:
    """Check that the GENESIS credentials work (helloworld/logincheck) and that every configured
    table has the variables the configuration names (metadata/table)."""
    from flows.config import load_settings
    from flows.genesis.credentials import require_credentials
    from flows.pipeline import build_client
    from flows.table_check import check_tables

    try:
        settings = load_settings(config)
        # A quick answer: a retry or two rides over a blip, an unreachable server fails in seconds.
        budget = min(settings.genesis.retry_budget_seconds, CHECK_RETRY_BUDGET_SECONDS)
        client = build_client(settings, require_credentials(), budget_seconds=budget)
        try:
            ok, status = client.logincheck()
            tables = check_tables(client, settings) if ok else []
        finally:
            client.close()
    except (ExportwatchError, WarehouseError) as error:
        fail(error)
    if not ok:
        fail(ExportwatchError(f"GENESIS at {client.base_url} rejected the credentials: {status}"))
    console.print(f"Credentials work at {client.base_url}: {status}", highlight=False, markup=False)
    for table in tables:
        if not table.missing:
            console.print(table.line(), highlight=False, markup=False)
    problems = [table.line() for table in tables if table.missing]
    if problems:
        fail(ExportwatchError("; ".join(problems)))


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run, e.g. \"SELECT * FROM monthly_trade LIMIT 5\".")],
    db: DbOption = None,
    config: ConfigOption = None,
    format: Annotated[OutputFormat, typer.Option("--format", help="table, csv or json.")] = OutputFormat.table,
    timeout: Annotated[float, typer.Option("--timeout", min=0, metavar="SECONDS", help="Stop the query after SECONDS (0: no limit).")] = 300,
) -> None:
    """Run a read-only query (SELECT, EXPLAIN) against the warehouse; see docs/security.md."""
    import duckdb

    from warehouse.read_only_sql import QueryInterrupted, run_read_only

    with read_only_warehouse(config, db) as (_, con):
        try:
            result = run_read_only(con, query, timeout=timeout or None)
        except QueryInterrupted as error:
            errors.print(str(error), markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(130 if error.by_user else 1)
        except WarehouseError as error:
            fail(error)
        except duckdb.Error as error:
            fail(ExportwatchError(f"SQL error: {error}"))
    write_rows(result.columns, result.rows, format)


@contextmanager
def read_only_warehouse(config: Path | None, db: Path | None) -> Iterator[tuple[Any, Any]]:
    """(settings, read-only connection); waits briefly if an update holds the file, then says so."""
    from flows.config import load_settings
    from warehouse.connection import connect, forbid_outside_access

    try:
        settings = load_settings(config, db=db)
        con = connect(
            settings.warehouse.location, read_only=True, lock_timeout=min(settings.warehouse.lock_timeout_seconds, 5),
            memory_limit=settings.warehouse.memory_limit,
        )
    except (ExportwatchError, WarehouseError, FileNotFoundError) as error:
        fail(error)
    forbid_outside_access(con, settings.warehouse.location)
    try:
        yield settings, con
    finally:
        con.close()


def write_rows(columns: list[str], rows: list[tuple], format: OutputFormat) -> None:
    if format is OutputFormat.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    elif format is OutputFormat.json:
        sys.stdout.write(json.dumps([dict(zip(columns, row)) for row in rows], default=str, indent=1) + "\n")
    else:
        table = Table(*columns)
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        console.print(table)


@app.command()
def status(db: DbOption = None, config: ConfigOption = None) -> None:
    """Latest month and last revision per series, and the last runs."""
    from warehouse import queries

    with read_only_warehouse(config, db) as (settings, con):
        console.print(f"[bold]Series[/] in {settings.warehouse.location}")
        write_rows(*queries.rows(con, "status_series"), OutputFormat.table)
        console.print("[bold]Last runs[/]")
        write_rows(*queries.rows(con, "status_runs"), OutputFormat.table)


@app.command()
def serve(
    db: DbOption = None,
    config: ConfigOption = None,
    port: Annotated[int, typer.Option(help="Port of the local Prefect server (when PREFECT_API_URL is not set).")] = 4200,
) -> None:
    """Run the scheduled deployments (starts a local Prefect server unless PREFECT_API_URL is set)."""
    import os

    from flows.config import load_settings
    from flows.genesis.credentials import require_credentials
    from flows.serve import local_prefect_server, raise_keyboard_interrupt_on_sigterm, serve_deployments

    try:
        settings = load_settings(config, db=db)
        require_credentials()
    except (ExportwatchError, WarehouseError) as error:
        fail(error)
    raise_keyboard_interrupt_on_sigterm()
    schedule = f"{settings.schedule.cron} ({settings.schedule.timezone})"
    try:
        if os.environ.get("PREFECT_API_URL"):
            console.print(f"Serving update-trade/scheduled {schedule} and backfill/manual on {os.environ['PREFECT_API_URL']}. Ctrl-C stops.")
            serve_deployments(settings, config, db)
            return
        home = Path(os.environ["PREFECT_HOME"])
        with local_prefect_server(home, port) as (api_url, pid):
            os.environ["PREFECT_API_URL"] = api_url
            console.print(f"Prefect server (pid {pid}) ready; UI: {api_url.removesuffix('/api')}")
            console.print(f"Serving update-trade/scheduled {schedule} and backfill/manual. Ctrl-C stops.")
            serve_deployments(settings, config, db)
    except KeyboardInterrupt:
        pass
    except (ExportwatchError, WarehouseError) as error:
        fail(error)
    console.print("Stopped.")


alerts_app = typer.Typer(help="Threshold alerts: list them, or test the channels.", invoke_without_command=True)
app.add_typer(alerts_app, name="alerts")


class AlertStatus(str, Enum):
    all = "all"
    pending = "pending"
    delivered = "delivered"


@alerts_app.callback()
def alerts_list(
    ctx: typer.Context,
    status: Annotated[AlertStatus, typer.Option(help="all, pending (some channel lacks it) or delivered.")] = AlertStatus.all,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 50,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """List alerts, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    from warehouse import alerts as store

    with read_only_warehouse(config, db) as (_, con):
        write_rows(*store.listing(con, status.value, limit), OutputFormat.table)


@alerts_app.command("test")
def alerts_test(config: ConfigOption = None) -> None:
    """Send a test message to every configured channel and report each result."""
    from flows.alerts.channels import Channel, send
    from flows.config import load_settings

    try:
        settings = load_settings(config)
    except (ExportwatchError, WarehouseError) as error:
        fail(error)
    if not settings.alerts.channels:
        fail(ExportwatchError("No [alerts] channels configured: add Apprise URLs to the configuration or EXPORTWATCH_ALERTS__CHANNELS."))
    failed = 0
    for url in settings.alerts.channels:
        result = send(Channel(url), "exportwatch: test message", "If you read this, exportwatch alerts reach this channel.")
        failed += not result.ok
        console.print(f"{'ok    ' if result.ok else 'FAILED'} {result.channel.display}" + ("" if result.ok else f"  {result.error}"))
    if failed:
        raise typer.Exit(1)


@app.command()
def runs(limit: Annotated[int, typer.Option(help="How many runs.")] = 20) -> None:
    """Recent flow runs with state and duration."""
    from flows.run_history import recent_runs

    columns, rows = recent_runs(limit)
    write_rows(columns, rows, OutputFormat.table)


@app.command()
def report(
    db: DbOption = None,
    config: ConfigOption = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for index.html and the PNG charts.")] = Path("data/report"),
    country: Annotated[str, typer.Option("--country", help="ISO alpha-2 code or STLAH key of the series to report on.")] = "RU",
) -> None:
    """Write an HTML report with PNG charts (opens offline): series, route comparison, top goods, latest months."""
    from flows.config import load_settings
    from flows.html_report.build import build_report

    try:
        result = build_report(load_settings(config, db=db), out, country)
    except (ExportwatchError, WarehouseError) as error:
        fail(error)
    console.print(f"Report written: {result.index} ({', '.join(result.charts)}).")


warehouse_app = typer.Typer(help="Move the warehouse between a DuckDB file and a DuckLake.", no_args_is_help=True)
app.add_typer(warehouse_app, name="warehouse")


@warehouse_app.command("copy")
def warehouse_copy(
    to: Annotated[str, typer.Option("--to", help="Target: a DuckDB file path, ducklake:sqlite:PATH or ducklake:postgres:<libpq string> (password in PGPASSWORD).")],
    data_path: Annotated[str | None, typer.Option("--data-path", help="DuckLake target only: folder (or s3://...) for its Parquet files.")] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Copy the configured warehouse, every table and row, into a new one and verify it."""
    from flows.config import load_settings
    from flows.run_lock import update_lock
    from warehouse.copy import copy_warehouse
    from warehouse.location import WarehouseLocation, WarehouseUrlError

    try:
        settings = load_settings(config, db=db)
        target = WarehouseLocation.parse(to, data_path)
        with update_lock(settings.warehouse.path, settings.warehouse.lock_timeout_seconds):  # no update meanwhile
            copied = copy_warehouse(settings.warehouse.location, target, memory_limit=settings.warehouse.memory_limit)
    except (ExportwatchError, WarehouseError, WarehouseUrlError) as error:
        fail(error)
    table = Table("table", "rows")
    for item in copied:
        table.add_row(item.name, f"{item.rows:,}")
    console.print(table)
    console.print(f"Copied {settings.warehouse.location} to {target}: {len(copied)} tables, every row verified.", highlight=False)


@app.command()
def demo(db: DbOption = None) -> None:
    """Run the real update flow against a local GENESIS-protocol server with real (Eurostat) figures."""
    from flows.demo.run import run_demo

    try:
        lines = run_demo(db)
    except (ExportwatchError, WarehouseError) as error:
        fail(error)
    for line in lines:
        console.print(line, highlight=False)


if __name__ == "__main__":
    app()
