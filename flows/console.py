"""The `exportwatch` console script. Ctrl-C while Python still imports the command line (its first
tenth of a second) is an interruption like any later one: one line, exit 130, not a traceback
from inside an import. From then on the app's own handling (flows/cli.py) applies.

Only the standard library is imported here: whatever this module imports runs before the guard."""

import sys

EXIT_INTERRUPTED = 130  # the shell's code for a command stopped by Ctrl-C (128 + SIGINT)
INTERRUPTED_WHILE_STARTING = "interrupted (Ctrl-C) while starting; nothing was done."


def main() -> None:
    try:
        from flows.cli import app
    except KeyboardInterrupt:
        print(INTERRUPTED_WHILE_STARTING, file=sys.stderr, flush=True)
        sys.exit(EXIT_INTERRUPTED)
    app()
