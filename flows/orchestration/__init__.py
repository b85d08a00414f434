"""Prefect glue: pipeline functions as tasks, state hooks, the shared GENESIS request slots, the
temporary API and quiet logging, the run history and the run's summary artifact."""
