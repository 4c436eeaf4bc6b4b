"""The click group of the command line: every command, listed without importing it.

Kept apart from `ing2gw.cli` (whose `main` runs the pipeline forms of `ing2gw krm` without
importing click at all: kustomize and kpt start one process per build).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, NamedTuple

import click

from ing2gw import __version__

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem


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
