"""Pandera models and the fixed vocabulary of GENESIS foreign-trade data. No I/O here."""
