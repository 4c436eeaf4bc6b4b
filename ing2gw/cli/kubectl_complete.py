"""`kubectl_complete-ing2gw`: shell completion for `kubectl ing2gw ...`.

kubectl completes plugin arguments by running `kubectl_complete-<plugin> <args...> <partial>`
from PATH and reading cobra's protocol: one candidate per line (`value<TAB>description`), then
`:<directive>`. This bridges click's completion machinery to that protocol.
"""

from __future__ import annotations

import sys
from typing import Sequence

import click
from click.shell_completion import CompletionItem, ShellComplete

# cobra ShellCompDirective values
DIRECTIVE_DEFAULT = 0  # let the shell complete file names
DIRECTIVE_NO_FILE_COMP = 4
DIRECTIVE_FILTER_DIRS = 16


def completions(args: Sequence[str]) -> tuple[list[CompletionItem], int]:
    """Candidates for the last word of `args` (the words after `kubectl ing2gw`), and the directive."""
    from ing2gw.cli import cli

    words = list(args)
    incomplete = words.pop() if words else ""
    comp = ShellComplete(cli, {}, "kubectl ing2gw", "_KUBECTL_ING2GW_COMPLETE")
    items = comp.get_completions(words, incomplete)
    if any(i.type == "dir" for i in items):
        return [], DIRECTIVE_FILTER_DIRS
    if not items or any(i.type == "file" for i in items):
        # a free-form value (a path after -f, a name): let the shell offer files
        return [], DIRECTIVE_DEFAULT
    return items, DIRECTIVE_NO_FILE_COMP


def render(items: Sequence[CompletionItem], directive: int) -> str:
    """cobra's `__complete` output."""
    lines = []
    for i in items:
        help_text = " ".join((i.help or "").split())
        lines.append(f"{i.value}\t{help_text}" if help_text else str(i.value))
    lines.append(f":{directive}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        items, directive = completions(args)
    except Exception:  # completion must never print a traceback into the user's shell
        items, directive = [], DIRECTIVE_DEFAULT
    click.echo(render(items, directive), nl=False)
    return 0


def entrypoint() -> None:
    """Console-script entry point (`kubectl_complete-ing2gw`)."""
    sys.exit(main())
