"""SQL lives in .sql files beside this module; this reads them by name.

Values go into a statement as bound parameters (`$name` in a .sql file). Where DuckDB takes no
parameter (a view's body, an identifier, a column list), a file has a `{{slot}}` that render_sql
fills with SqlText: a quoted identifier or literal, or an expression built only from such pieces."""

import hashlib
import re
from collections.abc import Iterable
from functools import cache
from importlib import resources

from schemas.sql_predicate import quote_identifier, quote_literal

_ROOT = resources.files("warehouse")
_SLOT = re.compile(r"\{\{(\w+)\}\}")


@cache
def read_sql(name: str) -> str:
    """Return the text of `warehouse/<name>.sql`, e.g. read_sql("load/insert_new")."""
    return (_ROOT / f"{name}.sql").read_text(encoding="utf-8")


class SqlText(str):
    """SQL text safe to put into a statement: made by identifier(), identifiers() or literal(), or
    composed by code from such pieces and constants (say so where you wrap a string in it)."""


def identifier(name: str) -> SqlText:
    return SqlText(quote_identifier(name))


def identifiers(names: Iterable[str]) -> SqlText:
    return SqlText(", ".join(quote_identifier(name) for name in names))


def literal(text: str) -> SqlText:
    return SqlText(quote_literal(text))


def render_sql(name: str, **slots: SqlText) -> str:
    """read_sql(name) with every {{slot}} filled; a slot left open, an unused or an unquoted value is
    a programming error."""
    text = read_sql(name)
    wanted = set(_SLOT.findall(text))
    if wanted != set(slots):
        raise ValueError(f"{name}.sql has slots {sorted(wanted)}, given {sorted(slots)}")
    unquoted = sorted(slot for slot, value in slots.items() if not isinstance(value, SqlText))
    if unquoted:
        raise TypeError(f"{name}.sql: slots {unquoted} need SqlText (quoted), not plain strings")
    return _SLOT.sub(lambda match: slots[match.group(1)], text)


def sql_names(folder: str) -> list[str]:
    """The .sql files of a folder, in file-name order, as names for read_sql."""
    return sorted(f"{folder}/{entry.name[:-4]}" for entry in (_ROOT / folder).iterdir() if entry.name.endswith(".sql"))


def seed_path(name: str) -> str:
    return str(_ROOT / "seeds" / name)


def seed_hash(name: str) -> str:
    """A short hash of a seed file's content, to notice a new version of it."""
    return hashlib.sha256((_ROOT / "seeds" / name).read_bytes()).hexdigest()[:16]
