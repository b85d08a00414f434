"""Helper process for tests/test_crash_safety.py: runs `flows.pipeline.run_update` in processes
the test can SIGKILL, and reports when each pipeline step starts and ends.

It is a small fork server, so that the ~1.5 s of imports (pandas, pandera, duckdb, httpx,
pydantic) is paid once instead of once per trial. Protocol, one line per message:

    stdin   {"api_url": ..., "db": ..., "archive": ..., ...}   start an update run (JSON spec)
    stdout  <server pid> forked <pid>                          the run's process id
    stdout  <pid> start <step> / <pid> end <step>              around plan_update, fetch_planned,
                                                               stage_responses, load_batches, and
                                                               load (the warehouse transaction)
    stdout  <pid> done <status> <rows_inserted> <rows_closed>  run_update returned
    stdout  <pid> error <message>                              run_update raised
    stdin   reap                                               the test has killed it (or not)
    stdout  <server pid> exit <pid> signal <n> | code <n>     reaped (waitpid)

The run is not reaped before `reap`, so its pid cannot be reused while the test may still
send it SIGKILL. The run itself is the real `run_update`; the markers come from its `step`
parameter (the hook the Prefect flow uses to run the steps as tasks), so nothing in the
pipeline is re-implemented here; only warehouse.load.load, as flows.pipeline.load calls it, is wrapped
the same way, to mark the transaction inside load_batches. EOF on stdin ends the server.
"""

import json
import os
import signal
import sys
from functools import wraps
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import flows.pipeline.load  # noqa: E402
from flows.config import Settings  # noqa: E402
from flows.genesis.credentials import Credentials  # noqa: E402
from flows.pipeline.fetch import build_client  # noqa: E402
from flows.pipeline.run import run_update  # noqa: E402


def emit(text: str) -> None:
    # One write(2) per line (< PIPE_BUF): lines of different processes never interleave.
    os.write(1, f"{os.getpid()} {text}\n".encode())


def settings_from(spec: dict) -> Settings:
    s = Settings()
    s.genesis.api_url = spec["api_url"]
    s.genesis.retry_backoff_seconds = 0.01
    s.genesis.job_poll_seconds = 0.01
    s.genesis.timeout_seconds = spec.get("timeout_seconds", 10)
    s.genesis.dialog_value_limit = spec["dialog_value_limit"]
    s.watchlist.countries = spec["countries"]
    s.watchlist.since = spec["since"]
    s.warehouse.path = Path(spec["db"])
    s.warehouse.archive_dir = Path(spec["archive"])
    s.warehouse.lock_timeout_seconds = 5
    return s


def marked(fn):
    @wraps(fn)
    def wrapper(*args, **kwargs):
        emit(f"start {fn.__name__}")
        result = fn(*args, **kwargs)
        emit(f"end {fn.__name__}")
        return result

    return wrapper


def run(spec: dict) -> int:
    flows.pipeline.load.load = marked(flows.pipeline.load.load)  # this process only: it is forked per run
    settings = settings_from(spec)
    client = build_client(settings, Credentials(spec["token"], ""))
    try:
        report = run_update(settings, client, step=marked)
    except BaseException as error:  # report anything: the test fails on it
        emit("error " + repr(error).replace("\n", " ")[:2000])
        return 1
    finally:
        client.close()
    emit(f"done {report.status} {report.rows_inserted} {report.rows_closed}")
    return 0


def serve() -> None:
    emit("ready")
    while True:
        line = sys.stdin.readline()
        if not line:
            return
        if not line.strip():
            continue
        spec = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = run(spec)
            finally:
                os._exit(code)
        emit(f"forked {pid}")
        if sys.stdin.readline().strip() != "reap":
            os.kill(pid, signal.SIGKILL)  # the test went away: do not leave the run behind
        _, status = os.waitpid(pid, 0)
        outcome = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"code {os.WEXITSTATUS(status)}"
        emit(f"exit {pid} {outcome}")


if __name__ == "__main__":
    serve()
