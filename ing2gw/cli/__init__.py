"""The command line. The only layer that prints, reads the environment or exits.

Each command lives in its own module under `ing2gw/cli/` and is listed in `COMMANDS` below
(explicit registration, no import side effects). `main(argv) -> int` never raises for bad
input: InputError/UsageError become one line per problem on stderr and exit code 2.

Start-up is paid by every small run (each `kubectl kustomize` through the plugin, each KRM
function call, each pre-commit hook), so this module imports nothing heavy: the click group
lives in `ing2gw.cli.app` (a command's module is imported when that command runs, and `ing2gw
--help` lists the commands from the summaries kept there as data; tests/test_cli_startup.py
checks they match the commands' own help), and the two argument lists kpt and kustomize pass
(`krm`, `krm --kustomize-plugin CONFIG`) run without click (`ing2gw.cli.pipeline`), with the same
output, messages and exit codes as through it.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Sequence

from ing2gw.errors import InputError, UsageError

#: exit code for bad input or usage (`findings.EXIT_USAGE`; not imported from there, which
#: would load the finding codes' module for `--version`)
EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code (never raises for bad input)."""
    # run as the kubectl plugin (kubectl-ing2gw), help and errors say `kubectl ing2gw`
    prog = "kubectl ing2gw" if os.path.basename(sys.argv[0]).startswith("kubectl-ing2gw") else "ing2gw"
    if os.environ.get("ING2GW_VALIDATE_OUTPUT") == "1":  # imported only then: --version stays light
        from ing2gw.emit import objects

        objects.VALIDATE_OUTPUT = True
    args = list(argv) if argv is not None else sys.argv[1:]
    from ing2gw.cli import pipeline

    run = pipeline.fast_path(args)
    if run is not None:
        return pipeline.guarded(run)
    import click

    from ing2gw.cli.app import cli

    try:
        rv = cli.main(args=args, prog_name=prog,
                      standalone_mode=False)
    except InputError as exc:
        for p in exc.problems:
            click.echo(f"error: {p}", err=True)
        return EXIT_USAGE
    except UsageError as exc:
        click.echo(f"error: {exc}", err=True)
        return EXIT_USAGE
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except BrokenPipeError:
        return 0
    return int(rv or 0)


def entrypoint() -> None:
    """Console-script entry point."""
    sys.exit(main())


#: names that live in `ing2gw.cli.app` (imported on first use: they need click)
_APP_NAMES = frozenset({"COMMANDS", "Entry", "cli", "load_command", "_listed", "_Group"})


def __getattr__(name: str) -> Any:
    if name in _APP_NAMES:
        from ing2gw.cli import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
