"""Stopping the Prefect server we started: a server that never became healthy is killed at once,
since it does not heed SIGTERM while it starts (a Ctrl-C'd command waited 7-10 s for it)."""

import subprocess
import sys

from flows.orchestration.prefect_server import stop_process_group

# Stands for a server in its start-up: it ignores SIGTERM, and says so once it does.
IGNORES_SIGTERM = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(120)"
)
HEEDS_SIGTERM = "import time; print('ready', flush=True); time.sleep(120)"


def started(code: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert process.stdout.readline() == "ready\n"
    return process


def test_a_server_stopped_without_grace_is_killed_at_once():
    process = started(IGNORES_SIGTERM)
    stop_process_group(process, grace_seconds=0)
    assert process.returncode == -9  # SIGKILL, not a wait for SIGTERM to be heeded


def test_a_server_with_grace_is_asked_first_and_killed_after_it():
    heeding = started(HEEDS_SIGTERM)
    stop_process_group(heeding, grace_seconds=30)
    assert heeding.returncode == -15  # SIGTERM was enough
    ignoring = started(IGNORES_SIGTERM)
    stop_process_group(ignoring, grace_seconds=0.5)
    assert ignoring.returncode == -9
