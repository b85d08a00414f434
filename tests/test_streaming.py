"""A 500 MB response: the client streams it to the archive on disk and never holds it in memory.

The fake server (in this test process) generates the body in 1 MiB chunks; the client runs in a
child process so that its own peak RSS (VmHWM, or `ru_maxrss`) can be measured and compared with the body.
"""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fake_genesis import Fault, generated_body
from tests.support import TOKEN

pytestmark = pytest.mark.slow

BODY_BYTES = 500 * 2**20
MAX_PEAK_RSS_BYTES = 250 * 2**20  # for the fetch: the client's own imports take ~40 MiB
MAX_GROWTH_BYTES = 64 * 2**20  # what fetching (or unzipping) 500 MB may add to the peak before it

CHILD = r"""
import json, resource, sys
from pathlib import Path

from flows.errors import GenesisError
from flows.genesis.archive import ResponseArchive
from flows.genesis.client import GenesisClient, RetryPolicy
from flows.genesis.credentials import Credentials
from flows.genesis.request import TableRequest

base_url, token, root = sys.argv[1:4]


def peak_kib():
    # Peak RSS of this process in KiB: VmHWM, which starts afresh at exec. ru_maxrss would do too,
    # but on Linux it carries the parent's peak across fork + exec (here: the test process's).
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS


result = {"error_type": None, "error": None, "archived": None, "kind": None, "peak_kib": {"imports": peak_kib()}}
client = GenesisClient(base_url, Credentials(token, ""), ResponseArchive(Path(root)), timeout_seconds=30, retry=RetryPolicy(attempts=1))
request = TableRequest("51000-0004", ("STLAH075",), ("WERTA",), 2025, 2025)
try:
    try:
        outcome = client.tablefile(request)
    finally:
        result["peak_kib"]["fetch"] = peak_kib()
    (response,) = outcome.responses
    result["archived"], result["kind"] = str(response.path), response.kind
    from flows.pipeline.flat_file import extract_flat_csv  # pandas, DuckDB, pandera: ~150 MiB of imports

    result["peak_kib"]["flatfile imports"] = peak_kib()
    context = dict(table=request.table, request=request.describe(), archived=str(response.path))
    try:
        extract_flat_csv(response.path, Path(root) / "staging", name=response.sha256, context=context)
    finally:
        result["peak_kib"]["unzip"] = peak_kib()
except GenesisError as error:
    result["error_type"], result["error"] = type(error).__name__, str(error)
    result["archived"] = result["archived"] or error.archived
finally:
    client.close()
print(json.dumps(result))
"""


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def expected_digest(size: int, head: bytes) -> str:
    digest = hashlib.sha256()
    for chunk in generated_body(size, head):
        digest.update(chunk)
    return digest.hexdigest()


@pytest.mark.parametrize(
    "head,content_type,error_type",
    [
        (b"", "application/octet-stream", "GenesisError"),  # junk: neither a ZIP nor a JSON envelope
        (b"PK\x03\x04", "application/zip", "FlatFileError"),  # looks like a ZIP, archived as one, then fails to unzip
    ],
    ids=["junk", "zip-looking"],
)
def test_a_500_mb_answer_is_streamed_to_disk_with_bounded_memory(genesis, tmp_path, head, content_type, error_type):
    root = tmp_path / "raw"
    genesis.state.add_fault(Fault(stream_bytes=BODY_BYTES, stream_head=head, headers={"Content-Type": content_type}))

    child = subprocess.run(
        [sys.executable, "-c", CHILD, genesis.base_url, TOKEN, str(root)], capture_output=True, text=True, timeout=120
    )

    assert child.returncode == 0, child.stderr
    result = json.loads(child.stdout.strip().splitlines()[-1])
    peaks = {step: kib / 1024 for step, kib in result["peak_kib"].items()}
    print(
        f"500 MB body ({head!r}): peak RSS in MiB after {', '.join(f'{step} {mib:.0f}' for step, mib in peaks.items())}; {result['error_type']}: {result['error']}"
    )
    assert result["error_type"] == error_type, result
    assert result["archived"], result
    assert len(genesis.state.received) == 1  # one request, not retried

    # the whole body is on disk, under its sha256, with a manifest line, and nothing half-written
    archived = Path(result["archived"])
    sha = expected_digest(BODY_BYTES, head)
    assert archived.stat().st_size == BODY_BYTES
    assert file_digest(archived) == sha
    assert archived.name.startswith(sha) and archived.parent.name == sha[:2] and archived.is_relative_to(root)
    (line,) = [json.loads(x) for x in (root / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    assert (line["sha256"], line["size_bytes"]) == (sha, BODY_BYTES)
    assert list((root / "incoming").iterdir()) == []
    assert not (root / "staging").exists() or not any((root / "staging").iterdir())

    # ... and the client never held it in memory: fetching and archiving 500 MB adds next to nothing,
    # and unzipping it (when it looks like a ZIP) stays below the peak its imports reached anyway
    assert peaks["fetch"] * 2**20 < MAX_PEAK_RSS_BYTES, peaks
    assert (peaks["fetch"] - peaks["imports"]) * 2**20 < MAX_GROWTH_BYTES, peaks
    if "unzip" in peaks:
        assert (peaks["unzip"] - peaks["flatfile imports"]) * 2**20 < MAX_GROWTH_BYTES, peaks
    archived.unlink()  # 500 MB less in pytest's kept temporary folders
