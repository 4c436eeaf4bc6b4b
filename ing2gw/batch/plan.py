"""Migrate a whole GitOps repository: plan every file change, write nothing.

`plan_migration(root, options)` reads the repository, translates every Ingress found in one
`translate()` call (so conflicts across files resolve as ingress-nginx would), places each
object (routes beside the Ingress file they came from, Gateways in the platform folder), edits
kustomizations and, with `remove_ingress`, the Ingress files, and returns a `Plan`: a list of
`FileChange(path, old bytes or None, new bytes or None)`. Applying it (`batch_write`), showing
it as a diff (dry run) or describing it (`batch_summary`, MIGRATION.md) are separate steps.

Guarantees:
* Only documents that must change are changed; every other byte of every file stays.
* A second plan over the migrated repository is empty (generated files carry a header; their
  objects are compared, never translated; objects of Ingresses removed earlier are kept).
* Files that cannot be read become findings; the run goes on.
"""

from __future__ import annotations

import dataclasses
import os
import posixpath
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ing2gw.batch.discover import GENERATED_HEADER, Chart, Repository, SourceFile, discover_repository
from ing2gw.batch.docs import DocumentMap, drop_list_items, is_blank
from ing2gw.batch.kustomize import Kustomization, edit_resources
from ing2gw.batch.place import Layout
from ing2gw.emit.gateway import SOURCE_ANNOTATION, EarlierGateways
from ing2gw.errors import UsageError
from ing2gw.findings import Finding, Severity, sort_findings
from ing2gw.fsutil import unsafe_path
from ing2gw.load import Manifest
from ing2gw.options import Options
from ing2gw.origin import Origin
from ing2gw.translate import Result, translate

DEFAULT_PLATFORM_DIR = "platform/gateway-api"
GATEWAY_GROUPS = frozenset({"gateway.networking.k8s.io", "gateway.networking.x-k8s.io"})
_NAMESPACED_INPUTS = frozenset({"Ingress", "Service", "ConfigMap"})
_ROUTE_KINDS = frozenset({"HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"})

#: (stage, done, total) — total 0 when unknown
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class MigrateOptions:
    """How to migrate a repository (the translation options are those of `convert`)."""

    translation: Options = field(default_factory=Options)
    remove_ingress: bool = False
    platform_dir: str = DEFAULT_PLATFORM_DIR  # repository-relative
    exclude: tuple[Path, ...] = ()  # folders never read (an --out-dir inside the repository)


@dataclass(frozen=True, slots=True)
class FileChange:
    """One file of the plan. `old` None: created; `new` None: deleted."""

    path: str  # repository-relative, POSIX separators
    old: bytes | None
    new: bytes | None
    why: str = ""

    @property
    def action(self) -> str:
        return "create" if self.old is None else ("delete" if self.new is None else "modify")


@dataclass
class IngressRecord:
    """One source object found in the repository (an Ingress, or another kind a controller's
    registry entry lists in `source_kinds`, e.g. Traefik's IngressRoute) and what the migration
    did with it."""

    #: namespace/name for an Ingress, Kind/namespace/name for another kind: the value of the
    #: `ing2gw.io/source-ingress` annotation of the objects made from it (namespace assumed when
    #: the document has none)
    key: str
    file: str
    line: int
    doc: int
    item: int | None
    explicit_namespace: bool
    translated: bool = False
    routes_file: str | None = None
    removed: bool = False
    kept_because: str | None = None
    manifest: Manifest | None = field(default=None, repr=False, compare=False)
    kind: str = "Ingress"

    @property
    def namespace(self) -> str:
        return self.key.split("/")[-2]

    @property
    def subject(self) -> str:
        """How findings name it: `Ingress ns/name`, `IngressRoute ns/name`."""
        return f"{self.kind} {'/'.join(self.key.split('/')[-2:])}"


def source_kinds() -> frozenset[tuple[str, str]]:
    """(API group, kind) of the source objects besides Ingress that some controller translates
    into routes (registry `source_kinds`): migrate treats them like Ingresses."""
    from ing2gw.providers.registry import REGISTRY

    return frozenset(k for e in REGISTRY.values() for k in e.source_kinds)


def describe_sources(records: list[IngressRecord]) -> str:
    """`3 Ingress(es)`, or `2 Ingress(es) and 1 IngressRoute(s)` when other kinds were found."""
    by_kind: dict[str, int] = defaultdict(int)
    for r in records:
        by_kind[r.kind] += 1
    others = sorted(k for k in by_kind if k != "Ingress")
    parts = [f"{by_kind['Ingress']} Ingress(es)"] if by_kind["Ingress"] or not others else []
    parts += [f"{by_kind[k]} {k}(s)" for k in others]
    return " and ".join(parts) if len(parts) < 3 else ", ".join(parts[:-1]) + " and " + parts[-1]


@dataclass
class NamespaceSummary:
    namespace: str
    ingresses: int = 0
    routes: int = 0
    other: int = 0
    files: list[str] = field(default_factory=list)


@dataclass
class GitOpsApp:
    """An Argo CD Application/ApplicationSet or Flux Kustomization that deploys a changed path."""

    kind: str
    name: str
    file: str
    line: int
    path: str
    changed: list[str]


@dataclass
class OverlayPatch:
    kustomization: str
    line: int
    field: str
    names: tuple[str, ...] | None
    patch_file: str | None


@dataclass
class Plan:
    """Everything a migration would do, and why."""

    root: Path
    options: MigrateOptions
    changes: list[FileChange]
    findings: list[Finding]
    result: Result | None
    manifests: list[Manifest]  # the translation's input (for the equivalence check)
    ingresses: list[IngressRecord]
    namespaces: list[NamespaceSummary]
    charts: list[Chart]
    overlays: list[OverlayPatch]
    gitops: list[GitOpsApp]
    files_scanned: int = 0
    carried: int = 0

    def change(self, path: str) -> FileChange | None:
        for c in self.changes:
            if c.path == path:
                return c
        return None

    @property
    def empty(self) -> bool:
        return not self.changes


# ------------------------------------------------------------------------------------------------


def platform_dir_of(root: Path, value: str | None) -> str:
    """--platform-dir as a repository-relative path (it must lie inside the repository)."""
    if not value:
        return DEFAULT_PLATFORM_DIR
    p = Path(value)
    if p.is_absolute():
        try:
            rel = p.resolve().relative_to(root.resolve())
        except ValueError:
            raise UsageError(f"--platform-dir {value} is outside the repository {root}; give a folder inside it "
                             "(relative paths are relative to the repository)") from None
        out = rel.as_posix()
    else:
        out = posixpath.normpath(value.replace(os.sep, "/"))
    if out in (".", "") or out == ".." or out.startswith("../"):
        raise UsageError(f"--platform-dir {value} must be a folder inside the repository, not its root or outside it")
    return out


def plan_migration(root: str | Path, options: MigrateOptions | None = None, *,
                   progress: Progress | None = None) -> Plan:
    """Plan the migration of the repository at `root` (nothing is written)."""
    options = options or MigrateOptions()
    root = Path(root)
    if not root.is_dir():
        raise UsageError(f"{root} is not a directory; pass the repository's folder")
    counter = [0]

    def on_file(_: str) -> None:
        counter[0] += 1
        if progress and counter[0] % 50 == 0:
            progress("read", counter[0], 0)

    repo = discover_repository(root, exclude=options.exclude, on_file=on_file)
    if progress:
        progress("read", counter[0], counter[0])
    return _Planner(repo, options, progress).plan(counter[0])


class _Planner:
    def __init__(self, repo: Repository, options: MigrateOptions, progress: Progress | None) -> None:
        self.repo = repo
        self.options = options
        self.progress = progress
        self.findings: list[Finding] = list(repo.findings)
        self.platform_dir = options.platform_dir
        self.default_ns = options.translation.default_namespace
        self.listed_by: dict[str, list[Kustomization]] = defaultdict(list)
        for k in sorted(repo.kustomizations.values(), key=lambda k: k.path):
            for e in k.resources:
                if e.path is not None:
                    self.listed_by[e.path].append(k)
        self.gitops = self._gitops_objects()
        self._load_names = {repo.load_name(p): p for p in repo.files}

    # -- namespaces ------------------------------------------------------------------------------

    def assumed_namespace(self, path: str) -> tuple[str, str]:
        """Namespace of namespace-less objects in `path`, and where it comes from."""
        for k in self.listed_by.get(path, []):
            if k.namespace:
                return k.namespace, f"the namespace of {k.path}"
        d = posixpath.dirname(path)
        best: tuple[int, str, str] | None = None
        for g in self.gitops:
            if g["namespace"] and (g["path"] == "" or d == g["path"] or d.startswith(g["path"] + "/")):
                if best is None or len(g["path"]) > best[0]:
                    best = (len(g["path"]), g["namespace"], f"the destination of {g['kind']} {g['name']} ({g['file']})")
        if best:
            return best[1], best[2]
        return self.default_ns, "--namespace"

    # -- GitOps objects --------------------------------------------------------------------------

    def _gitops_objects(self) -> list[dict[str, Any]]:
        out = []
        for sf in self._sources():
            for m in sf.manifests:
                spec = _dict(m.obj.get("spec"))
                paths: list[str] = []
                ns = None
                if m.group == "argoproj.io" and m.kind in ("Application", "ApplicationSet"):
                    s = spec if m.kind == "Application" else _dict(_dict(spec.get("template")).get("spec"))
                    srcs = [s.get("source"), *(s.get("sources") or [])]
                    paths = [str(x.get("path")) for x in srcs if isinstance(x, dict) and isinstance(x.get("path"), str)]
                    dest = _dict(s.get("destination"))
                    ns = dest.get("namespace") if isinstance(dest.get("namespace"), str) else None
                elif m.group == "kustomize.toolkit.fluxcd.io" and m.kind == "Kustomization":
                    if isinstance(spec.get("path"), str):
                        paths = [spec["path"]]
                    ns = spec.get("targetNamespace") if isinstance(spec.get("targetNamespace"), str) else None
                elif not (m.group == "helm.toolkit.fluxcd.io" and m.kind == "HelmRelease"):
                    continue
                self._gitops_ingress_settings(m, sf.path, spec)
                for p in paths:
                    if "{{" in p:
                        continue
                    norm = posixpath.normpath(p.strip().lstrip("/")) if p.strip() not in ("", ".", "./") else ""
                    out.append({"kind": m.kind, "name": f"{m.namespace}/{m.name}" if m.namespace else m.name,
                                "file": sf.path, "line": m.origin.line, "path": "" if norm == "." else norm,
                                "namespace": ns})
        return out

    def _gitops_ingress_settings(self, m: Manifest, path: str, spec: dict[str, Any]) -> None:
        what = []
        s = spec if m.kind != "ApplicationSet" else _dict(_dict(spec.get("template")).get("spec"))
        for src in [s.get("source"), *(s.get("sources") or [])]:
            if not isinstance(src, dict):
                continue
            kz = _dict(src.get("kustomize"))
            for p in kz.get("patches") or []:
                if isinstance(p, dict) and _dict(p.get("target")).get("kind") == "Ingress":
                    what.append("spec.source.kustomize.patches targets an Ingress")
            helm = _dict(src.get("helm"))
            if isinstance(helm.get("valuesObject"), dict) and "ingress" in helm["valuesObject"]:
                what.append("spec.source.helm.valuesObject sets ingress values")
            if isinstance(helm.get("values"), str) and re.search(r"^ingress:", helm["values"], re.MULTILINE):
                what.append("spec.source.helm.values sets ingress values")
        for p in spec.get("patches") or [] if m.kind == "Kustomization" else []:
            if isinstance(p, dict) and _dict(p.get("target")).get("kind") == "Ingress":
                what.append("spec.patches targets an Ingress")
        if m.kind == "HelmRelease" and isinstance(spec.get("values"), dict) and "ingress" in spec["values"]:
            what.append("spec.values sets ingress values")
        for w in dict.fromkeys(what):
            self.findings.append(Finding(Severity.WARNING, "ING2GW-BATCH-009", f"{w}; ing2gw does not edit it",
                                         origin=Origin(path, m.origin.line), subject=f"{m.kind} {m.name}",
                                         suggestion="render the result, convert it with `ing2gw convert -f -`, and move "
                                                    "the settings to the routes by hand"))

    # -- the plan ---------------------------------------------------------------------------------

    def _sources(self) -> list[SourceFile]:
        return [sf for _, sf in sorted(self.repo.files.items()) if not sf.generated and not sf.patch]

    def plan(self, files_scanned: int) -> Plan:
        records, manifests = self._inputs()
        if self.progress:
            self.progress("translate", 0, 1)
        layout = self._new_layout()
        # hosts stay on the Gateway an earlier run put them on, with room for the listeners of
        # the routes it keeps: a repeated or resumed run splits them as that run did
        result = self._translate(manifests, records, layout.earlier_gateways({r.key for r in records}))
        if self.progress:
            self.progress("translate", 1, 1)
        overlays, keep = self._overlays(records)
        self._charts()
        self._place(layout, result, records)
        edits = self._remove_ingresses(result, records, keep, set(layout.files)) if self.options.remove_ingress else {}
        removed_now: dict[str, set[str]] = defaultdict(set)
        for r in records:
            if r.removed and r.routes_file is not None:
                removed_now[r.routes_file].add(r.key)
        desired, deletes = layout.render(removed_now)
        self.findings.extend(layout.findings)
        carried = layout.carried
        changes = self._changes(desired, deletes, edits, records)
        gitops = self._gitops_changed(changes)
        namespaces = self._namespaces(result, records)
        findings = [self._relative(f) for f in self.findings]
        if result is not None:
            result = dataclasses.replace(result, findings=sort_findings(self._relative(f) for f in result.findings))
            findings.extend(result.findings)
        return Plan(root=self.repo.root, options=self.options, changes=changes, findings=sort_findings(findings),
                    result=result, manifests=manifests, ingresses=records, namespaces=namespaces,
                    charts=list(self.repo.charts), overlays=overlays, gitops=gitops, files_scanned=files_scanned,
                    carried=carried)

    def _relative(self, f: Finding) -> Finding:
        if f.origin is not None and f.origin.file in self._load_names:
            return dataclasses.replace(f, origin=dataclasses.replace(f.origin, file=self._load_names[f.origin.file]))
        return f

    def _inputs(self) -> tuple[list[IngressRecord], list[Manifest]]:
        records: list[IngressRecord] = []
        manifests: list[Manifest] = []
        other_sources = source_kinds()
        # every object of those groups is namespaced (Traefik's IngressRoute, Middleware...)
        namespaced_groups = {g for g, _ in other_sources}
        for sf in self._sources():
            assumed: tuple[str, str] | None = None
            for m in sf.manifests:
                if m.group in GATEWAY_GROUPS:
                    continue
                obj = m.obj
                explicit = bool(m.namespace)
                if (m.kind in _NAMESPACED_INPUTS or m.group in namespaced_groups) and not explicit:
                    if assumed is None:
                        assumed = self.assumed_namespace(sf.path)
                    md = _dict(obj.get("metadata"))
                    obj = {**obj, "metadata": {**md, "namespace": assumed[0]}}
                    m = Manifest(obj, m.origin)
                manifests.append(m)
                is_ingress = m.kind == "Ingress" and m.group in ("networking.k8s.io", "extensions")
                if is_ingress or (m.group, m.kind) in other_sources:
                    key = f"{m.namespace}/{m.name}" if is_ingress else f"{m.kind}/{m.namespace}/{m.name}"
                    rec = IngressRecord(key, sf.path, m.origin.line, m.origin.doc, m.origin.item, explicit,
                                        manifest=m, kind=m.kind)
                    records.append(rec)
                    if not explicit and assumed is not None and assumed[1] != "--namespace":
                        self.findings.append(Finding(
                            Severity.INFO, "ING2GW-BATCH-007",
                            f"no metadata.namespace: assumed {assumed[0]!r} ({assumed[1]}); the routes are written "
                            f"without a namespace, like the {m.kind}", origin=Origin(sf.path, m.origin.line),
                            subject=rec.subject))
                    elif not explicit:
                        self.findings.append(Finding(
                            Severity.INFO, "ING2GW-BATCH-007",
                            f"no metadata.namespace and no kustomization or Argo CD Application names one: assumed "
                            f"{assumed[0] if assumed else self.default_ns!r} (--namespace); the routes are written "
                            f"without a namespace, like the {m.kind}", origin=Origin(sf.path, m.origin.line),
                            subject=rec.subject))
        return records, manifests

    def _translate(self, manifests: list[Manifest], records: list[IngressRecord],
                   earlier: EarlierGateways | None = None) -> Result | None:
        """Translate every valid object; an invalid one is left out with a finding (an Ingress:
        error ING2GW-BATCH-005, anything else: warning ING2GW-BATCH-004) and removed from
        `manifests`, so that the equivalence check reads exactly what was translated."""
        if not records:
            return None
        result = translate(manifests, dataclasses.replace(self.options.translation, skip_invalid=True),
                           earlier=earlier)
        left_out = {id(m) for m, _ in result.inputs.invalid}
        root = os.path.join(str(self.repo.root), "")  # messages name other files as the repository does
        for m, problems in result.inputs.invalid:
            subject = f"{m.kind} {m.namespace}/{m.name}" if m.namespace else f"{m.kind} {m.name}"
            for p in problems:
                self.findings.append(Finding(
                    Severity.ERROR if m.kind == "Ingress" else Severity.WARNING,
                    "ING2GW-BATCH-005" if m.kind == "Ingress" else "ING2GW-BATCH-004",
                    f"{p.message.removeprefix(subject + ': ').replace(root, '')}; not migrated, its file is not "
                    "changed", origin=Origin(self._load_names.get(p.file, p.file), p.line), subject=subject))
        if left_out:
            manifests[:] = [m for m in manifests if id(m) not in left_out]
            # said above in migrate's words (its file is not changed)
            result = dataclasses.replace(result, findings=[f for f in result.findings if f.code != "ING2GW-LOAD-005"])
        translated = {ing.key for ing in result.translated_ingresses()}
        # another source kind (an IngressRoute) is translated when some object came from it, as
        # the KRM function decides (krm._converted_routes)
        made = set()
        if any(r.kind != "Ingress" for r in records):
            made = {str(s) for o in result.objects()
                    if (s := ((o.get("metadata") or {}).get("annotations") or {}).get(SOURCE_ANNOTATION))}
        for r in records:
            r.translated = r.key in (translated if r.kind == "Ingress" else made) and id(r.manifest) not in left_out
        return result

    # -- Kustomize overlays and Helm charts ---------------------------------------------------

    def _reachable_files(self, k: Kustomization, seen: set[str] | None = None, *,
                         kustomizations: bool = False) -> set[str]:
        """Files a kustomization builds, through its bases and components (and their
        kustomization files with `kustomizations`)."""
        seen = seen if seen is not None else set()
        if k.path in seen:
            return set()
        seen.add(k.path)
        out: set[str] = {k.path} if kustomizations else set()
        for e in [*k.resources, *k.components]:
            if e.path is None:
                continue
            if e.path in self.repo.files:
                out.add(e.path)
                continue
            for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
                sub = self.repo.kustomizations.get(posixpath.join(e.path, name) if e.path else name)
                if sub is not None:
                    out |= self._reachable_files(sub, seen, kustomizations=kustomizations)
                    break
        return out

    def _overlays(self, records: list[IngressRecord]) -> tuple[list[OverlayPatch], dict[str, str]]:
        overlays: list[OverlayPatch] = []
        keep: dict[str, str] = {}
        for k in sorted(self.repo.kustomizations.values(), key=lambda k: k.path):
            if not k.ingress_patches:
                continue
            reach = self._reachable_files(k)
            for p in k.ingress_patches:
                overlays.append(OverlayPatch(k.path, p.line, p.field, p.names, p.patch_file))
                names = ", ".join(p.names) if p.names else "(every Ingress)"
                where = f" from {p.patch_file}" if p.patch_file else ""
                self.findings.append(Finding(
                    Severity.WARNING, "ING2GW-BATCH-002",
                    f"this kustomization patches Ingress {names} ({p.field}{where}); the routes written for the base "
                    "do not get the patch, and the patched Ingress is kept so that the patch still applies",
                    origin=Origin(k.path, p.line), subject=f"Ingress {names}",
                    suggestion=f"convert the rendered overlay: `kubectl kustomize {k.dir or '.'} | ing2gw convert -f -`, "
                               "or run ing2gw as a KRM function transformer in this kustomization (`ing2gw krm`)"))
                for r in records:
                    if r.file not in reach or r.kind != "Ingress":  # the patch names Ingresses only
                        continue
                    name = r.key.split("/", 1)[1]
                    if p.names is None or any(_name_matches(n, name) for n in p.names):
                        keep.setdefault(r.key, f"{k.path} patches it ({p.field})")
        return overlays, keep

    def _charts(self) -> None:
        for c in self.repo.charts:
            origin = Origin(posixpath.normpath(posixpath.join(c.dir, "Chart.yaml")), 1)
            if c.ingress_templates:
                msg = (f"Helm chart {c.name!r}: templates are not parsed as manifests; "
                       f"{', '.join(c.ingress_templates)} render(s) an Ingress")
                sev = Severity.WARNING
            else:
                msg = f"Helm chart {c.name!r}: templates are not parsed as manifests (no Ingress template found)"
                sev = Severity.INFO
            if c.values_with_ingress:
                msg += f"; {', '.join(c.values_with_ingress)} set(s) ingress values"
            self.findings.append(Finding(sev, "ING2GW-BATCH-001", msg, origin=origin, subject=f"chart {c.name}",
                                         suggestion=f"helm template RELEASE {c.dir} -f VALUES | ing2gw convert -f -"))

    # -- placing objects ------------------------------------------------------------------------

    def _new_layout(self) -> Layout:
        generated = {p: sf for p, sf in self.repo.files.items() if sf.generated}
        return Layout(generated, self.repo.all_paths, self.platform_dir,
                      lambda path: self.assumed_namespace(path)[0], lambda path: path in self.listed_by,
                      self.repo.generated_kustomizations)

    def _place(self, layout: Layout, result: Result | None, records: list[IngressRecord]) -> Layout:
        secrets = {ing.key: [t.secret_name for t in ing.spec.tls if t.secret_name]
                   for ing in (result.inputs.ingresses if result is not None else [])}
        for r in records:  # an IngressRoute's certificate (Traefik: spec.tls.secretName)
            if r.kind != "Ingress" and r.manifest is not None:
                tls = _dict(_dict(r.manifest.obj.get("spec")).get("tls"))
                if isinstance(tls.get("secretName"), str):
                    secrets.setdefault(r.key, []).append(tls["secretName"])
        layout.place(result.apps if result is not None else {}, result.platform if result is not None else [],
                     records, secrets)
        self.findings.extend(layout.findings)
        layout.findings = []
        return layout

    # -- removing Ingresses ------------------------------------------------------------------

    def _remove_ingresses(self, result: Result | None, records: list[IngressRecord], keep: dict[str, str],
                          written: set[str]) -> dict[str, bytes | None]:
        if result is None:
            return {}
        no_output = {f.subject[len("Ingress "):] for f in result.findings if f.code == "ING2GW-CORE-022"}
        with_errors = {f.subject for f in result.findings if f.severity is Severity.ERROR}
        by_file: dict[str, list[IngressRecord]] = defaultdict(list)
        for r in records:
            reason = None
            if not r.translated:
                reason = "it was not translated (see its other findings)"
            elif r.key in keep:
                reason = keep[r.key]
            elif r.kind == "Ingress" and r.key in no_output:
                reason = "nothing of it reached the output"
            elif r.subject in with_errors:
                reason = "its translation has errors: review them, then remove it by hand"
            elif r.routes_file is None or r.routes_file not in written:
                reason = "its routes could not be written"
            if reason is None:
                by_file[r.file].append(r)
            else:
                r.kept_because = reason
        edits: dict[str, bytes | None] = {}
        for path, recs in sorted(by_file.items()):
            sf = self.repo.files[path]
            if sf.text is None or sf.broken:
                for r in recs:
                    r.kept_because = "its file cannot be edited safely (not UTF-8, or a document does not parse)"
                continue
            dm = DocumentMap(sf.text, sf.doc_lines)
            items_per_doc: dict[int, int] = defaultdict(int)
            for m in sf.manifests:
                items_per_doc[m.origin.doc] += 1
            remove: set[int] = set()
            list_items: dict[int, set[int]] = defaultdict(set)
            for r in recs:
                if not dm.editable(r.doc):
                    r.kept_because = "its document shares lines with another one (`...` without `---`)"
                    continue
                if r.item is None:
                    remove.add(r.doc)
                else:
                    list_items[r.doc].add(r.item)
                r.removed = True
            replace: dict[int, str] = {}
            for doc, items in list_items.items():
                if len(items) == items_per_doc[doc]:
                    remove.add(doc)
                else:
                    replace[doc] = drop_list_items(dm.chunk_text(doc), items, path.endswith(".json"))
            if not remove and not replace:
                continue
            text = dm.rewrite(remove, replace)
            edits[path] = None if is_blank(text) else sf.encode(text)
        for r in records:
            if r.kept_because:
                self.findings.append(Finding(Severity.INFO, "ING2GW-BATCH-003", f"not removed: {r.kept_because}",
                                             origin=Origin(r.file, r.line), subject=r.subject))
        return edits

    # -- assembling the changes ---------------------------------------------------------------

    def _changes(self, desired: dict[str, tuple[bytes, str]], deletes: set[str], edits: dict[str, bytes | None],
                 records: list[IngressRecord]) -> list[FileChange]:
        creates: list[FileChange] = []
        modifies: list[FileChange] = []
        kust_mods: list[FileChange] = []
        removals: list[FileChange] = []
        # nothing is written or deleted through a symbolic link out of the repository, and only
        # ing2gw's own files are overwritten (SECURITY.md)
        refused = {p for p in sorted({*desired, *deletes, *edits, *self.repo.stale_temp}) if self._leaves_repository(p)}
        for path, (data, why) in sorted(desired.items()):
            sf = self.repo.files.get(path)
            old = sf.data if sf is not None else self._read_existing(path)
            if path in refused or sf is not None or old is None \
                    or old.lstrip(b"\xef\xbb\xbf").startswith(GENERATED_HEADER.encode()):
                continue
            # a file the walk did not read (in a skipped folder, or not a manifest)
            self.findings.append(Finding(Severity.ERROR, "ING2GW-BATCH-010",
                                         f"{path} exists and was not written by ing2gw: it is not overwritten",
                                         origin=Origin(path),
                                         suggestion="rename that file, or choose another --platform-dir"))
            refused.add(path)
        desired = {p: v for p, v in desired.items() if p not in refused}
        deletes = {p for p in deletes if p not in refused}
        edits = {p: e for p, e in edits.items() if p not in refused}
        for path, (data, why) in sorted(desired.items()):
            sf = self.repo.files.get(path)
            old = sf.data if sf is not None else self._read_existing(path)
            if old == data:
                continue
            (creates if old is None else modifies).append(FileChange(path, old, data, why))
        for path in sorted(deletes):
            old = self._read_existing(path)
            if old is not None:
                removals.append(FileChange(path, old, None, "generated file no longer needed"))
        for path in self.repo.stale_temp:
            if path in refused:
                continue
            old = self._read_existing(path)
            if old is not None:
                removals.append(FileChange(path, old, None, "temporary file left by an interrupted run"))
        removed_names: dict[str, list[str]] = defaultdict(list)
        for r in records:
            if r.removed:
                removed_names[r.file].append(r.key)
        for path, edited in sorted(edits.items()):
            sf = self.repo.files[path]
            names = ", ".join(removed_names[path])
            if edited is None:
                removals.append(FileChange(path, sf.data, None, f"held only Ingresses now migrated ({names})"))
            elif edited != sf.data:
                modifies.append(FileChange(path, sf.data, edited, f"removed migrated Ingress(es) {names}"))
        # kustomizations: list new generated files after their source, drop deleted files
        deleted = {c.path for c in removals}
        source_to_gen: dict[str, list[str]] = defaultdict(list)
        for r in records:
            if r.routes_file is not None and r.routes_file in desired:
                if r.routes_file not in source_to_gen[r.file]:
                    source_to_gen[r.file].append(r.routes_file)
        for kp, k in sorted(self.repo.kustomizations.items()):
            add_after = {e.path: source_to_gen[e.path] for e in k.resources if e.path in source_to_gen}
            remove = {e.path for e in k.resources if e.path in deleted}
            if not add_after and not remove:
                continue
            try:
                text = edit_resources(k, add_after, remove)
            except Exception as exc:  # a kustomization ruamel cannot re-emit: report, go on
                self.findings.append(Finding(Severity.WARNING, "ING2GW-BATCH-012",
                                             f"could not edit resources: {exc}", origin=Origin(kp),
                                             suggestion="add the new files to resources: by hand"))
                continue
            if text == k.text:
                continue
            old = self._read_existing(kp)
            assert old is not None
            new = (b"\xef\xbb\xbf" if old.startswith(b"\xef\xbb\xbf") else b"") + text.encode("utf-8")
            added = sorted({p for ps in add_after.values() for p in ps if k.lists(p) is None})
            why = "; ".join(x for x in (f"lists {', '.join(added)}" if added else "",
                                        f"drops {', '.join(sorted(remove))}" if remove else "") if x)
            kust_mods.append(FileChange(kp, old, new, why))
        # order: new files first, then kustomizations, then other edits, then deletions: a run that
        # stops anywhere leaves a repository whose kustomizations still build
        return creates + kust_mods + modifies + removals

    def _leaves_repository(self, path: str) -> bool:
        """Whether writing or deleting `path` would go through a symbolic link out of the
        repository (an error finding, once per path)."""
        reason = unsafe_path(self.repo.root, path)
        if reason is None:
            return False
        self.findings.append(Finding(Severity.ERROR, "ING2GW-SEC-001", f"not written: {reason}", origin=Origin(path),
                                     suggestion="replace the symbolic link with a folder inside the repository, or "
                                                "choose another --platform-dir"))
        return True

    def _read_existing(self, path: str) -> bytes | None:
        sf = self.repo.files.get(path)
        if sf is not None:
            return sf.data
        try:
            return Path(self.repo.load_name(path)).read_bytes()
        except OSError:
            return None

    def _gitops_changed(self, changes: list[FileChange]) -> list[GitOpsApp]:
        out = []
        for g in self.gitops:
            prefix = g["path"] + "/" if g["path"] else ""
            dirs: set[str] = set()  # folders of the kustomizations it builds (bases included)
            for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
                k = self.repo.kustomizations.get(prefix + name)
                if k is not None:
                    dirs = {posixpath.dirname(p) for p in self._reachable_files(k, kustomizations=True)}
                    break
            changed = [c.path for c in changes if c.path.startswith(prefix) or posixpath.dirname(c.path) in dirs]
            if not changed:
                continue
            out.append(GitOpsApp(g["kind"], g["name"], g["file"], g["line"], g["path"] or ".", changed))
            self.findings.append(Finding(Severity.INFO, "ING2GW-BATCH-008",
                                         f"deploys {g['path'] or 'the repository root'}, where this migration changes "
                                         f"{len(changed)} file(s); its next sync applies them",
                                         origin=Origin(g["file"], g["line"]), subject=f"{g['kind']} {g['name']}"))
        return out

    def _namespaces(self, result: Result | None, records: list[IngressRecord]) -> list[NamespaceSummary]:
        out: dict[str, NamespaceSummary] = {}
        for r in records:
            ns = r.namespace
            s = out.setdefault(ns, NamespaceSummary(ns))
            s.ingresses += 1
            if r.routes_file and r.routes_file not in s.files:
                s.files.append(r.routes_file)
        if result is not None:
            for ns, objs in result.apps.items():
                s = out.setdefault(ns, NamespaceSummary(ns))
                for o in objs:
                    if o.get("kind") in _ROUTE_KINDS:
                        s.routes += 1
                    else:
                        s.other += 1
        for s in out.values():
            s.files.sort()
        return [out[k] for k in sorted(out)]


def _dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _name_matches(pattern: str, name: str) -> bool:
    if pattern == name:
        return True
    try:
        return re.fullmatch(pattern, name) is not None
    except re.error:
        return False
