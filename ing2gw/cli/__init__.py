"""The command line. The only layer that prints, reads the environment or exits.

Each command lives in its own module under `ing2gw/cli/` and is listed in `COMMANDS` below
(explicit registration, no import side effects). `main(argv) -> int` never raises for bad
input: InputError/UsageError become one line per problem on stderr and exit code 2.

Start-up is paid by every small run (each `kubectl kustomize` through the plugin, each KRM
function call, each pre-commit hook), so this module imports only click: a command's module
is imported when that command runs, and `ing2gw --help` lists the commands from the summaries
kept here as data (tests/test_cli_startup.py checks they match the commands' own help).
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING, NamedTuple, Sequence

import click

from ing2gw import __version__
from ing2gw.errors import InputError, UsageError

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

#: exit code for bad input or usage (`findings.EXIT_USAGE`; not imported from there, which
#: would load the finding codes' module for `--version`)
EXIT_USAGE = 2


class Entry(NamedTuple):
    """Where a command lives, and the first paragraph of its help (what `--help` lists)."""

    target: str  # "module:attribute" of the click command
    summary: str


#: command name -> its entry, in --help order.
COMMANDS: dict[str, Entry] = {
    "convert": Entry("ing2gw.cli.convert:convert", "Convert Ingress manifests to Gateway API objects."),
    "migrate": Entry("ing2gw.cli.migrate:migrate",
                     "Migrate every Ingress of a GitOps repository to Gateway API, as a reviewable change."),
    "verify": Entry("ing2gw.cli.verify:verify", "Send the same probe requests through the old controller and "
                    "the Gateway API objects, and name every difference."),
    "simulate": Entry("ing2gw.cli.simulate:simulate",
                      "Route requests through a model of the old controller or of Gateway API."),
    "explain": Entry("ing2gw.cli.explain:explain",
                     "Print the long explanation of a finding CODE and where to read more."),
    "mappings": Entry("ing2gw.cli.explain:mappings",
                      "Print the annotation mapping table of CONTROLLER (default: ingress-nginx), or with "
                      "--target the table of a Gateway API implementation."),
    "krm": Entry("ing2gw.cli.krm:krm", "Convert Ingresses inside a kpt or Kustomize pipeline."),
    "install-kustomize-plugin": Entry("ing2gw.cli.krm:install_kustomize_plugin",
                                      "Install ing2gw as a legacy Kustomize exec plugin for `kubectl kustomize "
                                      "--enable-alpha-plugins`."),
}


def load_command(name: str) -> click.Command:
    """Import the module of command `name` and return its click command."""
    module, _, attr = COMMANDS[name].target.partition(":")
    cmd = getattr(importlib.import_module(module), attr)
    assert isinstance(cmd, click.Command)
    return cmd


def _listed(name: str) -> click.Command:
    """A stand-in with the command's summary as its help: lists and completes it like the real
    command, without importing it."""
    return click.Command(name, help=COMMANDS[name].summary)


class _Group(click.Group):
    """Loads each command's module only when that command runs (fast start-up)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load_command(cmd_name) if cmd_name in COMMANDS else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click's own layout (limit = width - 6 - longest name), from the summaries
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        with formatter.section("Commands"):
            formatter.write_dl([(name, _listed(name).get_short_help_str(limit)) for name in COMMANDS])

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        from click.shell_completion import CompletionItem

        items = [CompletionItem(name, help=_listed(name).get_short_help_str())
                 for name in COMMANDS if name.startswith(incomplete)]
        # the group's own options (--help, --version), as click.Group would add them
        return items + click.Command.shell_complete(self, ctx, incomplete)


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
    if os.environ.get("ING2GW_VALIDATE_OUTPUT") == "1":  # imported only then: --version stays light
        from ing2gw.emit import objects

        objects.VALIDATE_OUTPUT = True
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
