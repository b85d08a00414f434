"""prefect.yaml stays deployable: its entrypoints import to the flows, its schedule is the default,
and the setup it documents creates the global limit the flows use."""

import importlib.util
from pathlib import Path

import yaml
from prefect import Flow

from flows.config import GenesisSettings, ScheduleSettings
from flows.orchestration.request_slots import GENESIS_REQUEST_LIMIT

ROOT = Path(__file__).resolve().parents[1]


def load_entrypoint(entrypoint: str) -> object:
    path, name = entrypoint.split(":")
    spec = importlib.util.spec_from_file_location(f"entrypoint_{Path(path).stem}", ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def test_every_entrypoint_is_a_flow_and_the_schedule_matches_the_default():
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    deployments = {d["name"]: d for d in config["deployments"]}
    assert set(deployments) == {"scheduled", "manual"}
    flows = {name: load_entrypoint(d["entrypoint"]) for name, d in deployments.items()}
    assert all(isinstance(f, Flow) for f in flows.values())
    assert (flows["scheduled"].name, flows["manual"].name) == ("update-trade", "backfill")
    schedule = deployments["scheduled"]["schedules"][0]
    default = ScheduleSettings()
    assert (schedule["cron"], schedule["timezone"]) == (default.cron, default.timezone)
    assert all(d["work_pool"]["name"] == "exportwatch" for d in deployments.values())


def test_the_documented_setup_creates_the_global_limit_of_genesis_requests():
    text = (ROOT / "prefect.yaml").read_text()
    assert f"prefect gcl create {GENESIS_REQUEST_LIMIT} --limit {GenesisSettings().max_in_flight}" in text
