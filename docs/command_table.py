"""The README's command table, generated from the Typer app: every command and the first line of its help.

    uv run python docs/command_table.py          # print the table
    uv run python docs/command_table.py --write  # replace the table in README.md

tests/test_docs.py checks that the README's table names exactly the app's commands."""

import re
import sys
from pathlib import Path

import typer

README = Path(__file__).resolve().parents[1] / "README.md"
START = re.compile(r"^<!-- commands: .* -->$", re.M)
END = "<!-- end commands -->"


def commands() -> dict[str, str]:
    """Command name (with its group, e.g. 'alerts test') → first line of its help, in the app's order.
    A group appears itself only when it runs without a subcommand (`exportwatch alerts`)."""
    from flows.cli import app

    found: dict[str, str] = {}

    def walk(group, prefix: str) -> None:  # a Typer group (Typer carries its own copy of click)
        for name, command in group.commands.items():
            if command.hidden:
                continue
            is_group = hasattr(command, "commands")
            if not is_group or command.invoke_without_command:
                found[prefix + name] = (command.help or "").strip().partition("\n")[0]
            if is_group:
                walk(command, prefix + name + " ")

    walk(typer.main.get_command(app), "")
    return found


def escape_cell(text: str) -> str:
    return text.replace("|", "\\|")


def table() -> str:
    rows = [f"| `exportwatch {name}` | {escape_cell(text)} |" for name, text in commands().items()]
    return "\n".join(["| command | what it does |", "| --- | --- |", *rows])


def table_span(text: str) -> tuple[int, int]:
    """Start and end offsets of the generated table between the two markers in the README."""
    start = START.search(text)
    if not start or END not in text:
        raise SystemExit(f"{README}: the command table markers are missing")
    return start.end() + 1, text.index(END)


def main(argv: list[str]) -> None:
    if "--write" not in argv:
        print(table())
        return
    text = README.read_text(encoding="utf-8")
    start, end = table_span(text)
    README.write_text(text[:start] + table() + "\n" + text[end:], encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
