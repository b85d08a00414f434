"""Errors the warehouse raises; str(error) says what happened and what to do."""


class WarehouseError(RuntimeError):
    """Base class of the warehouse's own errors."""
