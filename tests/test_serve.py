"""`exportwatch serve` as a process: embedded Prefect server, deployment with the configured
schedule, the global limit of GENESIS requests, a triggered run that completes, and a clean stop
that leaves no process behind."""

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from flows.orchestration.request_slots import GENESIS_REQUEST_LIMIT
from tests.support import query

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def process_group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def test_serve_schedules_runs_and_stops_cleanly(flow_env, settings, tmp_path):
    with open(flow_env, "a", encoding="utf-8") as config:
        config.write('\n[schedule]\ncron = "15 9 * * 2"\ntimezone = "Europe/Vienna"\n')
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path / "prefect")
    serve = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    api = f"http://127.0.0.1:{port}/api"
    server_pid = None
    try:
        for line in serve.stdout:
            if "Prefect server (pid" in line:
                server_pid = int(line.split("(pid ")[1].split(")")[0])
            if "Serving" in line:
                break
        assert server_pid, "serve did not start its Prefect server"

        def scheduled_deployment():
            deployments = httpx.post(f"{api}/deployments/filter", json={}).json()
            return next((d for d in deployments if d["name"] == "scheduled"), None)

        deployment = wait_for(scheduled_deployment, 60, "the deployment")
        schedule = deployment["schedules"][0]
        assert (schedule["schedule"]["cron"], schedule["schedule"]["timezone"], schedule["active"]) == (
            "15 9 * * 2",
            "Europe/Vienna",
            True,
        )
        request_limit = httpx.get(f"{api}/v2/concurrency_limits/{GENESIS_REQUEST_LIMIT}").json()
        assert (request_limit["limit"], request_limit["active"]) == (3, True)

        answers = []

        def created_run():
            # The server's SQLite can be busy with the just-started deployments (it answers 5xx then).
            response = httpx.post(f"{api}/deployments/{deployment['id']}/create_flow_run", json={})
            answers.append(f"{response.status_code} {response.text[:200]}")
            return response.json() if response.status_code == 201 else None

        try:
            run = wait_for(created_run, 60, "a flow run of the scheduled deployment")
        except AssertionError as error:
            raise AssertionError(f"{error}; the server's last answers: {answers[-3:]}") from None

        def finished():
            state = httpx.get(f"{api}/flow_runs/{run['id']}").json()["state"]
            return state if state["type"] in ("COMPLETED", "FAILED", "CRASHED") else None

        state = wait_for(finished, 120, "the triggered run")
        assert state["type"] == "COMPLETED", state
        assert query(settings.warehouse.path, "SELECT count(*) FROM observations")[0][0] > 0
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            output = serve.communicate(timeout=60)[0]
        except subprocess.TimeoutExpired:
            serve.kill()
            raise
    assert serve.returncode == 0, output
    assert "Stopped." in output
    assert not process_group_alive(server_pid)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{api}/health", timeout=2)
