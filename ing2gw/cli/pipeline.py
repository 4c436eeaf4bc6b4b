"""`ing2gw krm` as kpt and kustomize run it, without click.

kpt starts `ing2gw krm` (a KRM function: a ResourceList on stdin) and kustomize starts the plugin
script, which runs `ing2gw krm --kustomize-plugin CONFIG`, once per build. Those two argument
lists are all these callers ever pass, so `ing2gw.cli.main` runs them here directly: importing
click and building the command group was a fifth of such a run. Every other argument list (help,
a typo, extra arguments) goes through the click command in `ing2gw.cli.krm`, which calls the same
functions below, so the output, the messages on stderr and the exit code are the same either way
(tests/test_cli_startup.py runs both).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Sequence

from ing2gw.errors import InputError, Problem, UsageError

#: exit code for bad input or usage (as `ing2gw.cli.EXIT_USAGE`)
EXIT_USAGE = 2


def fast_path(args: Sequence[str]) -> Callable[[], int] | None:
    """The run for `args` when they are one of the pipeline forms, else None (click decides)."""
    if list(args) == ["krm"]:
        return run_function
    if len(args) == 3 and args[0] == "krm" and args[1] == "--kustomize-plugin" and not args[2].startswith("-"):
        config = args[2]
        return lambda: run_plugin(config)
    return None


def _err(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def guarded(run: Callable[[], int]) -> int:
    """`run()`'s exit code, with bad input and usage reported as `ing2gw.cli.main` does."""
    try:
        return run()
    except InputError as exc:
        for p in exc.problems:
            _err(f"error: {p}")
        return EXIT_USAGE
    except UsageError as exc:
        _err(f"error: {exc}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        _err("")  # click's own newline before its Abort
        _err("aborted")
        return 130
    except BrokenPipeError:
        return 0


def read_stdin() -> str:
    """The resources kpt or kustomize sends, decoded; a terminal on stdin is a usage error."""
    from ing2gw.load import decode

    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError("`ing2gw krm` reads resources on stdin and is run by kpt or kustomize; "
                         "see `ing2gw krm --help`")
    return decode(sys.stdin.buffer.read(), "<stdin>")


def report(notes: Sequence[str], fatal: Sequence[str], exit_code: int) -> None:
    """Findings and the reasons a build fails, on stderr (Kustomize shows only stderr)."""
    for line in notes:
        _err(line)
    shown = set(notes)
    prefix = "error: " if exit_code == EXIT_USAGE else ""
    for reason in fatal:
        if reason not in shown:
            _err(prefix + reason)


def run_function() -> int:
    """The KRM function: a ResourceList on stdin, one on stdout."""
    from ing2gw import krm as lib

    text = read_stdin()
    resource_list = lib.parse_resource_list(text)
    out, outcome = lib.run_function(resource_list)
    sys.stdout.write(lib.dump_resource_list(out, source=(text, resource_list)))
    sys.stdout.flush()
    report(outcome.notes, outcome.fatal, outcome.exit_code)
    return outcome.exit_code


def run_plugin(config_file: str) -> int:
    """The legacy Kustomize exec plugin: the Ing2Gw config file, plain YAML streams."""
    from ing2gw import krm as lib
    from ing2gw.load import decode

    try:
        config_text = decode(Path(config_file).read_bytes(), config_file)
    except OSError as exc:
        raise InputError([Problem(config_file, 0, f"cannot read the Ing2Gw config: {exc.strerror or exc}")]) from None
    config = lib.parse_plugin_config(config_text, config_file)
    outcome = lib.run_plugin(config, lib.parse_stream(read_stdin(), "<stdin>"))
    if outcome.items:
        sys.stdout.write(lib.dump_stream(outcome.items))
        sys.stdout.flush()
    report(outcome.notes, outcome.fatal, outcome.exit_code)
    return outcome.exit_code
