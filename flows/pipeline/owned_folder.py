"""Folders exportwatch owns: it creates them, marks them with a file saying so, and deletes only
inside a folder that carries the mark. A folder of the same name without the mark belongs to
someone else and stays untouched: the run stops and says so."""

import shutil
from pathlib import Path

from flows.errors import ExportwatchError

MARKER = ".exportwatch-owned"
MARKER_TEXT = (
    "exportwatch created this folder for its scratch files and empties it at the start of every run.\n"
    "Do not keep anything here.\n"
)


class ForeignFolder(ExportwatchError):
    """A folder exportwatch would work in exists and is not exportwatch's."""


def owned_folder(path: Path) -> Path:
    """`path`, created and marked if missing; refused if it exists without the mark."""
    if not path.exists():
        path.mkdir(parents=True)
        (path / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
    elif not is_owned(path):
        raise ForeignFolder(
            f"{path} exists but was not created by exportwatch (no {MARKER} file in it); exportwatch would empty it, "
            "so it stops. Move that folder away, or put the warehouse (--db, [warehouse] path) in another folder."
        )
    return path


def is_owned(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink() and (path / MARKER).is_file()


def empty_owned(path: Path) -> None:
    """Delete everything in an owned folder but its mark; nothing at all if it is not owned."""
    if not is_owned(path):
        return
    for child in path.iterdir():
        if child.name == MARKER:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
