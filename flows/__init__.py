"""Orchestration: the GENESIS client, the update pipeline, Prefect flows, alerts and the CLI."""
