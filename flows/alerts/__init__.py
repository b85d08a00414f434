"""Threshold alerts: rules from the configuration, evaluation after each load, delivery via Apprise."""
