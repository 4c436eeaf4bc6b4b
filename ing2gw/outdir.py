"""Write a translation as an ownership-split folder tree, each folder a kustomization.

    OUT/platform/              Gateway(s), GatewayClass: owned by the platform team
    OUT/apps/<namespace>/      routes, ReferenceGrants, BackendTLSPolicies: owned by app teams

Files are written atomically (temporary file, then rename). An existing, non-empty OUT is
refused unless `force` is set, so nobody's files are overwritten by surprise.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, Mapping, Sequence

from ing2gw.errors import UsageError
from ing2gw.fsutil import atomic_write, atomic_write_bytes
from ing2gw.serialize import dump_yaml_stream, to_yaml

#: kind -> file name inside its folder
KIND_FILES = {
    "GatewayClass": "gatewayclass.yaml",
    "Gateway": "gateway.yaml",
    "ListenerSet": "listenersets.yaml",
    "HTTPRoute": "httproutes.yaml",
    "GRPCRoute": "grpcroutes.yaml",
    "TLSRoute": "tlsroutes.yaml",
    "ReferenceGrant": "referencegrants.yaml",
    "BackendTLSPolicy": "backendtlspolicies.yaml",
}


def kustomization(resources: Sequence[str]) -> str:
    return to_yaml({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                    "resources": sorted(resources)})


def plan_tree(platform: Sequence[Mapping[str, Any]], apps: Mapping[str, Sequence[Mapping[str, Any]]],
              extra: Mapping[str, str | bytes] | None = None) -> dict[str, str | bytes]:
    """relative path -> file content for the whole tree (pure: nothing is written)."""
    files: dict[str, str | bytes] = {}

    def folder(prefix: str, objs: Sequence[Mapping[str, Any]]) -> list[str]:
        by_file: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for o in objs:
            by_file[KIND_FILES.get(str(o.get("kind")), f"{str(o.get('kind')).lower()}s.yaml")].append(o)
        names = []
        for fname, items in sorted(by_file.items()):
            files[f"{prefix}/{fname}"] = dump_yaml_stream(items)
            names.append(fname)
        if names:
            files[f"{prefix}/kustomization.yaml"] = kustomization(names)
        return names

    if folder("platform", platform):
        pass
    app_dirs = []
    for ns in sorted(apps):
        if folder(f"apps/{ns}", apps[ns]):
            app_dirs.append(ns)
    if app_dirs:
        files["apps/kustomization.yaml"] = kustomization(app_dirs)
    for k, v in (extra or {}).items():
        files[k] = v
    return files


MARKER = ".ing2gw-output"


def write_tree(out_dir: str | Path, files: Mapping[str, str | bytes], *, force: bool = False) -> list[Path]:
    """Write planned files under `out_dir`.

    A folder that ing2gw wrote before (it holds the `.ing2gw-output` marker listing its files)
    is refreshed: its old files are replaced and stale ones removed. Any other non-empty folder
    is refused unless `force`, so nobody's own files are overwritten by surprise.
    """
    root = Path(out_dir)
    if root.exists() and not root.is_dir():
        raise UsageError(f"--out-dir {root} exists and is not a directory")
    marker = root / MARKER
    previous: list[str] = []
    if root.is_dir() and any(root.iterdir()):
        if marker.is_file():
            previous = [ln for ln in marker.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
            foreign = [p for p in root.rglob("*") if p.is_file() and p != marker
                       and str(p.relative_to(root)) not in previous]
            if foreign and not force:
                raise UsageError(f"--out-dir {root} holds files ing2gw did not write ({foreign[0].relative_to(root)}"
                                 f"{' and more' if len(foreign) > 1 else ''}); pass --force to write there anyway")
        elif not force:
            raise UsageError(f"--out-dir {root} is not empty and was not written by ing2gw; choose another folder "
                             "or pass --force")
    written = []
    for rel, text in sorted(files.items()):
        p = root / rel
        if isinstance(text, bytes):  # already UTF-8 (a large report.json)
            atomic_write_bytes(p, text, fsync=False)
        else:
            atomic_write(p, text)
        written.append(p)
    for rel in previous:
        if rel not in files:
            stale = root / rel
            if stale.is_file():
                stale.unlink()
    atomic_write(marker, "# files written by ing2gw; it may replace or remove them on the next run\n"
                 + "".join(f"{rel}\n" for rel in sorted(files)))
    return written
