"""Process-wide tuning for long runs (the CLI owns the process; the library never does this)."""

from __future__ import annotations

import gc

import click


def tune_for_batch() -> None:
    """Turn the automatic cyclic garbage collector off for the run; the CLI collects at the
    points where cyclic garbage exists (`freeze_loaded`, `release_garbage`).

    ing2gw builds millions of small objects that live until the end of the run and almost no
    cycles (reference counting frees the rest). Every young-generation collection scans 200,000
    objects and keeps finding nothing, and the rare full ones scan the whole heap: measured at
    10,000 Ingresses they cost 2 s of translate and 2 s of the check, at 20,000 3 s and 7 s —
    the one step that grew faster than the input (20,000 took 2.2-2.3x the time of 10,000 with
    --verify, 1.98x without the collector). Peak memory was the same with and without it
    (960 MB and 1.8 GB), so there is no cyclic garbage worth collecting in between.

    The collector is restored (and frozen objects handed back to it) when the command ends, so
    that a process running several commands (the tests, an embedding tool) is left as it was.
    """
    was_enabled = gc.isenabled()
    gc.disable()

    def restore() -> None:
        gc.unfreeze()
        if was_enabled:
            gc.enable()

    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.call_on_close(restore)


#: below this many loaded objects a run is short: the collection before freezing is skipped
SMALL_RUN = 1000


def freeze_loaded(loaded: int) -> None:
    """Move everything allocated so far (the loaded manifests) out of the collector's sight.

    The collection first frees the cyclic garbage of the imports and of loading, which would
    otherwise be frozen for the whole run. A short run skips it: it scans the whole heap
    (2 % of the instructions of a one-Ingress `convert`, once its modules are loaded) to free a few
    hundred kilobytes that the process gives back moments later anyway."""
    if loaded >= SMALL_RUN:
        gc.collect()
    gc.freeze()


def freeze_kept() -> None:
    """Move everything allocated so far (the translation, which lives to the end) out of the
    collector's sight, without a collection first: later collections then only scan what was
    built after it (a full collection at 10,000 Ingresses costs 2-3 s)."""
    gc.freeze()


def release_garbage() -> None:
    """Collect now: the routers of the equivalence check are cyclic garbage once it returns,
    and with the collector off they would otherwise stay until the end of the run."""
    gc.collect()
