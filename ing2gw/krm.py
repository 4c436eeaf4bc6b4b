"""Kustomize exec plugin and KRM function adapters: resources in, Gateway API objects out.

Both protocols share `convert_items`:

* KRM function (`ing2gw krm`, run by kpt or `kustomize --enable-exec`): a `ResourceList` on
  stdin, a `ResourceList` on stdout, findings as `results`. See `run_function`.
* Legacy Kustomize exec plugin (run by `kubectl kustomize --enable-alpha-plugins`): the
  `Ing2Gw` config file as argv[1], a plain YAML stream on stdin and stdout. See `run_plugin`.

Every item that is not a converted Ingress is passed through as the same object, with all its
`config.kubernetes.io/*` and `internal.config.kubernetes.io/*` annotations (kpt copies comments
back by `internal.config.kubernetes.io/id`). Converted Ingresses are dropped unless
`keepIngress: true`. New objects are appended in a fixed order; when the input carries file
paths (kpt), each new object gets a path of its own: app objects next to their Ingress's file
(`<dir>/gateway-api/<kind>-<name>.yaml`), platform objects under `platform/`.

Kustomize ignores `results` and only looks at the exit code, so the outcome carries the
reasons the build must fail (`fatal`) for the command line to print on stderr. Functions
(ecosystem reference §1): never write an empty or malformed ResourceList.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from ruamel.yaml import YAML

from ing2gw.emit.gateway import CLASS_ANNOTATION, SOURCE_ANNOTATION
# the Ing2Gw config schema (re-exported: callers and tests know these names from here)
from ing2gw.config import CONFIG_API_VERSION as CONFIG_API_VERSION
from ing2gw.config import CONFIG_KIND as CONFIG_KIND
from ing2gw.config import FIELDS as FIELDS
from ing2gw.config import KrmConfig as KrmConfig
from ing2gw.config import parse_function_config as parse_function_config
from ing2gw.errors import InputError, Problem, UsageError
from ing2gw.findings import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    Finding,
    Severity,
    counts,
    exit_code,
)
from ing2gw.load import Manifest, parse_documents
from ing2gw.origin import Origin
from ing2gw.serialize import object_sort_key, ordered, to_yaml
from ing2gw.translate import Result, translate

RESOURCE_LIST_API_VERSIONS = ("config.kubernetes.io/v1", "config.kubernetes.io/v1beta1")

PATH_ANNOTATIONS = ("internal.config.kubernetes.io/path", "config.kubernetes.io/path")
INDEX_ANNOTATIONS = ("internal.config.kubernetes.io/index", "config.kubernetes.io/index")
#: set by kustomize with `buildMetadata: [originAnnotations]`: "path: ../base/ingress.yaml\n"
ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
#: annotations that belong to the orchestrator, not to the object: carried over when ing2gw
#: rewrites an object it wrote before, ignored when comparing objects
_ORCHESTRATOR_PREFIXES = ("config.kubernetes.io/", "internal.config.kubernetes.io/", "config.k8s.io/",
                          "kustomize.config.k8s.io/", "alpha.config.kubernetes.io/")
_INGRESS_API_VERSIONS = ("networking.k8s.io/v1", "networking.k8s.io/v1beta1", "extensions/v1beta1")
_CLUSTER_SCOPED = frozenset({"GatewayClass", "Namespace", "IngressClass", "ClusterRole",
                             "ClusterRoleBinding", "CustomResourceDefinition"})


# ---------------------------------------------------------------------------------------------
# Reading the wire formats


def parse_resource_list(text: str, filename: str = "<stdin>") -> dict[str, Any]:
    """The ResourceList in `text`, checked (`items` a list of objects). Raises InputError."""
    docs = _documents(text, filename)
    if not docs:
        raise InputError([Problem(filename, 0, "no ResourceList on stdin: `ing2gw krm` is a KRM function, run "
                                               "by kpt or kustomize, that reads a ResourceList on stdin")])
    if len(docs) != 1 or not isinstance(docs[0][2], dict):
        raise InputError([Problem(filename, docs[1][1] if len(docs) > 1 else docs[0][1],
                                  f"expected one ResourceList document, found {len(docs)} document(s)")])
    rl: dict[str, Any] = docs[0][2]
    check_resource_list(rl, filename)
    return rl


def check_resource_list(rl: Mapping[str, Any], filename: str = "<stdin>") -> list[dict[str, Any]]:
    """The items of a well-formed ResourceList; InputError naming what is wrong otherwise."""
    kind, api_version = rl.get("kind"), rl.get("apiVersion")
    if kind != "ResourceList":
        hint = ""
        if isinstance(kind, str) and kind:
            hint = (f" (found {api_version} {kind}: `ing2gw krm` speaks the KRM function protocol; "
                    "for a plain YAML stream use `ing2gw convert -f -`, for a Kustomize plugin "
                    "`ing2gw install-kustomize-plugin`)")
        raise InputError([Problem(filename, 0, f"stdin is not a ResourceList{hint}")])
    if api_version not in RESOURCE_LIST_API_VERSIONS:
        raise InputError([Problem(filename, 0, f"unsupported ResourceList apiVersion {api_version!r}; "
                                               f"expected {' or '.join(RESOURCE_LIST_API_VERSIONS)}")])
    items = rl.get("items")
    if not isinstance(items, list):
        raise InputError([Problem(filename, 0, "the ResourceList has no items list")])
    problems = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(Problem(filename, 0, f"items[{i}] is not an object"))
        elif not (isinstance(item.get("apiVersion"), str) and item["apiVersion"]
                  and isinstance(item.get("kind"), str) and item["kind"]):
            problems.append(Problem(filename, 0, f"items[{i}] has no apiVersion or kind"))
    if problems:
        raise InputError(problems)
    return items


def parse_stream(text: str, filename: str) -> list[dict[str, Any]]:
    """The objects of a plain multi-document YAML stream (legacy plugin stdin)."""
    items = [value for _, _, value in _documents(text, filename)]
    check_resource_list({"apiVersion": RESOURCE_LIST_API_VERSIONS[0], "kind": "ResourceList", "items": items},
                        filename)
    return items


def parse_plugin_config(text: str, filename: str) -> dict[str, Any]:
    """The one Ing2Gw object of the legacy plugin's config file."""
    docs = _documents(text, filename)
    if len(docs) != 1 or not isinstance(docs[0][2], dict):
        raise InputError([Problem(filename, 0, f"expected one {CONFIG_KIND} object, found {len(docs)} document(s)")])
    config: dict[str, Any] = docs[0][2]
    return config


def _documents(text: str, filename: str) -> list[tuple[int, int, Any]]:
    docs, problems = parse_documents(text, filename)
    if problems:
        raise InputError(problems)
    return docs


# ---------------------------------------------------------------------------------------------
# The conversion


@dataclass
class Outcome:
    """What a run produced.

    `items`: the output resources (never empty when the input was not). `results`: the KRM
    results. `fatal`: why the build must fail, one line each (empty on success). `notes`:
    lines for stderr (errors and warnings, whether or not they fail the build). `exit_code`:
    0, 1 (findings at or above failOn) or 2 (bad config or input).
    """

    items: list[dict[str, Any]]
    results: list[dict[str, Any]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    fatal: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    exit_code: int = EXIT_OK


def run_function(resource_list: Mapping[str, Any]) -> tuple[dict[str, Any], Outcome]:
    """KRM function: ResourceList in, (ResourceList out, outcome). Raises InputError only for
    a malformed ResourceList (then nothing valid can be written)."""
    items = check_resource_list(resource_list)
    outcome = convert_items(items, resource_list.get("functionConfig"), place=None)
    out: dict[str, Any] = {"apiVersion": resource_list["apiVersion"], "kind": "ResourceList",
                           "items": outcome.items}
    if outcome.results:
        out["results"] = outcome.results
    return out, outcome


def run_plugin(config: Any, items: list[dict[str, Any]]) -> Outcome:
    """Legacy Kustomize exec plugin: the Ing2Gw config and the resources; no file paths."""
    if not items:
        reason = ("ing2gw received no resources: list the Ing2Gw config under `transformers:` in "
                  "kustomization.yaml (generators see no resources)")
        return Outcome(items=[], fatal=[reason], exit_code=EXIT_USAGE,
                       results=[{"severity": "error", "message": reason}])
    return convert_items(items, config, place=False)


def dump_resource_list(rl: Mapping[str, Any], source: tuple[str, Mapping[str, Any]] | None = None) -> str:
    """The ResourceList as YAML. New objects and results are written in block style (kpt
    keeps flow style verbatim). Items passed through from `source` (the input text and the
    ResourceList parsed from it) are copied as their original text, so kpt writes their files
    back as they were (quotes, flow style, octal numbers) instead of in ing2gw's style."""
    originals: dict[int, str] = {}
    if source is not None:
        text, parsed = source
        for item, item_text in zip(parsed.get("items") or [], _item_texts(text, parsed.get("items") or [])):
            if item_text is not None:
                originals[id(item)] = item_text
    parts = [to_yaml({k: rl[k] for k in ("apiVersion", "kind") if k in rl})]
    items = rl.get("items") or []
    parts.append("items:\n" if items else "items: []\n")
    for item in items:
        original = originals.get(id(item))
        if original is None:
            parts.append(to_yaml([item]))
        else:
            first, *rest = original.split("\n")
            parts.append("\n".join(["- " + first, *(("  " + ln) if ln else "" for ln in rest)]) + "\n")
    rest_keys = {k: v for k, v in rl.items() if k not in ("apiVersion", "kind", "items")}
    if rest_keys:
        parts.append(to_yaml(rest_keys))
    return "".join(parts)


def _item_texts(text: str, items: Sequence[Any]) -> list[str | None]:
    """The source text of each item of the ResourceList in `text`, dedented to column 0, or
    None where it cannot be cut out exactly (checked by parsing it again and comparing)."""
    try:
        events = list(YAML(typ="safe").parse(text))
    except Exception:  # the text was parsed before; be safe anyway
        return []
    lines = text.split("\n")
    spans: list[tuple[int, int, int, int]] = []
    pos = 3  # StreamStart, DocumentStart, root MappingStart
    if len(events) < 3 or type(events[2]).__name__ != "MappingStartEvent":
        return []
    while pos < len(events) and type(events[pos]).__name__ == "ScalarEvent":
        key = events[pos].value
        pos += 1
        if key == "items" and type(events[pos]).__name__ == "SequenceStartEvent":
            pos += 1
            while type(events[pos]).__name__ != "SequenceEndEvent":
                start = events[pos].start_mark
                pos, end = _skip_node(events, pos)
                spans.append((start.line, start.column, end.line, end.column))
            break
        pos, _ = _skip_node(events, pos)
    out: list[str | None] = []
    for (sl, sc, el, ec), item in zip(spans, items):
        out.append(_cut(lines, sl, sc, el, ec, item))
    return out


def _skip_node(events: Sequence[Any], pos: int) -> tuple[int, Any]:
    """(position after the node at `pos`, end mark of its last character)."""
    ev = events[pos]
    name = type(ev).__name__
    if name in ("ScalarEvent", "AliasEvent"):
        return pos + 1, ev.end_mark
    flow = bool(getattr(ev, "flow_style", False))
    end_name = "MappingEndEvent" if name == "MappingStartEvent" else "SequenceEndEvent"
    pos += 1
    last = ev.end_mark
    while type(events[pos]).__name__ != end_name:
        pos, last = _skip_node(events, pos)
    # a block collection ends where the next token starts (after comments and blank lines)
    return pos + 1, (events[pos].end_mark if flow else last)


def _cut(lines: list[str], sl: int, sc: int, el: int, ec: int, item: Any) -> str | None:
    if el == sl:
        body = [lines[sl][sc:ec]]
    else:
        body = [lines[sl][sc:]]
        for ln in lines[sl + 1:el] + [lines[el][:ec]]:
            if ln[:sc].strip():
                return None
            body.append(ln[sc:].rstrip() if ln.strip() else "")
    while len(body) > 1 and not body[-1]:
        body.pop()
    cut = "\n".join(body)
    docs, problems = parse_documents(cut + "\n", "item")
    if problems or len(docs) != 1 or docs[0][2] != item:
        return None
    return cut


def dump_stream(items: Sequence[Mapping[str, Any]]) -> str:
    """A plain multi-document YAML stream, items in the given order."""
    return "---\n".join(to_yaml(i) for i in items)


def convert_items(items: list[dict[str, Any]], function_config: Any, place: bool | None) -> Outcome:
    """Convert the Ingresses among `items`; see the module docstring. `place`: give new objects
    path annotations (None: when the input items carry paths)."""
    view = _Items(items)
    try:
        config = parse_function_config(function_config)
    except UsageError as exc:
        return view.failed([f"invalid {CONFIG_KIND} config: {exc}"])
    # local-config objects (the Kptfile, function configs) are never deployed: not translation input
    manifests = [Manifest(item, Origin(view.label(i))) for i, item in enumerate(items) if not _local_config(item)]
    try:
        result = translate(manifests, config.options)
    except InputError as exc:
        return view.failed([view.relabel(str(p)) for p in exc.problems])
    except UsageError as exc:
        return view.failed([f"invalid {CONFIG_KIND} config: {exc}"])

    converted = {view.index(ing.origin) for ing in result.translated_ingresses()} - {None}
    converted |= _converted_routes(items, result, config.options.default_namespace)
    findings = list(result.findings)
    if not any(_is_ingress(item) or _is_route_source(item) for item in items):
        findings.append(Finding(Severity.INFO, "ING2GW-KRM-002",
                                "no Ingress among the resources: nothing to convert"))
    created, platform = _new_objects(result)
    new, replaced, collision_findings = _merge(view, created, config.options.default_namespace)
    findings.extend(collision_findings)
    if place if place is not None else view.has_paths():
        _place(view, new, platform, result)

    out: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        if i in converted and not config.keep_ingress:
            continue
        out.append(replaced.get(i, item))
    out.extend(new)

    # worst first (kpt truncates long result lists), then in item order
    findings = sorted(findings, key=lambda f: (-f.severity.rank, _or(view.index(f.origin), -1)))
    outcome = Outcome(items=out, findings=findings, results=[view.result(f, out) for f in findings])
    for f in findings:
        if f.severity is not Severity.INFO or config.fail_on == "info":
            outcome.notes.extend(view.describe(f))
    outcome.exit_code = exit_code(findings, config.fail_on)
    if outcome.exit_code == EXIT_FINDINGS:
        failing = [f for f in findings if f.severity.rank >= Severity(config.fail_on).rank]
        outcome.fatal = [view.describe(f)[0] for f in failing]
        c = counts(failing)
        weakened = sorted({f.annotation.rsplit("/", 1)[-1] for f in failing if f.security and f.annotation})
        hint = (f"re-create them with your Gateway implementation's policies and accept the loss with "
                f"allowWeakened: [{', '.join(weakened)}], or " if weakened else "")
        outcome.fatal.append(
            f"ing2gw: {len(failing)} finding(s) at or above failOn={config.fail_on} "
            f"({c['error']} error(s), {c['warning']} warning(s), {c['info']} info): failing the build; "
            f"{hint}set failOn in the {CONFIG_KIND} config")
    if items and not out:
        reason = "ing2gw produced no resources from a non-empty input; refusing to write an empty build"
        outcome.fatal.append(reason)
        outcome.results.append({"severity": "error", "message": reason})
        outcome.exit_code = EXIT_FINDINGS
        outcome.items = list(items)
    return outcome


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def _local_config(item: Mapping[str, Any]) -> bool:
    local = str(_annotations(item).get("config.kubernetes.io/local-config", "")).lower() == "true"
    return local or (item.get("kind") == "Kptfile" and str(item.get("apiVersion", "")).startswith("kpt.dev/"))


def _krm_words(text: str) -> str:
    """Finding texts name command-line flags (--allow-weakened); say the config key instead."""
    for key in FIELDS:
        flag = "--" + re.sub(r"[A-Z]", lambda m: "-" + m.group().lower(), key)
        text = re.sub(re.escape(flag) + r"\b", key, text)
    return text


def _is_ingress(item: Mapping[str, Any]) -> bool:
    return item.get("kind") == "Ingress" and item.get("apiVersion") in _INGRESS_API_VERSIONS


#: Traefik's API groups: their IngressRoutes are translated like Ingresses
_TRAEFIK_GROUPS = ("traefik.io/", "traefik.containo.us/")


def _is_route_source(item: Mapping[str, Any]) -> bool:
    """A source object other than an Ingress that ing2gw turns into routes (an IngressRoute)."""
    return item.get("kind") == "IngressRoute" and str(item.get("apiVersion") or "").startswith(_TRAEFIK_GROUPS)


def _converted_routes(items: Sequence[Mapping[str, Any]], result: Result, default_ns: str) -> set[int]:
    """Indexes of the IngressRoutes some output route came from: replaced like a converted
    Ingress (their Middlewares and TraefikServices stay, other routes may share them)."""
    sources = {str(_annotations(o).get(SOURCE_ANNOTATION) or "") for o in result.objects()}
    out = set()
    for i, item in enumerate(items):
        if _is_route_source(item):
            md = item.get("metadata") or {}
            if f"IngressRoute/{md.get('namespace') or default_ns}/{md.get('name')}" in sources:
                out.add(i)
    return out


def _new_objects(result: Result) -> tuple[list[dict[str, Any]], set[int]]:
    """(platform objects then app objects, each sorted by kind, namespace and name; the ids of
    the platform ones)."""
    platform = [ordered(o) for o in sorted(result.platform, key=object_sort_key)]
    apps = [ordered(o) for o in sorted((o for objs in result.apps.values() for o in objs), key=object_sort_key)]
    return platform + apps, {id(o) for o in platform}


def _annotations(obj: Mapping[str, Any]) -> dict[str, Any]:
    md = obj.get("metadata")
    ann = md.get("annotations") if isinstance(md, Mapping) else None
    return ann if isinstance(ann, dict) else {}


def _identity(obj: Mapping[str, Any], default_namespace: str) -> tuple[str, str, str, str]:
    group = str(obj.get("apiVersion") or "").rpartition("/")[0]
    kind = str(obj.get("kind") or "")
    md = obj.get("metadata") if isinstance(obj.get("metadata"), Mapping) else {}
    assert isinstance(md, Mapping)
    ns = str(md.get("namespace") or ("" if kind in _CLUSTER_SCOPED else default_namespace))
    return group, kind, ns, str(md.get("name") or "")


def _without_orchestrator(obj: Mapping[str, Any]) -> dict[str, Any]:
    md = dict(obj.get("metadata") or {})
    ann = {k: v for k, v in _annotations(obj).items() if not k.startswith(_ORCHESTRATOR_PREFIXES)}
    if ann:
        md["annotations"] = ann
    else:
        md.pop("annotations", None)
    return {**obj, "metadata": md}


def _merge(view: _Items, new: list[dict[str, Any]], default_namespace: str
           ) -> tuple[list[dict[str, Any]], dict[int, dict[str, Any]], list[Finding]]:
    """Split new objects into (appended, {item index: replacement}, findings).

    An item with the same kind, namespace and name is replaced in place (keeping its
    orchestrator annotations, so it stays in its file) when ing2gw wrote it (a re-run with
    keepIngress) or it is identical; any other clash keeps the item and drops the new object.
    """
    existing = {_identity(item, default_namespace): i for i, item in enumerate(view.items)}
    appended: list[dict[str, Any]] = []
    replaced: dict[int, dict[str, Any]] = {}
    findings: list[Finding] = []
    for obj in new:
        i = existing.get(_identity(obj, default_namespace))
        if i is None:
            appended.append(obj)
            continue
        old = view.items[i]
        ours = SOURCE_ANNOTATION in _annotations(old) or CLASS_ANNOTATION in _annotations(old)
        if ours or _without_orchestrator(old) == _without_orchestrator(obj):
            keep = {k: v for k, v in _annotations(old).items() if k.startswith(_ORCHESTRATOR_PREFIXES)}
            if keep:
                obj = {**obj, "metadata": {**obj["metadata"],
                                           "annotations": {**_annotations(obj), **keep}}}
            replaced[i] = obj
            continue
        _, kind, ns, name = _identity(obj, default_namespace)
        findings.append(Finding(
            Severity.ERROR, "ING2GW-KRM-001",
            f"the converted {kind} {ns + '/' if ns else ''}{name} is not written: a different {kind} with this "
            "name is already among the resources", origin=Origin(view.label(i)),
            subject=f"{kind} {ns + '/' if ns else ''}{name}",
            suggestion="rename one of them (gatewayName in the Ing2Gw config for the Gateway) or remove the "
                       "existing resource"))
    return appended, replaced, findings


def _place(view: _Items, new: list[dict[str, Any]], platform: set[int], result: Result) -> None:
    """Give each new object a file: next to its Ingress's file for app objects
    (`<dir>/gateway-api/<kind>-<name>.yaml`), `platform/<kind>-<name>.yaml` for the rest."""
    ingress_dir: dict[str, str] = {}
    namespace_dir: dict[str, str] = {}
    for ing in result.inputs.ingresses:
        i = view.index(ing.origin)
        path = view.path(i) if i is not None else None
        if path is not None:
            d = posixpath.dirname(path)
            ingress_dir.setdefault(ing.key, d)
            namespace_dir.setdefault(ing.metadata.namespace or "", d)
    used: dict[str, int] = {}
    for i in range(len(view.items)):
        p = view.path(i)
        if p is not None:
            used[p] = max(used.get(p, 0), view.doc_index(i) + 1)
    for obj in new:
        md = obj["metadata"]
        base = f"{str(obj.get('kind', 'object')).lower()}-{md.get('name', '')}.yaml"
        source = _annotations(obj).get(SOURCE_ANNOTATION)
        if id(obj) in platform:
            path = posixpath.join("platform", base)
        else:
            folder = ingress_dir.get(str(source)) if source else None
            if folder is None:
                folder = namespace_dir.get(str(md.get("namespace") or ""), "")
            path = posixpath.join(folder, "gateway-api", base)
        index = used.get(path, 0)
        used[path] = index + 1
        ann = dict(md.get("annotations") or {})
        for key in PATH_ANNOTATIONS:
            ann[key] = path
        for key in INDEX_ANNOTATIONS:
            ann[key] = str(index)
        md["annotations"] = dict(sorted(ann.items()))


class _Items:
    """The input items, and how findings and messages refer to them."""

    _LABEL = re.compile(r"items\[(\d+)\]\Z")

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items

    @staticmethod
    def label(i: int) -> str:
        return f"items[{i}]"

    def index(self, origin: Origin | None) -> int | None:
        m = self._LABEL.match(origin.file) if origin is not None else None
        return int(m.group(1)) if m else None

    def has_paths(self) -> bool:
        return any(self.path(i) is not None for i in range(len(self.items)))

    def path(self, i: int) -> str | None:
        ann = _annotations(self.items[i])
        for key in PATH_ANNOTATIONS:
            if isinstance(ann.get(key), str) and ann[key]:
                return str(ann[key])
        return None

    def doc_index(self, i: int) -> int:
        ann = _annotations(self.items[i])
        for key in INDEX_ANNOTATIONS:
            try:
                return int(ann[key])
            except (KeyError, TypeError, ValueError):
                continue
        return 0

    def source_file(self, i: int) -> str | None:
        """The file the item came from: its path annotation, else kustomize's origin annotation."""
        p = self.path(i)
        if p is not None:
            return p
        origin = _annotations(self.items[i]).get(ORIGIN_ANNOTATION)
        m = re.search(r"^path:\s*(\S.*?)\s*$", origin, re.MULTILINE) if isinstance(origin, str) else None
        return m.group(1).strip("'\"") if m else None

    def name(self, i: int) -> str:
        ident = _identity(self.items[i], "")
        return f"{ident[1]} {ident[2] + '/' if ident[2] else ''}{ident[3]}"

    def relabel(self, text: str) -> str:
        """An InputError line with `items[i]` replaced by the item's file and name."""
        def where(m: re.Match[str]) -> str:
            i = int(m.group(1))
            f = self.source_file(i)
            return f"{f}: {self.name(i)}" if f else self.name(i)
        return re.sub(r"items\[(\d+)\](?::0)?", where, text)

    def failed(self, reasons: list[str]) -> Outcome:
        """Bad config or input: the items unchanged, the reasons as error results, exit 2."""
        return Outcome(items=list(self.items), exit_code=EXIT_USAGE, fatal=list(reasons),
                       results=[{"severity": "error", "message": r} for r in reasons])

    def _subject_object(self, f: Finding, out: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
        i = self.index(f.origin)
        if i is not None:
            return self.items[i]
        m = re.fullmatch(r"(\w+) (?:([^/\s]+)/)?(\S+)", f.subject or "")
        if not m:
            return None
        for obj in (*out, *self.items):
            ident = _identity(obj, "")
            if (ident[1], ident[2], ident[3]) == (m.group(1), m.group(2) or "", m.group(3)):
                return obj
        return None

    def result(self, f: Finding, out: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """One finding as a KRM `Result`."""
        text = f"{f.code}: {_krm_words(f.message)}" + (f" (value {f.value!r})" if f.value is not None else "")
        if f.suggestion:
            text += f"; {_krm_words(f.suggestion)}"
        r: dict[str, Any] = {"message": text, "severity": f.severity.value}
        obj = self._subject_object(f, out)
        if obj is not None:
            md = obj.get("metadata") if isinstance(obj.get("metadata"), Mapping) else {}
            assert isinstance(md, Mapping)
            ref = {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "name": md.get("name")}
            if md.get("namespace"):
                ref["namespace"] = md["namespace"]
            r["resourceRef"] = ref
            if f.annotation:
                r["field"] = {"path": f"metadata.annotations['{f.annotation}']"}
                if f.value is not None:
                    r["field"]["currentValue"] = f.value
            ann = _annotations(obj)
            path = next((ann[k] for k in PATH_ANNOTATIONS if isinstance(ann.get(k), str)), None)
            i = self.index(f.origin)
            if path is None and i is not None:
                path = self.source_file(i)
            if path:
                file: dict[str, Any] = {"path": path}
                idx = next((ann[k] for k in INDEX_ANNOTATIONS if k in ann), None)
                try:
                    if idx is not None:
                        file["index"] = int(idx)
                except (TypeError, ValueError):
                    pass
                r["file"] = file
        tags = {"code": f.code}
        if f.status:
            tags["status"] = f.status
        if f.security:
            tags["security"] = "true"
        r["tags"] = tags
        return r

    def describe(self, f: Finding) -> list[str]:
        """One finding for stderr: a line, and the suggestion indented below it."""
        i = self.index(f.origin)
        where = self.source_file(i) if i is not None else None
        subject = f.subject or (self.name(i) if i is not None else "")
        ann = f"[{f.annotation}] " if f.annotation else ""
        line = (f"{where + ': ' if where else ''}{f.severity.value}: {f.code}: "
                f"{subject + ': ' if subject else ''}{ann}{_krm_words(f.message)}")
        return [line] + ([f"    -> {_krm_words(f.suggestion)}"] if f.suggestion else [])


# ---------------------------------------------------------------------------------------------
# Installing the legacy Kustomize exec plugin

#: first line after the shebang of the plugin script; marks a file ing2gw may overwrite
PLUGIN_MARKER = "# Kustomize exec plugin for ing2gw.io/v1alpha1 Ing2Gw, written by `ing2gw install-kustomize-plugin`."


def plugin_home_candidates(env: Mapping[str, str], home: Path) -> list[Path]:
    """Where Kustomize looks for plugins, in order; it uses the first that exists
    (kustomize api/konfig/plugins.go)."""
    out = []
    if env.get("KUSTOMIZE_PLUGIN_HOME"):
        out.append(Path(env["KUSTOMIZE_PLUGIN_HOME"]))
    if env.get("XDG_CONFIG_HOME"):
        out.append(Path(env["XDG_CONFIG_HOME"]) / "kustomize" / "plugin")
    out.append(home / ".config" / "kustomize" / "plugin")
    out.append(home / "kustomize" / "plugin")
    return out


def default_plugin_home(env: Mapping[str, str], home: Path) -> Path:
    """The plugin home Kustomize searches: the first existing candidate, else the first one."""
    candidates = plugin_home_candidates(env, home)
    return next((c for c in candidates if c.is_dir()), candidates[0])


def plugin_path(plugin_home: Path) -> Path:
    """`<home>/<group>/<version>/<lowercase kind>/<Kind>`, where Kustomize looks for the plugin."""
    group, version = CONFIG_API_VERSION.split("/")
    return plugin_home / group / version / CONFIG_KIND.lower() / CONFIG_KIND


def plugin_script(python: str) -> str:
    """The plugin: a shell script that runs this ing2gw with the interpreter it is installed in.

    Kustomize starts exec plugins in the kustomization's folder, and `python -m` puts the working
    directory first on the import path: a `click.py` or `ing2gw.py` committed next to an overlay
    would run inside the build. `-P` (Python 3.11) keeps the working directory off the path while
    leaving the environment's and the user's site-packages where ing2gw may be installed."""
    return (f"#!/bin/sh\n{PLUGIN_MARKER}\n"
            "# Kustomize passes the Ing2Gw config file as $1 and the resources on stdin. -P: never import\n"
            "# modules from the working directory (the kustomization's folder).\n"
            f"exec {shlex.quote(python)} -P -m ing2gw krm --kustomize-plugin \"$@\"\n")


KUSTOMIZATION_SNIPPET = f"""\
# kustomization.yaml: list ing2gw under transformers (after your patches run)
transformers:
- ing2gw.yaml
---
# ing2gw.yaml
apiVersion: {CONFIG_API_VERSION}
kind: {CONFIG_KIND}
metadata:
  name: ing2gw
spec:
  gatewayNamespace: gateway-system
  keepIngress: false
  failOn: error
"""
