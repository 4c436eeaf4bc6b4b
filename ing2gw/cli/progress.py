"""A progress display on stderr for long runs (`convert`, `migrate`): rich, transient, and only
when asked for or when stderr is a terminal (the caller decides)."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any, Callable

#: (stage, done, total): total 0 when unknown
Progress = Callable[[str, int, int], None]

STAGES = {"read": "reading files", "translate": "translating", "verify": "checking equivalence",
          "write": "writing files"}


def progress_bar(stack: ExitStack, color: bool = True, force: bool = False) -> Progress:
    """A callback that shows one bar per stage (in the order they start) until `stack` closes,
    then clears them: the findings printed afterwards are the lasting output. `color` False
    (--no-color, NO_COLOR) draws it without colours; `force` (--progress) draws it even when
    stderr is not a terminal (a CI log that shows terminal output)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    bar = stack.enter_context(Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TimeElapsedColumn(), console=Console(stderr=True, no_color=not color,
                                                                       force_terminal=force or None),
                                  transient=True))
    tasks: dict[str, Any] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            for task in bar.tasks:  # a stage starts when the ones before it are done
                done_as = max(int(task.completed), 1)
                bar.update(task.id, total=done_as, completed=done_as)
            tasks[stage] = bar.add_task(STAGES.get(stage, stage), total=total or None)
        bar.update(tasks[stage], completed=done, total=total or None)

    return update


def want_progress(flag: bool | None, quiet: bool, stderr: Any) -> bool:
    """--progress/--no-progress, else only on a terminal and not with -q."""
    if flag is not None:
        return flag
    return not quiet and bool(getattr(stderr, "isatty", lambda: False)())


def stage(step: Progress | None, name: str) -> None:
    """Start stage `name` (its length unknown): the earlier stages show as done."""
    if step is not None:
        step(name, 0, 0)


def counting_files(step: Progress | None) -> Callable[[str], None] | None:
    """An `on_file` callback for `load` that shows the number of files read so far."""
    if step is None:
        return None
    read = [0]

    def on_file(_: str) -> None:
        read[0] += 1
        step("read", read[0], 0)  # rich redraws ten times a second, not on every update

    return on_file
