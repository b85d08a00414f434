"""The documentation tells the truth about the repository: the README stays a landing page, every
relative link resolves, and the README's command table names exactly the commands the app has."""

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
README_LIMIT_BYTES = 12 * 1024
# Every Markdown file the project keeps, outside tools' folders.
DOCS = sorted(p for p in ROOT.rglob("*.md") if not {".venv", ".git", "data", ".pytest_cache"} & set(p.relative_to(ROOT).parts))
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def relative_links(markdown: str) -> list[str]:
    """Targets of the [text](target) links outside code blocks that point into the repository."""
    prose = FENCE.sub("", markdown)
    return [t for t in LINK.findall(prose) if not re.match(r"^[a-z][a-z0-9+.-]*:|^#", t)]


def command_table_module():
    spec = importlib.util.spec_from_file_location("command_table", ROOT / "docs" / "command_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_is_a_landing_page():
    size = README.stat().st_size
    assert size <= README_LIMIT_BYTES, f"README.md is {size} bytes; move reference into docs/ (limit {README_LIMIT_BYTES})"


def test_the_docs_include_the_readme_and_the_reference():
    names = {p.relative_to(ROOT).as_posix() for p in DOCS}
    assert {"README.md", "docs/cli.md", "docs/configuration.md", "warehouse/README.md", "flows/genesis/README.md"} <= names


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves_to_a_file_in_the_repository(doc):
    broken = []
    for target in relative_links(doc.read_text(encoding="utf-8")):
        path = (doc.parent / target.partition("#")[0]).resolve()
        if not path.exists() or not path.is_relative_to(ROOT):
            broken.append(target)
    assert broken == [], f"{doc.relative_to(ROOT)} links to what is not in the repository: {broken}"


def test_relative_links_finds_links_and_skips_urls_anchors_and_code():
    text = "[a](docs/cli.md) [b](https://x.org) [c](#here) [d](../x.md#part)\n```\n[e](nowhere.md)\n```\n"
    assert relative_links(text) == ["docs/cli.md", "../x.md#part"]


def test_the_readme_command_table_names_every_command_of_the_app():
    """Names only: help texts change often; regenerate with `uv run python docs/command_table.py --write`."""
    command_table = command_table_module()
    text = README.read_text(encoding="utf-8")
    start, end = command_table.table_span(text)
    in_readme = re.findall(r"^\| `exportwatch ([^`]+)` \|", text[start:end], re.M)
    assert len(in_readme) == len(set(in_readme)), f"a command is listed twice: {in_readme}"
    assert set(in_readme) == set(command_table.commands())
    assert {"update", "alerts", "alerts test", "warehouse copy"} <= set(in_readme)  # groups and subcommands both walked
