"""Helpers and constants the tests share (fixtures live in conftest.py)."""

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
RECORDINGS = FIXTURES / "genesis-recordings"


def recording(folder: str, name: str) -> Path:
    """A real recorded GENESIS response (or exchange log) from tests/fixtures/genesis-recordings/."""
    path = RECORDINGS / folder / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} is not among the recorded fixtures (see tests/fixtures/README.md)")
    return path
