"""Size bounds on everything that comes from outside: a ZIP member, a line of a flat file, an HTTP
answer, a JSON status envelope, the text of an error. The defaults are far above what GENESIS
sends (measured on the recordings in shared/genesis-recordings: compression 16-44:1, lines of at
most 463 bytes, status envelopes of 2.3 KB, a 116,739-row job result of 33.5 MB), so only a broken
or hostile answer reaches them; then the step stops with a message naming the limit, and nothing
it wrote stays behind."""

from pydantic import BaseModel, ByteSize, ConfigDict, Field


class Limits(BaseModel):
    """The [limits] section of the configuration."""

    model_config = ConfigDict(extra="forbid")

    zip_member_bytes: ByteSize = Field(ByteSize(8 << 30), gt=0, description="Unpacked size of the flat file in a ZIP.")
    zip_ratio: float = Field(250.0, gt=1, description="Unpacked size over packed size of the flat file in a ZIP.")
    line_bytes: ByteSize = Field(ByteSize(1 << 20), ge=4096, description="Length of the header and of each line of a flat file.")
    http_body_bytes: ByteSize = Field(ByteSize(2 << 30), gt=0, description="One HTTP answer, after Content-Encoding is undone.")
    http_encoding_ratio: float = Field(
        250.0, gt=1, description="Size of an HTTP answer after Content-Encoding is undone over its size on the wire."
    )
    json_envelope_bytes: ByteSize = Field(ByteSize(16 << 20), gt=0, description="One JSON status envelope from GENESIS.")
    error_text_chars: int = Field(1000, ge=200, description="Characters of an error text printed or stored in update_runs.")


# The defaults, for functions called without a configuration (tests, `exportwatch load` internals).
DEFAULT_LIMITS = Limits()


# Ratios are checked once this much has been unpacked: a small file may compress far better.
RATIO_CHECKED_FROM_BYTES = 1 << 20


def exceeded(what: str, setting: str, value: str) -> str:
    """The end of every limit error: which limit was reached and how to raise it. Dotted, as
    configuration errors name a key (and as a terminal that reads [..] as markup cannot eat)."""
    return f"{what}: beyond the limit limits.{setting} = {value} (raise it in the configuration if the file is genuine)"


def human_size(size: int) -> str:
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor:
            return f"{size / factor:.3g} {unit}"
    return f"{size} bytes"


def shortened(text: str, limit: int, full_text_at: str | None = None) -> str:
    """`text` cut to at most `limit` characters, saying how much was cut (and where the rest is)."""
    if len(text) <= limit:
        return text
    where = f"; full text in {full_text_at}" if full_text_at else ""
    note = f" … [{{}} characters cut{where}]"
    keep = max(limit - len(note.format(len(text))), 0)
    return text[:keep] + note.format(len(text) - keep)
