"""The report model: one value holding everything a reviewer reads before merging a migration.

Built from a translation `Result` (its findings, inputs and emitted objects) and, when the
equivalence check ran, its `VerifyResult`. Per Ingress: where it is, which controller serves
it, what it became, one row per annotation (status, what it became, why it is lossy, what to
do, security relevance, from the finding joined with its mapping-table row), its other
findings and the "lost in translation" delta (`report.lost`). Then the findings that belong
to no Ingress (Gateway-level, input), the equivalence summary, totals and the codes used.

The model is plain data (frozen pydantic models) and deterministic: no timestamps, Ingresses
sorted by namespace/name, findings in `sort_findings` order. Its JSON form is described by
`ing2gw/data/report.schema.json`; bump `SCHEMA_VERSION` (and the schema's `$id`) on any
incompatible change.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib
from collections import Counter, defaultdict
from typing import Any, Callable, Iterable, Iterator, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field

from ing2gw import mappings
from ing2gw.findings import Finding, Severity, codes, counts
from ing2gw.model.ingress import Ingress
from ing2gw.providers import registry
from ing2gw.report import lost
from ing2gw.report.summary import unexplained_findings
from ing2gw.translate import Result
from ing2gw.equivalence.check import VerifyResult, describe_answer

SCHEMA_VERSION = "1"
SCHEMA_ID = "https://ing2gw.io/schemas/report-v1.json"
DEFAULT_TITLE = "ing2gw migration report"

#: annotation statuses in the order the report counts them
STATUSES = ("converted", "partial", "policy", "unsupported", "ignored", "unknown", "invalid")
SEVERITIES = ("error", "warning", "info")
#: when one annotation has several status-bearing findings, the worst status names the row
_STATUS_RANK = {s: i for i, s in enumerate(("invalid", "unknown", "unsupported", "policy", "partial", "converted",
                                            "ignored"))}
#: where a finding code without its own docs link sends the reader, by area
_AREA_DOCS = {
    "NGINX": "https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/",
    "LOAD": "https://kubernetes.io/docs/concepts/services-networking/ingress/",
}
_DEFAULT_DOCS = "https://gateway-api.sigs.k8s.io/guides/migrating-from-ingress/"

SeverityName = Literal["error", "warning", "info"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FindingRow(_Model):
    """A finding as the report shows it."""

    severity: SeverityName
    code: str
    title: str
    message: str
    subject: str | None = None
    file: str | None = None
    line: int | None = None
    annotation: str | None = None
    value: str | None = None
    status: str | None = None
    suggestion: str | None = None
    security: bool = False
    accepted: bool = False


class ObjectRef(_Model):
    """An emitted object an Ingress became (`note` says how when it is not the obvious way)."""

    kind: str
    namespace: str | None
    name: str
    note: str | None = None


class AnnotationRow(_Model):
    """One annotation of one Ingress: its finding(s) joined with its mapping-table row."""

    key: str
    value: str | None
    status: str
    severity: SeverityName
    codes: list[str]
    became: list[str]
    becomes: str | None
    lossy: str | None
    findings: list[FindingRow]
    suggestion: str | None
    security: bool
    accepted: bool
    docs: str | None


class Change(_Model):
    """One difference between what the Ingress expressed and what the emitted objects express."""

    kind: Literal["added", "removed", "changed"]
    path: str
    ingress: Any = None
    gateway: Any = None


class Lost(_Model):
    """The "lost in translation" view of one Ingress (see `ing2gw.report.lost`)."""

    changes: list[Change]
    expressed: dict[str, Any]
    emitted: dict[str, Any]
    #: False when the controller has no source-side reading (registry `report_view`): nothing
    #: was compared (left out of the JSON when True, its usual value)
    compared: bool = Field(True, exclude_if=lambda v: v is True)


class IngressEntry(_Model):
    """One source object: an Ingress, or another kind a controller reads as one (`kind`, left
    out of the JSON for an Ingress; Traefik's IngressRoute)."""

    kind: str = Field("Ingress", exclude_if=lambda v: v == "Ingress")
    namespace: str
    name: str
    file: str
    line: int
    controller: str
    ingress_class: str
    class_source: str
    translated: bool
    severity: SeverityName | None
    objects: list[ObjectRef]
    annotations: list[AnnotationRow]
    findings: list[FindingRow]
    lost: Lost


class Example(_Model):
    request: str
    old: str
    new: str
    differs_in: list[str]


class DifferenceGroup(_Model):
    """Probes whose answers differ, grouped by what explains them."""

    cause: Literal["unexplained", "unverified", "explained"]
    codes: list[str]
    titles: list[str]
    count: int
    examples: list[Example]


class Equivalence(_Model):
    probes: int
    equivalent: int
    explained: int
    unexplained: int
    unverified: int
    groups: list[DifferenceGroup]


class Totals(_Model):
    ingresses: int
    translated: int
    findings: dict[str, int]
    annotations: dict[str, int]
    security_losses: int
    accepted_losses: int
    objects: dict[str, int]
    lost: dict[str, int]
    worst: SeverityName | None


class CodeEntry(_Model):
    code: str
    title: str
    severity: str
    count: int
    docs: str


class Report(_Model):
    """The whole report (its JSON form validates against `ing2gw/data/report.schema.json`)."""

    schema_id: str = Field(default=SCHEMA_ID, alias="$schema")
    schema_version: str = SCHEMA_VERSION
    title: str
    totals: Totals
    ingresses: list[IngressEntry]
    other_findings: list[FindingRow]
    equivalence: Equivalence | None
    codes: list[CodeEntry]


# -- helpers -----------------------------------------------------------------------------------


def code_docs(code: str) -> str:
    """The documentation link of a finding code: its own, else its area's reference."""
    info = codes().get(code)
    if info is not None and info.docs:
        return info.docs
    area = code.split("-")[1] if code.count("-") >= 2 else ""
    return _AREA_DOCS.get(area, _DEFAULT_DOCS)


@functools.cache
def _table(controller: str) -> tuple[str, dict[str, dict[str, Any]]]:
    try:
        data = mappings.table(controller)
    except FileNotFoundError:
        return "", {}
    return str(data.get("prefix") or ""), {str(r["key"]): r for r in data.get("annotations") or []}


def _row(f: Finding) -> FindingRow:
    info = codes().get(f.code)
    o = f.origin
    return FindingRow(severity=f.severity.value, code=f.code, title=info.title if info else f.code,
                      message=f.message, subject=f.subject or None, file=o.file if o else None,
                      line=o.line if o and o.line else None, annotation=f.annotation, value=f.value,
                      status=f.status, suggestion=f.suggestion, security=f.security, accepted=f.accepted)


_SEVERITY_RANK = {"error": 3, "warning": 2, "info": 1}


def _worst(severities: Iterable[str]) -> SeverityName | None:
    best: str | None = max(severities, key=_SEVERITY_RANK.__getitem__, default=None)
    return best  # type: ignore[return-value]


# -- "what it became": where an annotation's effect sits in the emitted objects ---------------


Rule = Mapping[str, Any]


def _filter(kind: str, pred: Callable[[Mapping[str, Any]], bool] = lambda f: True) -> Callable[[Rule], list[str]]:
    def find(rule: Rule) -> list[str]:
        return [f"filters[{kind}]" for f in rule.get("filters") or []
                if f.get("type") == kind and pred(f.get(kind[0].lower() + kind[1:]) or {})][:1]
    return find


def _field(name: str) -> Callable[[Rule], list[str]]:
    return lambda rule: [name] if rule.get(name) else []


def _weights(rule: Rule) -> list[str]:
    return ["backendRefs[*].weight"] if any("weight" in b for b in rule.get("backendRefs") or []) else []


def _headers(rule: Rule) -> list[str]:
    return [f"matches[{i}].headers" for i, m in enumerate(rule.get("matches") or []) if m.get("headers")][:1]


def _regex(rule: Rule) -> list[str]:
    return [f"matches[{i}].path" for i, m in enumerate(rule.get("matches") or [])
            if (m.get("path") or {}).get("type") == "RegularExpression"][:1]


def _https(rr: Mapping[str, Any]) -> bool:
    return rr.get("scheme") == "https" and not (set(rr) - {"scheme", "statusCode"})


def _canary(rule: Rule) -> list[str]:
    return _weights(rule) + _headers(rule)


def _is_app_root(rule: Rule) -> bool:
    """The app-root rule: Exact / answered with a 302 to a path on the same host."""
    return any((m.get("path") or {}) == {"type": "Exact", "value": "/"} for m in rule.get("matches") or []) and any(
        (f.get("requestRedirect") or {}).get("statusCode") == 302 and not (f.get("requestRedirect") or {}).get(
            "hostname") for f in rule.get("filters") or [])


def _app_root(rule: Rule) -> list[str]:
    return ["filters[RequestRedirect]"] if _is_app_root(rule) else []


_ANY_REDIRECT = _filter("RequestRedirect", lambda rr: not _https(rr))


def _REDIRECT(rule: Rule) -> list[str]:
    return [] if _is_app_root(rule) else _ANY_REDIRECT(rule)
_REWRITE = _filter("URLRewrite")

#: annotation (short key) -> where its effect shows in an emitted rule; the rest are objects
#: (`kind:`) or route fields (`route:`). Only for report display: the mapping table says what
#: an annotation becomes in words; this finds the exact places in this translation's output.
LOCATORS: dict[str, Callable[[Rule], list[str]] | str] = {
    "permanent-redirect": _REDIRECT, "permanent-redirect-code": _REDIRECT,
    "temporal-redirect": _REDIRECT, "temporal-redirect-code": _REDIRECT,
    "app-root": _app_root, "from-to-www-redirect": _REDIRECT, "use-port-in-redirects": _REDIRECT,
    "ssl-redirect": _filter("RequestRedirect", _https), "force-ssl-redirect": _filter("RequestRedirect", _https),
    "rewrite-target": _REWRITE, "upstream-vhost": _REWRITE,
    "x-forwarded-prefix": _filter("RequestHeaderModifier"), "connection-proxy-header": _filter("RequestHeaderModifier"),
    "custom-headers": _filter("ResponseHeaderModifier"),
    "enable-cors": _filter("CORS"), "cors-allow-origin": _filter("CORS"), "cors-allow-methods": _filter("CORS"),
    "cors-allow-headers": _filter("CORS"), "cors-expose-headers": _filter("CORS"),
    "cors-allow-credentials": _filter("CORS"), "cors-max-age": _filter("CORS"),
    "mirror-target": _filter("RequestMirror"), "mirror-request-body": _filter("RequestMirror"),
    "proxy-read-timeout": _field("timeouts"), "proxy-send-timeout": _field("timeouts"),
    "proxy-connect-timeout": _field("timeouts"),
    "canary": _canary, "canary-weight": _weights, "canary-weight-total": _weights,
    "canary-by-header": _headers, "canary-by-header-value": _headers, "canary-by-header-pattern": _headers,
    "canary-by-cookie": _headers,
    "use-regex": _regex,
    "server-alias": "route:hostnames",
    "backend-protocol": "kind:GRPCRoute,BackendTLSPolicy",
    "proxy-ssl-secret": "kind:BackendTLSPolicy", "proxy-ssl-verify": "kind:BackendTLSPolicy",
    "proxy-ssl-name": "kind:BackendTLSPolicy", "proxy-ssl-server-name": "kind:BackendTLSPolicy",
    "ssl-passthrough": "kind:TLSRoute",
}
_MAX_PLACES = 6


def _ref_text(o: Mapping[str, Any]) -> str:
    md = o.get("metadata") or {}
    return f"{o.get('kind')} {md.get('namespace')}/{md.get('name')}" if md.get("namespace") else \
        f"{o.get('kind')} {md.get('name')}"


def became(short: str, objects: list[dict[str, Any]]) -> list[str]:
    """Places (object and field) in `objects` where the annotation `short` took effect."""
    loc = LOCATORS.get(short)
    if loc is None:
        return []
    places: list[str] = []
    if isinstance(loc, str):
        what, _, arg = loc.partition(":")
        for o in objects:
            if what == "kind" and o.get("kind") in arg.split(","):
                places.append(_ref_text(o))
            elif what == "route" and (o.get("spec") or {}).get(arg):
                places.append(f"{_ref_text(o)} .spec.{arg}")
        return places[:_MAX_PLACES]
    for o in objects:
        per_field: dict[str, list[int]] = defaultdict(list)
        for i, rule in enumerate((o.get("spec") or {}).get("rules") or []):
            for f in loc(rule):
                per_field[f].append(i)
        for f, idx in sorted(per_field.items()):
            places.append(f"{_ref_text(o)} .spec.rules[{','.join(map(str, idx))}].{f}")
    return places[:_MAX_PLACES] + ([f"... and {len(places) - _MAX_PLACES} more"] if len(places) > _MAX_PLACES else [])


# -- building ----------------------------------------------------------------------------------


def _annotation_rows(findings: list[FindingRow], table: dict[str, dict[str, Any]],
                     objects: list[dict[str, Any]]) -> tuple[list[AnnotationRow], list[FindingRow]]:
    groups: dict[str, list[FindingRow]] = defaultdict(list)
    rows: list[AnnotationRow] = []
    rest: list[FindingRow] = []
    for f in findings:
        if f.annotation is not None:
            groups[f.annotation].append(f)
        else:
            rest.append(f)
    for key in sorted(groups):
        fs = groups[key]
        statuses = [f.status for f in fs if f.status]
        if not statuses:
            rest.extend(fs)  # about an annotation the Ingress does not set (e.g. an implied use-regex)
            continue
        status = min(statuses, key=lambda s: _STATUS_RANK.get(s, -1))
        short = short_key(key)
        t = table.get(short) if status != "unknown" else None
        worst = max(fs, key=lambda f: _SEVERITY_RANK[f.severity])
        value = next((f.value for f in fs if f.status and f.value is not None), None)
        places = became(short, objects) if status in ("converted", "partial", "policy") else []
        if status == "policy" and not places:
            places = [f.message for f in fs if f.status == "policy" and f.severity == "info"][:1]
        rows.append(AnnotationRow(
            key=key, value=value, status=status, severity=worst.severity, codes=sorted({f.code for f in fs}),
            became=places, becomes=(t.get("becomes") or None) if t else None,
            lossy=(t.get("lossy") or None) if t else None, findings=fs,
            suggestion=worst.suggestion or next((f.suggestion for f in fs if f.suggestion), None),
            security=any(f.security for f in fs), accepted=any(f.accepted for f in fs),
            docs=(t.get("docs") or None) if t else None))
    return rows, rest


def _annotation_intents(rows: list[AnnotationRow], exp: dict[str, Any], emi: dict[str, Any]) -> None:
    """Annotations with a meaning the paths do not show: on the Ingress side every one nginx
    acts on, on the Gateway side those carried over in full (converted, or a target's policy).
    Partly converted ones are left out of both: their effect is in the paths, their loss in
    their row."""
    said = {short_key(r.key): r.value or "" for r in rows if r.status in ("converted", "policy", "unsupported")}
    kept = {short_key(r.key): r.value or "" for r in rows
            if r.status == "converted" or (r.status == "policy" and r.severity == "info")}
    if said:  # both sides, so that a lost annotation shows as `annotations › key`
        exp["annotations"] = said
        emi["annotations"] = kept


def short_key(key: str) -> str:
    """An annotation key without its prefix (the report states the prefix once)."""
    return key.rsplit("/", 1)[-1]


def _objects_of(key: str, ctx: lost.Context, canary: set[str] | None) -> tuple[list[dict[str, Any]], list[ObjectRef]]:
    own = ctx.objects_by_source.get(key, [])
    note = None
    if not own and canary is not None:
        own = ctx.routes_to_services(canary)
        note = "canary backends merged into this route"
    refs = [ObjectRef(kind=str(o.get("kind")), namespace=(o.get("metadata") or {}).get("namespace"),
                      name=str((o.get("metadata") or {}).get("name")), note=note) for o in own]
    gateways: set[tuple[str, str]] = set()
    sets: set[tuple[str, str]] = set()
    for o in own:
        ns = (o.get("metadata") or {}).get("namespace", "")
        for p in (o.get("spec") or {}).get("parentRefs") or []:
            (sets if p.get("kind") == "ListenerSet" else gateways).add((p.get("namespace") or ns, p.get("name", "")))
    refs += [ObjectRef(kind="ListenerSet", namespace=ns, name=name, note="the namespace's hosts and certificates")
             for ns, name in sorted(sets)]
    refs += [ObjectRef(kind="Gateway", namespace=ns, name=name, note="platform-owned, shared")
             for ns, name in sorted(gateways)]
    return own, refs


def _equivalence(v: VerifyResult, examples: int = 3) -> Equivalence:
    known = codes()
    out = []
    for key, count, recs in v.causes():
        cause: Literal["unexplained", "unverified", "explained"] = \
            "unexplained" if key == ("UNEXPLAINED",) else "unverified" if key == ("UNVERIFIED",) else "explained"
        code_list = list(key) if cause == "explained" else []
        out.append(DifferenceGroup(
            cause=cause, codes=code_list, titles=[known[c].title if c in known else c for c in code_list],
            count=count, examples=[Example(request=r.request.describe(), old=describe_answer(r.old),
                                               new=describe_answer(r.new),
                                               differs_in=[d.field for d in r.differences]) for r in recs[:examples]]))
    return Equivalence(probes=v.probes, equivalent=v.equivalent, explained=v.explained, unexplained=v.unexplained,
                       unverified=v.unverified, groups=out)


def _prefix(ing: Ingress, fs: list[FindingRow], default: str) -> str:
    for f in fs:
        if f.annotation and "/" in f.annotation and f.status:
            return f.annotation.rsplit("/", 1)[0]
    return default


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector while the report is built: it allocates tens of
    thousands of small objects next to a large translation, and the collector's passes over
    all of them cost a third of the time for 1,000 Ingresses. Reference counting still frees
    memory; cycles (deepdiff's tree) are collected when the collector is back."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def build(result: Result, verify: VerifyResult | None = None, *, title: str | None = None) -> Report:
    """The report of a translation (and of its equivalence check)."""
    with _no_cycle_collection():
        return _build(result, verify, title)


def _views(result: Result, class_of: dict[str, str], prefix_of: dict[str, str]) -> dict[str, lost.SourceView | None]:
    """Each controller's source-side reading (its registry entry's `report_view`), None without one."""
    out: dict[str, lost.SourceView | None] = {}
    for controller in sorted({o.controller for o in result.ownership.values()}):
        e = registry.entry(controller)
        if e is None or e.report_view is None:
            out[controller] = None
            continue
        module, _, name = e.report_view.partition(":")
        mine = {k: c for k, c in class_of.items() if result.ownership[k].controller == controller}
        view: lost.SourceView = getattr(importlib.import_module(module), name).build(result.inputs, mine, prefix_of)
        out[controller] = view
    return out


def _other_sources(result: Result, findings: list[Finding], ctx: lost.Context) -> dict[str, tuple[str, str, Any]]:
    """Source objects of other kinds than Ingress (registry `source_kinds`), by key `Kind/ns/name`:
    (kind, controller, the object's origin or None). Found by what names them: an emitted object's
    source annotation, or a finding about them (one dropped entirely has only that)."""
    kinds = {kind: e.controller for e in registry.REGISTRY.values() for _, kind in e.source_kinds}
    groups = {(g, kind) for e in registry.REGISTRY.values() for g, kind in e.source_kinds}
    keys = {k for k in ctx.objects_by_source if k.split("/", 1)[0] in kinds and k.count("/") == 2}
    for f in findings:
        kind, _, rest = f.subject.partition(" ")
        if kind in kinds and rest.count("/") == 1:
            keys.add(f"{kind}/{rest}")
    origins = {(m.kind, m.namespace, m.name): m.origin for m in result.inputs.other if (m.group, m.kind) in groups}
    out: dict[str, tuple[str, str, Any]] = {}
    for key in keys:
        kind, ns, name = key.split("/")
        origin = origins.get((kind, ns, name)) or origins.get((kind, "", name))
        out[key] = (kind, kinds[kind], origin)
    return out


def _build(result: Result, verify: VerifyResult | None, title: str | None) -> Report:
    findings = list(result.findings) + unexplained_findings(verify)
    per_source: dict[str, list[FindingRow]] = defaultdict(list)
    objects = result.objects()
    ctx = lost.Context.build(objects)
    others = _other_sources(result, findings, ctx)
    keys = {i.key for i in result.inputs.ingresses}
    other: list[FindingRow] = []
    for f in findings:
        subject_kind, _, subject = f.subject.partition(" ")
        k = subject if subject_kind == "Ingress" else f"{subject_kind}/{subject}" if subject_kind else None
        (per_source[k] if k in keys or k in others else other).append(_row(f))
    translated = {i.key for i in result.translated_ingresses()}
    class_of = {k: result.ownership[k].class_name for k in translated}
    prefix_of = {}
    for ing in result.inputs.ingresses:
        prefix_of[ing.key] = _prefix(ing, per_source[ing.key], _table(result.ownership[ing.key].controller)[0])
    views = _views(result, class_of, prefix_of)

    entries = []
    sides: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    pending: list[dict[str, Any]] = []
    status_counts = {s: 0 for s in STATUSES}
    lost_counts = {"removed": 0, "changed": 0, "added": 0}
    for ing in result.inputs.ingresses:
        key = ing.key
        own = result.ownership[key]
        fs = per_source[key]
        is_translated = key in translated
        view = views.get(own.controller)
        canary = view.canary_services(ing) if view is not None else None
        objs, refs = _objects_of(key, ctx, canary) if is_translated else ([], [])
        rows, rest = _annotation_rows(fs, _table(own.controller)[1], objs)
        for r in rows:
            status_counts[r.status] = status_counts.get(r.status, 0) + 1
        compared = view is not None or not is_translated
        if is_translated and view is not None:
            hosts = {r.host or "*" for r in ing.spec.rules}
            exp, emi = view.expressed(ing), lost.emitted(key, ctx, (canary, hosts) if canary is not None else None)
            _annotation_intents(rows, exp, emi)
        else:
            exp, emi = {}, {}
        sides[key] = (exp, emi)
        pending.append(dict(
            namespace=ing.namespace, name=ing.name, file=ing.origin.file, line=ing.origin.line,
            controller=own.controller, ingress_class=own.class_name, class_source=own.how, translated=is_translated,
            severity=_worst(f.severity for f in fs), objects=refs, annotations=rows, findings=rest, compared=compared))
    for key, (kind, controller, origin) in others.items():
        fs = per_source[key]
        _, ns, name = key.split("/")
        objs, refs = _objects_of(key, ctx, None)
        sides[key] = ({}, {})
        pending.append(dict(
            kind=kind, namespace=ns, name=name, file=origin.file if origin is not None else "",
            line=origin.line if origin is not None else 0, controller=controller, ingress_class="none",
            class_source=f"{'an' if kind[:1] in 'AEIOU' else 'a'} {kind} has no IngressClass: {controller} reads it itself", translated=bool(objs),
            severity=_worst(f.severity for f in fs), objects=refs, annotations=[], findings=fs, compared=False))
    pending.sort(key=lambda e: (e["namespace"], e["name"], e.get("kind", "Ingress") != "Ingress", e.get("kind", "")))
    deltas = lost.diff_many(sides)
    for fields in pending:
        compared = fields.pop("compared")
        kind = fields.get("kind", "Ingress")
        key = f"{fields['namespace']}/{fields['name']}" if kind == "Ingress" else \
            f"{kind}/{fields['namespace']}/{fields['name']}"
        exp, emi = sides[key]
        changes = [Change(kind=c.kind, path=c.path, ingress=c.ingress, gateway=c.gateway)
                   for c in deltas[key]]
        for c in changes:
            lost_counts[c.kind] += 1
        entries.append(IngressEntry(
            **fields, lost=Lost(changes=changes, expressed=exp, emitted=emi, compared=compared)))

    used = Counter(f.code for f in findings)
    known = codes()
    code_entries = [CodeEntry(code=c, title=known[c].title if c in known else c,
                              severity=known[c].severity if c in known else "", count=n, docs=code_docs(c))
                    for c, n in sorted(used.items())]
    kinds = Counter(str(o.get("kind")) for o in objects)
    totals = Totals(
        ingresses=len(entries), translated=sum(1 for e in entries if e.translated), findings=counts(findings), annotations=status_counts,
        security_losses=sum(1 for f in findings if f.security and f.severity is Severity.ERROR),
        accepted_losses=sum(1 for f in findings if f.accepted), objects=dict(sorted(kinds.items())),
        lost=lost_counts, worst=_worst(f.severity.value for f in findings))
    return Report(title=title or DEFAULT_TITLE, totals=totals, ingresses=entries,
                  other_findings=other,
                  equivalence=_equivalence(verify) if verify is not None else None, codes=code_entries)
