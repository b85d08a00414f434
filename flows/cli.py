"""The `exportwatch` command line. Heavy imports (Prefect, pandas, Rich) happen inside the commands
that need them, so `exportwatch --help`, `sql` and `status` start fast (benchmarks/startup.py).

Every expected failure is one line on stderr (exit 1, or 75 when trying later may work); an
unexpected one is a bug: its traceback and a line saying so. Text from GENESIS, the warehouse or
the user is printed literally (flows.text_output), never interpreted as markup.
"""

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from flows.console import EXIT_INTERRUPTED
from flows.errors import EXIT_ERROR, EXIT_TEMPORARY, EXIT_USAGE, EXPECTED_ERRORS, ExportwatchError, TemporaryError
from flows.orchestration.prefect_env import configure_prefect, send_pending_logs_and_events
from flows.text_output import OutputFormat, write_rows

INTERRUPTED = (
    "interrupted: the run stopped; a load that had not committed left the warehouse as it was "
    "(exportwatch status shows the last loads)."
)
INTERRUPTED_BY_CTRL_C = "interrupted (Ctrl-C)."
BUG_REPORT = (
    "This is a bug in exportwatch, not in your data or configuration: please report it with the traceback above "
    "(exportwatch --version, the command, what you expected) to the project's issue tracker."
)


class ExportwatchApp(typer.Typer):
    """The Typer app, with the error contract: see the module docstring."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except EXPECTED_ERRORS as error:
            report_error(error)
            code = exit_code(error)
            if code == EXIT_INTERRUPTED:
                # The run has ended and its state is recorded. A message abandoned in flight to a
                # slow alert channel runs in Apprise's worker threads, which the interpreter would
                # wait for at exit, up to the channel's timeout: do not wait for them.
                send_pending_logs_and_events()
                sys.stdout.flush()
                os._exit(code)
            sys.exit(code)
        except SystemExit as leaving:
            # Typer ends a command that Ctrl-C stopped outside its own handling (between the start
            # and the command's first step, say) with exit 130 and no word: say it, as below.
            typer_exit = leaving.__context__
            if leaving.code == EXIT_INTERRUPTED and isinstance(getattr(typer_exit, "__cause__", None), KeyboardInterrupt):
                print(INTERRUPTED_BY_CTRL_C, file=sys.stderr, flush=True)
            raise
        except Exception as error:
            if stopped_by_ctrl_c(error):  # DuckDB stopped a query for Ctrl-C in a command without its own message
                print(INTERRUPTED_BY_CTRL_C, file=sys.stderr, flush=True)
                sys.exit(EXIT_INTERRUPTED)
            import traceback  # only for a bug: the module costs start-up time of every command

            traceback.print_exc()
            print(BUG_REPORT, file=sys.stderr)
            sys.exit(EXIT_ERROR)


def stopped_by_ctrl_c(error: BaseException) -> bool:
    """Ctrl-C, also as DuckDB reports it when it stopped a query for it in this thread: a
    RuntimeError("Query interrupted") raised from the KeyboardInterrupt."""
    return isinstance(error, KeyboardInterrupt) or (
        isinstance(error, RuntimeError) and isinstance(error.__cause__, KeyboardInterrupt)
    )


def exit_code(error: BaseException) -> int:
    from flows.shutdown import Stopped
    from warehouse.connection import WarehouseLockedError
    from warehouse.transactions import WriteConflictError

    if isinstance(error, Stopped):  # Ctrl-C or SIGTERM, also when it stopped a run after its load committed
        return EXIT_INTERRUPTED
    return EXIT_TEMPORARY if isinstance(error, (TemporaryError, WarehouseLockedError, WriteConflictError)) else EXIT_ERROR


def report_error(error: BaseException) -> None:
    # Expected errors carry their own sentence (ours, or the system's "[Errno 13] Permission denied: ...").
    text = str(error) or type(error).__name__
    print(f"error: {text}", file=sys.stderr, flush=True)


app = ExportwatchApp(
    help="Watch German foreign trade (Destatis GENESIS-Online) in a DuckDB warehouse.\n\n"
    "Exit codes: 0 ok, 1 error, 2 usage, 75 temporary (busy or unreachable: try later), 130 interrupted.",
    no_args_is_help=True,
    rich_markup_mode=None,  # help text shows [watchlist] and other section names literally
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="TOML configuration (default: $EXPORTWATCH_CONFIG or ./exportwatch.toml).")
]
DbOption = Annotated[
    Path | None, typer.Option("--db", help="Warehouse file (default: $EXPORTWATCH_DB or data/exportwatch.duckdb).")
]
CountryOption = Annotated[
    list[str] | None,
    typer.Option("--country", help="ISO alpha-2 code or STLAH key; repeat for several. Default: [watchlist] countries."),
]
# What an alert is about; in a narrow terminal the listing leaves out the other columns first.
ALERT_COLUMNS_TO_KEEP = ("rule", "country", "month", "kind", "metric_value")
FORMAT_HELP = "table, csv, json or jsonl. In json and jsonl, DECIMAL values are strings (exact), dates ISO 8601."
FormatOption = Annotated[OutputFormat, typer.Option("--format", help=FORMAT_HELP)]


class SummaryFormat(str, Enum):
    text = "text"
    json = "json"


SummaryFormatOption = Annotated[
    SummaryFormat, typer.Option("--format", help="text, or json: the run summary as one JSON object.")
]


class Verbosity(int, Enum):
    quiet = 0
    normal = 1
    verbose = 2


verbosity = Verbosity.normal


def say(text: str) -> None:
    """One line for the user on stdout, literally; nothing under --quiet."""
    if verbosity is not Verbosity.quiet:
        print(text, flush=True)


def fail(error: Exception) -> None:
    raise error


def usage_error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(EXIT_USAGE)


def show_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        print(f"exportwatch {version('exportwatch')}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=show_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show Prefect's log (server start, task states) on stderr.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print nothing but errors (for cron); exit code tells the rest.")
    ] = False,
) -> None:
    global verbosity
    verbosity = Verbosity.verbose if verbose else Verbosity.quiet if quiet else Verbosity.normal
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
    format: SummaryFormatOption = SummaryFormat.text,
) -> None:
    """Fetch what GENESIS published or revised since the last run and load it."""
    from flows.config import load_settings, resolve_countries
    from flows.genesis.credentials import require_credentials

    load_settings(config, db=db)
    if country:
        resolve_countries(country)
    require_credentials()
    result = run_flow(
        "update_trade", config=str(config) if config else None, db=str(db) if db else None, countries=country, since=since
    )
    print_summary(result, format)


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
    format: SummaryFormatOption = SummaryFormat.text,
) -> None:
    """Load every year since..until for some countries, whatever was fetched before."""
    from flows.config import load_settings, resolve_countries
    from flows.genesis.credentials import require_credentials

    load_settings(config, db=db)
    resolve_countries(country)
    require_credentials()
    result = run_flow(
        "backfill",
        countries=country,
        since=since,
        until=until,
        config=str(config) if config else None,
        db=str(db) if db else None,
    )
    print_summary(result, format)


def run_flow(name: str, **parameters: Any) -> dict:
    """Run the flow flows.<name>.<name> in this process against a temporary Prefect API of our own
    (or PREFECT_API_URL), with a progress bar and Prefect's log as --verbose/--quiet ask. An
    expected failure is re-raised here without a traceback; Ctrl-C or SIGTERM stops it in seconds."""
    from importlib import import_module

    from flows.orchestration.prefect_env import prefect_console, temporary_prefect_api
    from flows.serve import raise_keyboard_interrupt_on_sigterm

    raise_keyboard_interrupt_on_sigterm()
    try:
        with temporary_prefect_api():
            flow = getattr(import_module(f"flows.{name}"), name)
            from flows.orchestration.flow_failures import flow_result

            prefect_console(verbosity.value)
            with fetch_progress():
                state = flow(**parameters, return_state=True)
        return flow_result(state)
    except BaseException as error:
        if not stopped_by_ctrl_c(error):
            raise
        print(INTERRUPTED, file=sys.stderr, flush=True)
        sys.stdout.flush()
        # The lock is released, the warehouse closed and Prefect told by now; requests still in
        # flight in worker threads would hold the exit up to their HTTP timeout: do not wait for them.
        os._exit(EXIT_INTERRUPTED)


@contextmanager
def fetch_progress() -> Iterator[None]:
    """A progress bar on stderr fed by the pipeline's progress log records (see flows.pipeline.fetch);
    only on a terminal, and not with --quiet."""
    if verbosity is Verbosity.quiet or not sys.stderr.isatty():
        yield
        return
    import logging

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("fetching"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
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


def print_summary(result: dict, format: SummaryFormat = SummaryFormat.text) -> None:
    if format is SummaryFormat.json:
        import json

        print(json.dumps(result))
        return
    say(
        f"{result['status']}: {result['requests']} request(s), {result['rows_inserted']} row(s) inserted, "
        f"{result['rows_closed']} closed by revisions; {result['new_months']} new and {result['revised_months']} revised month(s); "
        f"{result['alerts_raised']} alert(s) raised, {result['alerts_pending']} pending delivery."
    )


@app.command()
def load(
    path: Annotated[
        Path, typer.Argument(help="A flat file (ZIP or CSV) downloaded from GENESIS-Online, format 'flat file CSV'.")
    ],
    table: Annotated[
        str | None, typer.Option(help="Table code, when the file name does not contain it (e.g. 51000-0012).")
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    format: SummaryFormatOption = SummaryFormat.text,
) -> None:
    """Load a flat file you downloaded by hand, with the same validation and vintage rules.

    A file whose data is loaded already (the same file, or the CSV of a loaded ZIP) loads nothing
    and is not copied into the archive again.
    """
    import time

    from flows.config import load_settings
    from flows.pipeline.load_file import load_file

    started = time.monotonic()
    try:
        report = load_file(load_settings(config, db=db), path, table=table)
    except BaseException as error:  # the update lock and the scratch files are released on the way out
        if not stopped_by_ctrl_c(error):
            raise
        print(INTERRUPTED, file=sys.stderr, flush=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    seconds = round(time.monotonic() - started, 1)
    if format is SummaryFormat.json:
        import json

        print(
            json.dumps(
                {
                    "status": report.status,
                    "rows_inserted": report.rows_inserted,
                    "rows_closed": report.rows_closed,
                    "already_loaded": report.already_loaded,
                    "seconds": seconds,
                }
            )
        )
        return
    if report.already_loaded:
        say(f"unchanged: this file's data is loaded already; nothing inserted ({seconds:.1f} s).")
    elif report.status == "unchanged":
        say(f"unchanged: no value in this file is new to the warehouse ({seconds:.1f} s).")
    else:
        say(f"loaded: {report.rows_inserted} row(s) inserted, {report.rows_closed} closed by revisions ({seconds:.1f} s).")


CHECK_RETRY_BUDGET_SECONDS = 5.0


@app.command()
def check(config: ConfigOption = None) -> None:
    """Check that the GENESIS credentials work (helloworld/logincheck) and that every configured
    table has the variables the configuration names (metadata/table)."""
    from flows.config import load_settings
    from flows.genesis.credentials import require_credentials
    from flows.pipeline.fetch import build_client
    from flows.pipeline.table_check import check_tables

    settings = load_settings(config)
    # A quick answer: a retry or two rides over a blip, an unreachable server fails in seconds.
    budget = min(settings.genesis.retry_budget_seconds, CHECK_RETRY_BUDGET_SECONDS)
    client = build_client(settings, require_credentials(), budget_seconds=budget)
    try:
        ok, status = client.logincheck()
        tables = check_tables(client, settings) if ok else []
    finally:
        client.close()
    if not ok:
        fail(ExportwatchError(f"GENESIS at {client.base_url} rejected the credentials: {status}"))
    say(f"Credentials work at {client.base_url}: {status}")
    for table in tables:
        if not table.missing:
            say(table.line())
    problems = [table.line() for table in tables if table.missing]
    if problems:
        fail(ExportwatchError("; ".join(problems)))


@app.command()
def sql(
    query: Annotated[
        str,
        typer.Argument(
            help='SQL to run, e.g. "SELECT * FROM monthly_trade LIMIT 5". Several statements: table and jsonl show every result.'
        ),
    ],
    db: DbOption = None,
    config: ConfigOption = None,
    format: FormatOption = OutputFormat.table,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0, metavar="SECONDS", help="Stop the query after SECONDS (0: no limit).")
    ] = 300,
) -> None:
    """Run a read-only query (SELECT, EXPLAIN) against the warehouse; see docs/security.md."""
    import duckdb

    from warehouse.read_only_sql import QueryInterrupted, denied_functions, run_read_only

    if not query.strip():
        usage_error('the query is empty; e.g. exportwatch sql "SELECT * FROM monthly_trade LIMIT 5"')
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as error:
        fail(ExportwatchError(f"SQL error: {one_line(str(error))}"))
    if not statements:
        usage_error("the query holds no SQL statement (only comments or semicolons)")
    if len(statements) > 1 and format in (OutputFormat.csv, OutputFormat.json):
        usage_error(
            f"{len(statements)} statements: --format {format.value} prints one result; run them one by one, or use --format table or jsonl"
        )
    denied: set[str] = set()  # read before the lockdown, which closes DuckDB's list of loaded extensions
    with read_only_warehouse(config, db, before_lockdown=lambda con: denied.update(denied_functions(con))) as (_, con):
        try:
            results = run_read_only(con, query, timeout=timeout or None, denied=frozenset(denied))
        except QueryInterrupted as error:
            print(str(error), file=sys.stderr, flush=True)
            raise typer.Exit(EXIT_INTERRUPTED if error.by_user else EXIT_ERROR) from None
        except duckdb.Error as error:
            fail(ExportwatchError(f"SQL error: {one_line(str(error))}"))
    for number, result in enumerate(results):
        if number and format is OutputFormat.table:
            print()
        write_rows(result.columns, result.rows, format)


def one_line(text: str) -> str:
    """DuckDB's multi-line error (message, hint, LINE 1: ..., a caret under it) as one line."""
    return " ".join(line.strip() for line in text.splitlines() if line.strip() and set(line.strip()) != {"^"})


@contextmanager
def read_only_warehouse(
    config: Path | None, db: Path | None, before_lockdown: Callable[[Any], None] | None = None
) -> Iterator[tuple[Any, Any]]:
    """(settings, read-only connection); waits briefly if an update holds the file, then says so.
    before_lockdown(con) runs before forbid_outside_access."""
    from flows.config import demo_warehouse_instead, load_settings
    from warehouse.connection import connect, forbid_outside_access

    settings = load_settings(config, db=db)
    demo = demo_warehouse_instead(settings, db)
    if demo is not None:
        if verbosity is not Verbosity.quiet:
            print(f"no {settings.warehouse.path} yet; showing the demo warehouse {demo}", file=sys.stderr, flush=True)
        settings.warehouse.path = demo
    con = connect(
        settings.warehouse.location,
        read_only=True,
        lock_timeout=min(settings.warehouse.lock_timeout_seconds, 5),
        memory_limit=settings.warehouse.memory_limit,
    )
    try:
        if before_lockdown is not None:
            before_lockdown(con)
        forbid_outside_access(con, settings.warehouse.location)
        yield settings, con
    finally:
        con.close()


def not_a_warehouse(settings: Any, error: Exception) -> ExportwatchError:
    return ExportwatchError(
        f"{settings.warehouse.location} has no exportwatch views ({str(error).splitlines()[0]}); "
        f"is it an exportwatch warehouse? `exportwatch update` creates and migrates one."
    )


@app.command()
def status(db: DbOption = None, config: ConfigOption = None, format: FormatOption = OutputFormat.table) -> None:
    """Latest month and last revision per series, and the last runs (also those that found nothing new)."""
    import duckdb

    from warehouse import queries

    with read_only_warehouse(config, db) as (settings, con):
        try:
            series = queries.run(con, "status_series")
            runs = queries.run(con, "status_runs")
        except duckdb.CatalogException as error:
            fail(not_a_warehouse(settings, error))
    if format is OutputFormat.table:
        say(f"Series in {settings.warehouse.location}")
        write_rows(*series, format)
        say("Last runs")
        write_rows(*runs, format)
    elif format is OutputFormat.json:
        import json

        from flows.text_output import record

        print(
            json.dumps(
                {name: [record(columns, row) for row in rows] for name, (columns, rows) in (("series", series), ("runs", runs))},
                indent=1,
                ensure_ascii=False,
            )
        )
    else:  # csv, jsonl: one table whose first column says which part a row belongs to
        columns = ["section", *series.columns, *(c for c in runs.columns if c not in series.columns)]
        rows = []
        for section, result in (("series", series), ("runs", runs)):
            for by_name in result.records():
                rows.append((section, *(by_name.get(c) for c in columns[1:])))
        write_rows(columns, rows, format)


@app.command()
def serve(
    db: DbOption = None,
    config: ConfigOption = None,
    port: Annotated[int, typer.Option(help="Port of the local Prefect server (when PREFECT_API_URL is not set).")] = 4200,
) -> None:
    """Run the scheduled deployments (starts a local Prefect server unless PREFECT_API_URL is set)."""

    from flows.config import load_settings
    from flows.genesis.credentials import require_credentials
    from flows.orchestration.prefect_server import local_prefect_server
    from flows.serve import raise_keyboard_interrupt_on_sigterm, serve_deployments

    settings = load_settings(config, db=db)  # validates cron and time zone: nothing starts for a config that cannot work
    require_credentials()
    raise_keyboard_interrupt_on_sigterm()
    schedule = f"{settings.schedule.cron} ({settings.schedule.timezone})"
    try:
        if os.environ.get("PREFECT_API_URL"):
            say(
                f"Serving update-trade/scheduled {schedule} and backfill/manual on {os.environ['PREFECT_API_URL']}. Ctrl-C stops."
            )
            serve_deployments(settings, config, db)
            return
        home = Path(os.environ["PREFECT_HOME"])
        with local_prefect_server(home, port) as (api_url, pid):
            os.environ["PREFECT_API_URL"] = api_url
            say(f"Prefect server (pid {pid}) ready; UI: {api_url.removesuffix('/api')}")
            say(f"Serving update-trade/scheduled {schedule} and backfill/manual. Ctrl-C stops.")
            serve_deployments(settings, config, db)
    except KeyboardInterrupt:
        pass
    say("Stopped.")


alerts_app = typer.Typer(
    help="Threshold alerts: list them, or test the channels.", invoke_without_command=True, rich_markup_mode=None
)
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
    format: FormatOption = OutputFormat.table,
) -> None:
    """List alerts, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    from warehouse import alerts as store

    with read_only_warehouse(config, db) as (_, con):
        write_rows(*store.listing(con, status.value, limit), format, keep=ALERT_COLUMNS_TO_KEEP)


def alerts_test_message(channel: str) -> str:
    """The body `alerts test` sends: who sent it, to which channel (as the terminal shows it, secrets
    masked), and that it is not an alert."""
    return (
        f"This is a test message from exportwatch, sent by `exportwatch alerts test` to the channel {channel}. "
        "It is not an alert: no threshold was crossed. If you read this, exportwatch alerts reach this channel."
    )


@alerts_app.command("test")
def alerts_test(config: ConfigOption = None) -> None:
    """Send a test message to every configured channel and report each result."""
    from flows.alerts.channels import Channel, send
    from flows.config import load_settings

    settings = load_settings(config)
    if not settings.alerts.channels:
        fail(
            ExportwatchError(
                "No [alerts] channels configured: add Apprise URLs to the configuration or EXPORTWATCH_ALERTS__CHANNELS."
            )
        )
    failed = 0
    for url in settings.alerts.channels:
        channel = Channel(url)
        result = send(channel, "exportwatch: test message", alerts_test_message(channel.display))
        failed += not result.ok
        print(f"{'ok    ' if result.ok else 'FAILED'} {result.channel.display}" + ("" if result.ok else f"  {result.error}"))
    if failed:
        raise typer.Exit(EXIT_ERROR)


@app.command()
def runs(limit: Annotated[int, typer.Option(help="How many runs.")] = 20, format: FormatOption = OutputFormat.table) -> None:
    """Recent flow runs with state and duration."""
    from flows.orchestration.run_history import recent_runs

    write_rows(*recent_runs(limit), format)


@app.command()
def report(
    db: DbOption = None,
    config: ConfigOption = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for index.html and the PNG charts.")] = Path("data/report"),
    country: Annotated[str, typer.Option("--country", help="ISO alpha-2 code or STLAH key of the series to report on.")] = "RU",
) -> None:
    """Write an HTML report with PNG charts (opens offline): series, route comparison, top goods, latest months."""
    from flows.config import load_settings
    from flows.report.build import build_report

    result = build_report(load_settings(config, db=db), out, country)
    say(f"Report written: {result.index} ({', '.join(result.charts)}).")


warehouse_app = typer.Typer(
    help="Move the warehouse between a DuckDB file and a DuckLake.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(warehouse_app, name="warehouse")


@warehouse_app.command("copy")
def warehouse_copy(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="Target: a DuckDB file path, ducklake:sqlite:PATH or ducklake:postgres:<libpq string> (password in PGPASSWORD).",
        ),
    ],
    data_path: Annotated[
        str | None, typer.Option("--data-path", help="DuckLake target only: folder (or s3://...) for its Parquet files.")
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Copy the configured warehouse, every table and row, into a new one and verify it."""
    from flows.config import load_settings
    from flows.pipeline.run_lock import update_lock
    from warehouse.copy import copy_warehouse
    from warehouse.location import WarehouseLocation

    settings = load_settings(config, db=db)
    target = WarehouseLocation.parse(to, data_path)
    with update_lock(settings.warehouse.path, settings.warehouse.lock_timeout_seconds):  # no update meanwhile
        copied = copy_warehouse(settings.warehouse.location, target, memory_limit=settings.warehouse.memory_limit)
    write_rows(["table", "rows"], [(item.name, item.rows) for item in copied], OutputFormat.table)
    say(f"Copied {settings.warehouse.location} to {target}: {len(copied)} tables, every row verified.")


@app.command()
def demo(db: DbOption = None) -> None:
    """Run the real update flow against a local GENESIS-protocol server with real (Eurostat) figures."""
    from flows.demo.run import run_demo

    for line in run_demo(db, run_flow):
        say(line)


if __name__ == "__main__":
    app()
