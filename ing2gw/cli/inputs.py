"""What `convert` reads: every problem of a run at once, and --skip-invalid.

A directory of a real repository holds more than manifests: Helm charts, values files, CI
configuration, broken or duplicate objects. `read_input` reads it all in one pass
(`load.load_all`): what is not a Kubernetes manifest becomes an info finding
(ING2GW-LOAD-003); a problem stops the run (InputError, exit 2) with every problem of the
input listed, those of reading the files and those of the objects read; with --skip-invalid
the problems become error findings (ING2GW-LOAD-004 here, ING2GW-LOAD-005 from the
translation) and the rest is translated.
"""

from __future__ import annotations

from typing import Callable, Sequence

from ing2gw.errors import InputError
from ing2gw.findings import Finding, Severity
from ing2gw.load import LoadResult, Manifest, load_all, no_objects
from ing2gw.model.inputs import classify
from ing2gw.options import Options
from ing2gw.origin import Origin


def read_input(files: Sequence[str], recursive: bool, options: Options,
               on_file: Callable[[str], None] | None = None) -> tuple[list[Manifest], list[Finding]]:
    """(the objects to translate, findings about the input). Raises InputError with every
    problem when the input cannot be used as a whole (see the module docstring)."""
    loaded = load_all(files, recursive=recursive, on_file=on_file)
    return usable(loaded, files, options)


def usable(loaded: LoadResult, files: Sequence[str], options: Options) -> tuple[list[Manifest], list[Finding]]:
    """The objects of `loaded` to translate, and the findings about the rest."""
    findings = [Finding(Severity.INFO, "ING2GW-LOAD-003", f"{p.message}; skipped", origin=Origin(p.file, p.line))
                for p in loaded.skipped]
    if loaded.problems and not options.skip_invalid:
        # the objects' own problems too, so that one run lists everything to fix
        objects = classify(loaded.manifests, options.default_namespace, skip_invalid=True)
        raise InputError([*loaded.problems, *(p for _, ps in objects.invalid for p in ps)])
    findings += [Finding(Severity.ERROR, "ING2GW-LOAD-004", f"{p.message}; not read (skip-invalid)",
                         origin=Origin(p.file, p.line))
                 for p in loaded.problems]
    if not loaded.manifests and not loaded.problems:
        raise InputError([no_objects(files), *loaded.skipped])
    return loaded.manifests, findings


def no_ingress_message(manifests: Sequence[Manifest]) -> str:
    """What `convert` says when the input holds objects but not one Ingress."""
    kinds: dict[str, int] = {}
    for m in manifests:
        kinds[m.kind] = kinds.get(m.kind, 0) + 1
    read = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "nothing usable"
    return (f"no Ingress found in the input (read: {read}); nothing to convert. Pass the Ingress manifests "
            "(`kubectl get ingress,svc,ingressclass -A -o yaml | ing2gw convert -f -`)")
