"""The content of a flat file whatever wraps it: the same data downloaded again as other bytes (a
ZIP packed anew, or the bare CSV) is recognised as loaded before, without staging it again.

A ZIP's directory states its member's CRC-32 and size: when a loaded response's content matches
them, the member is unpacked and hashed to be sure (a CRC-32 is no proof); a bare CSV's content
hash is the hash of its body, which the archive computed already.
"""

import hashlib
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from flows.errors import FlatFileError
from flows.genesis.archive import ArchivedResponse
from flows.limits import DEFAULT_LIMITS, Limits
from flows.pipeline.flat_file import CORRUPT_ZIP_ERRORS, MAX_ZIP_DIRECTORY_BYTES, member_chunks, zip_directory_bytes
from warehouse.batch import Content


class ContentDigest:
    """sha256, CRC-32 and size of the chunks that pass through `feed`."""

    def __init__(self) -> None:
        self.sha256 = hashlib.sha256()
        self.crc32 = 0
        self.size_bytes = 0
        self.finished = False  # every chunk passed

    def feed(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.sha256.update(chunk)
            self.crc32 = zlib.crc32(chunk, self.crc32)
            self.size_bytes += len(chunk)
            yield chunk
        self.finished = True

    def content(self) -> Content | None:
        return Content(self.sha256.hexdigest(), self.crc32, self.size_bytes) if self.finished else None


def zip_member_crc(zip_path: Path) -> tuple[int, int] | None:
    """(CRC-32, size) of a ZIP's single member as its directory states them; None for anything
    else (staging names what is wrong)."""
    try:
        directory = zip_directory_bytes(zip_path)
        if directory is None or directory > MAX_ZIP_DIRECTORY_BYTES:
            return None
        with zipfile.ZipFile(zip_path) as archive:
            members = archive.infolist()
            return (members[0].CRC, members[0].file_size) if len(members) == 1 else None
    except (*CORRUPT_ZIP_ERRORS, OSError):
        return None


def loaded_content(response: ArchivedResponse, loaded: list[Content], *, context: dict, limits: Limits = DEFAULT_LIMITS) -> bool:
    """Whether the response holds the same flat file as one of `loaded` (those of its request)."""
    if response.kind == "csv":
        return any(content.sha256 == response.sha256 for content in loaded)
    stated = zip_member_crc(response.path)
    candidates = {c.sha256 for c in loaded if stated is not None and (c.crc32, c.size_bytes) == stated}
    if not candidates:
        return False
    digest = ContentDigest()
    try:
        for _ in digest.feed(member_chunks(response.path, context=context, limits=limits)):
            pass
    except FlatFileError:
        return False  # staging names it
    return digest.content().sha256 in candidates
