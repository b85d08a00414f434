"""SQL lives in .sql files beside this module; this reads them by name."""

import hashlib
from functools import cache
from importlib import resources

_ROOT = resources.files("warehouse")


@cache
def read_sql(name: str) -> str:
    """Return the text of `warehouse/<name>.sql`, e.g. read_sql("load/insert_new")."""
    return (_ROOT / f"{name}.sql").read_text(encoding="utf-8")


def sql_names(folder: str) -> list[str]:
    """The .sql files of a folder, in file-name order, as names for read_sql."""
    return sorted(f"{folder}/{entry.name[:-4]}" for entry in (_ROOT / folder).iterdir() if entry.name.endswith(".sql"))


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def seed_path(name: str) -> str:
    return str(_ROOT / "seeds" / name)


def seed_hash(name: str) -> str:
    """A short hash of a seed file's content, to notice a new version of it."""
    return hashlib.sha256((_ROOT / "seeds" / name).read_bytes()).hexdigest()[:16]
