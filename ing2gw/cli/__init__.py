"""The command line. The only layer that prints, reads the environment or exits.

Each command lives in its own module under `ing2gw/cli/` and is listed in `COMMANDS` below
(explicit registration, no import side effects). `main(argv) -> int` never raises for bad
input: InputError/UsageError become one line per problem on stderr and exit code 2.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from typing import Sequence

import click

from ing2gw import __version__
from ing2gw.errors import InputError, UsageError
from ing2gw.findings import EXIT_USAGE

#: command name -> "module:attribute" of its click command, in --help order.
COMMANDS: dict[str, str] = {
    "convert": "ing2gw.cli.convert:convert",
    "migrate": "ing2gw.cli.migrate:migrate",
    "verify": "ing2gw.cli.verify:verify",
    "simulate": "ing2gw.cli.simulate:simulate",
    "explain": "ing2gw.cli.explain:explain",
    "mappings": "ing2gw.cli.explain:mappings",
    "krm": "ing2gw.cli.krm:krm",
    "install-kustomize-plugin": "ing2gw.cli.krm:install_kustomize_plugin",
}


class _Group(click.Group):
    """Loads each command's module only when that command runs (fast start-up)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if _available(name)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS or not _available(cmd_name):
            return None
        module, _, attr = COMMANDS[cmd_name].partition(":")
        cmd = getattr(importlib.import_module(module), attr)
        assert isinstance(cmd, click.Command)
        return cmd


def _available(name: str) -> bool:
    module = COMMANDS[name].partition(":")[0]
    return importlib.util.find_spec(module) is not None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="ing2gw")
def cli() -> None:
    """Migrate Kubernetes Ingress to Gateway API, and prove the new routes send every request
    where the old controller did.

    \b
    Typical use:
      ing2gw convert -f ingress.yaml                    # Gateway API objects on stdout
      ing2gw convert -f manifests/ -R --out-dir out     # out/platform, out/apps/<namespace>
      ing2gw convert -f ingress.yaml --verify           # also run the traffic-equivalence check

    \b
    Exit codes: 0 success; 1 findings at or above --fail-on; 2 bad input or usage.
    """


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code (never raises for bad input)."""
    # run as the kubectl plugin (kubectl-ing2gw), help and errors say `kubectl ing2gw`
    prog = "kubectl ing2gw" if os.path.basename(sys.argv[0]).startswith("kubectl-ing2gw") else "ing2gw"
    try:
        rv = cli.main(args=list(argv) if argv is not None else None, prog_name=prog,
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
