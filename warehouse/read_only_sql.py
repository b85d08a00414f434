"""A user's SQL against the warehouse (`exportwatch sql`): reading and nothing else, bounded in time.

Three fences, each enough on its own for most escapes:
1. The statement types, as DuckDB's own parser sees them: SELECT (which covers WITH, FROM, VALUES,
   SHOW, DESCRIBE, SUMMARIZE and PRAGMA functions that return rows) and EXPLAIN of such a query.
   COPY, ATTACH, INSTALL/LOAD, SET, CALL, PRAGMA commands and every write are refused unrun.
2. The functions a query names: none that an extension added beyond reading a DuckLake's history
   (the sqlite and postgres extensions, loaded to open a lake's catalog, read and write arbitrary
   files and servers past DuckDB's file lockdown), and none that runs SQL given as text.
3. The connection's lockdown (warehouse.connection.forbid_outside_access): no file outside the
   warehouse, no extension loading, settings frozen; a DuckLake is attached read-only.
"""

import threading
import time
from dataclasses import dataclass
from functools import cache

import duckdb

from warehouse.errors import WarehouseError

ALLOWED_TYPES = {"SELECT", "EXPLAIN"}
ALLOWED_TEXT = "it runs SELECT (also WITH, FROM, VALUES, SHOW, DESCRIBE, SUMMARIZE) and EXPLAIN of a SELECT"
# Functions that run SQL given as a string: the checks here would never see that SQL.
RUNS_SQL_TEXT = frozenset({"query", "json_execute_serialized_sql"})
# What the ducklake extension offers for reading a lake and its history; its other functions
# maintain a lake (expire snapshots, delete files, set options).
LAKE_READERS = frozenset(
    {
        "ducklake_snapshots",
        "ducklake_current_snapshot",
        "ducklake_last_committed_snapshot",
        "ducklake_table_info",
        "ducklake_table_changes",
        "ducklake_table_insertions",
        "ducklake_table_deletions",
        "ducklake_list_files",
        "ducklake_options",
        "ducklake_settings",
    }
)
EXPLAIN_OPTIONS = {"explain", "analyze"}
POLL_SECONDS = 0.1


class QueryRefused(WarehouseError):
    """The SQL is not a read the `sql` command allows; nothing of it ran."""


class QueryInterrupted(WarehouseError):
    """The query was stopped: its time ran out, or the user pressed Ctrl-C."""

    def __init__(self, message: str, *, by_user: bool) -> None:
        super().__init__(message)
        self.by_user = by_user


@dataclass(frozen=True)
class Result:
    columns: list[str]
    rows: list[tuple]


def _function_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    # Costs ~0.1 s (DuckDB lists every overload of ~950 functions): only for a connection that loaded
    # an extension a fresh DuckDB does not have, such as a DuckLake's catalog extensions.
    return {
        row[0]
        for row in con.execute("SELECT DISTINCT function_name FROM duckdb_functions() WHERE database_name = 'system'").fetchall()
    }


def _loaded_extensions_beyond_the_build(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether `con` loaded an extension that is not built into DuckDB itself (statically linked
    ones, such as json and parquet, are loaded in every connection and part of a fresh DuckDB)."""
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_extensions() WHERE loaded AND install_mode IS DISTINCT FROM 'STATICALLY_LINKED'"
        ).fetchone()[0]
    )


@cache
def _built_in_functions() -> frozenset[str]:
    """The functions of a fresh DuckDB (of this process's version), before any extension loads."""
    fresh = duckdb.connect()
    try:
        return frozenset(_function_names(fresh))
    finally:
        fresh.close()


def extension_functions(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """The built-in functions `con` has beyond those of a fresh DuckDB: what loaded extensions added.
    A connection that loaded no extension beyond DuckDB's built-in ones (a warehouse file) has none,
    which the list of loaded extensions tells in milliseconds."""
    if not _loaded_extensions_beyond_the_build(con):
        return frozenset()
    return frozenset(_function_names(con) - _built_in_functions())


def denied_functions(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """The functions fence 2 refuses on `con`. Read it before forbid_outside_access: DuckDB lists the
    loaded extensions together with its extension folder, which the lockdown closes."""
    return (extension_functions(con) - LAKE_READERS) | RUNS_SQL_TEXT


def _tokens(text: str) -> tuple[list[int], list[str]]:
    """Where each token of the SQL starts and its first word, by DuckDB's tokenizer (a token's
    text runs to the next token, with any blank or comment after it)."""
    starts = [start for start, _ in duckdb.tokenize(text)]
    words = [(text[start:end].split(None, 1) or [""])[0] for start, end in zip(starts, starts[1:] + [len(text)])]
    return starts, words


def _called_names(text: str) -> set[str]:
    """Every name followed by "(": each function and table function the query calls (also when
    qualified or quoted), never text inside a string or a comment. (DuckDB 1.5's parse tree as
    JSON would name them too, but the first JSON function of a process costs seconds there.)"""
    _, words = _tokens(text)
    return {word.strip('"').lower() for word, following in zip(words, words[1:]) if following == "("}


def _explained_query(text: str) -> str:
    """The query of an EXPLAIN statement: its text after EXPLAIN [ANALYZE] [(options)], located
    with DuckDB's tokenizer."""
    starts, words = _tokens(text)
    words = [word.lower() for word in words]
    index = 0
    while index < len(words) and words[index] in EXPLAIN_OPTIONS:
        index += 1
    if index < len(words) and words[index] == "(":
        while index < len(words) and words[index] != ")":
            index += 1
        index += 1
    return text[starts[index] :] if index < len(starts) else ""


def _refuse(kind: str) -> QueryRefused:
    return QueryRefused(f"exportwatch sql is read-only: {kind} is not allowed; {ALLOWED_TEXT}. Nothing was run.")


def _check_select(text: str, denied: frozenset[str]) -> None:
    forbidden = sorted(_called_names(text) & denied)
    if forbidden:
        raise QueryRefused(
            f"exportwatch sql is read-only and reads the warehouse only: the function {forbidden[0]}() is not allowed "
            f"(it reaches other files or servers, changes a DuckLake, or runs SQL given as text). Nothing was run."
        )


def checked_statements(con: duckdb.DuckDBPyConnection, sql: str, denied: frozenset[str] | None = None) -> list[str]:
    """The statements of `sql` as texts to run, once every one of them passed the checks; `denied`
    is denied_functions(con), read before a lockdown (default: read now)."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as error:
        raise QueryRefused(f"SQL error: {error}") from None
    if not statements:
        raise QueryRefused("exportwatch sql: no statement given.")
    if denied is None:
        denied = denied_functions(con)
    texts = []
    for statement in statements:
        kind = statement.type.name
        if kind not in ALLOWED_TYPES:
            raise _refuse(kind)
        text = statement.query
        if kind == "EXPLAIN":
            text = _explained_query(text)
            inner = duckdb.extract_statements(text) if text.strip() else []
            if len(inner) != 1 or inner[0].type.name != "SELECT":
                raise _refuse(f"EXPLAIN of a {inner[0].type.name if len(inner) == 1 else 'missing'}")
            _check_select(inner[0].query, denied)
        else:
            _check_select(text, denied)
        texts.append(statement.query)
    return texts


def run_read_only(
    con: duckdb.DuckDBPyConnection, sql: str, *, timeout: float | None, denied: frozenset[str] | None = None
) -> list[Result]:
    """Run a user's read-only SQL (see the module's fences); every statement's result, in order.
    `denied`: as for checked_statements.

    The query runs in a worker thread while this one waits: Ctrl-C and the timeout both reach the
    waiting thread, which stops DuckDB with con.interrupt() (DuckDB 2 does not see Ctrl-C itself).
    The wait is on an Event, not Thread.join: on Python 3.11 a Ctrl-C that interrupts join() can
    leave the thread marked as ended while it still runs, and DuckDB 2 then refuses con.close()."""
    texts = checked_statements(con, sql, denied)
    outcome: dict[str, object] = {}
    finished = threading.Event()

    def work() -> None:
        try:
            results = []
            for text in texts:
                relation = con.execute(text)
                columns = [d[0] for d in relation.description] if relation.description else []
                results.append(Result(columns, relation.fetchall() if columns else []))
            outcome["results"] = results
        except BaseException as error:  # handed to the waiting thread
            outcome["error"] = error
        finally:
            finished.set()

    threading.Thread(target=work, name="exportwatch-sql", daemon=True).start()
    deadline = time.monotonic() + timeout if timeout else None
    stopped: str | None = None
    try:
        while not finished.wait(POLL_SECONDS):
            if deadline is not None and time.monotonic() >= deadline:
                stopped = "timeout"
                stop_query(con, finished)
    except KeyboardInterrupt:
        stopped = "user"
        stop_query(con, finished)
    if stopped == "user":
        raise QueryInterrupted("exportwatch sql: interrupted (Ctrl-C); nothing was changed.", by_user=True)
    if stopped == "timeout" and isinstance(outcome.get("error"), duckdb.InterruptException):
        raise QueryInterrupted(
            f"exportwatch sql: the query ran longer than {timeout:g} s and was stopped; "
            f"pass --timeout SECONDS to allow more (0 = no limit).",
            by_user=False,
        )
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["results"]  # type: ignore[return-value]


def stop_query(con: duckdb.DuckDBPyConnection, finished: threading.Event) -> None:
    """Interrupt the query until the worker thread has ended. Repeated, since DuckDB forgets an
    interrupt that comes before its query has begun (a Ctrl-C in the first moments, on a busy
    machine); a second Ctrl-C meanwhile changes nothing."""
    while True:
        con.interrupt()
        try:
            if finished.wait(POLL_SECONDS):
                return
        except KeyboardInterrupt:
            continue
