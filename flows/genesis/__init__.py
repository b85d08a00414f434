"""Client for the Destatis GENESIS-Online REST API (2020 web service, POST only since July 2025)."""
