"""HAProxy backend annotations that a target's backend policy may carry: health checks (`check`,
`check-http`, `check-interval`, `timeout-check`) and the per-pod connection cap (`pod-maxconn`).

They configure HAProxy's backend, which every Ingress path to the same Service port shares
(H-E4: Service, then Ingress, then ConfigMap; two Ingresses with different values fight, the
last writer wins). An intent is written on an Ingress's routes only when it says exactly what
HAProxy did for every request those routes send:

* every Service the Ingress routes to resolves the same values (one policy per route), and
* every Ingress that routes to one of those Services resolves the same values too (otherwise
  HAProxy's shared backend got one of them, and which one is not defined),
* and the target carries the intent with these parameters (emit.targets.carry).

Otherwise nothing changes: the annotation findings (HAPROXY-027: no effect on a single answer
with healthy backends, which is all the equivalence check sends) report the keys as lost,
and ING2GW-TARGET-088 names the disagreement when that is the reason. When carried, those
findings are replaced by HAPROXY-002 (converted) for the values every use of which was carried.

Facts (haproxytech/kubernetes-ingress documentation/annotations.md "Backend Checks",
"pod-maxconn"; HAProxy 2.x configuration manual 5.2 `check`, `inter`, `rise`, `fall`, 4.2
`option httpchk`, `timeout check`): `check` (default true) adds a TCP connect check to every
server, `check-http` "[METHOD] URI [VERSION]" turns it into `option httpchk` (OPTIONS and HTTP/1.0 unless given; 2xx and 3xx are
healthy), `check-interval` is `inter` (default 2s), servers go down after `fall` 3 failures and
up after `rise` 2 successes, and without `timeout check` the whole check times out after `inter`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ing2gw import ir
from ing2gw.findings import Finding, Severity
from ing2gw.model.ingress import Ingress
from ing2gw.providers.base import BuildContext
from ing2gw.providers.carried import intent_verdict
from ing2gw.providers.haproxy.maps import Row
from ing2gw.providers.haproxy.settings import Settings, Value
from ing2gw.providers.values import haproxy_bool

HEALTH_KEYS = ("check", "check-http", "check-interval", "timeout-check")
CONNECTION_KEYS = ("pod-maxconn",)
#: intent -> the backend keys it is made of
KEYS: dict[str, tuple[str, ...]] = {"health-check": HEALTH_KEYS, "backend-connection-limit": CONNECTION_KEYS}
#: HAProxy's server check defaults (configuration manual 5.2): inter 2s, rise 2, fall 3
DEFAULT_INTERVAL_MS, RISE, FALL = 2000, 2, 3
#: the codes the annotation findings of these keys have (features._report, report_configmap)
_LOST_CODES = frozenset({"ING2GW-HAPROXY-004", "ING2GW-HAPROXY-027", "ING2GW-HAPROXY-039"})
_TIME = re.compile(r"([0-9]+)(ms|s|m|h|d)?\Z")
_URI = re.compile(r"/[!-~]*\Z")


def parse_time_ms(text: str) -> int | None:
    """A time as the controller's utils.ParseTime reads it (an integer with an ms, s, m, h or d
    suffix; without one, milliseconds), in milliseconds; None when it refuses it."""
    m = _TIME.match(text.strip())
    if m is None:
        return None
    return int(m.group(1)) * {"ms": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000, "": 1}[m.group(2) or ""]


def health_params(values: dict[str, Value | None]) -> tuple[tuple[str, str], ...] | str | None:
    """The health-check intent's parameters for one backend's resolved values, None when HAProxy
    checks nothing that was configured (no key set, or check false), or why the values have no
    exact reading (a string)."""
    if all(v is None for v in values.values()):
        return None  # the default TCP check is not written (mappings/haproxy.yaml `check` lossy)
    check = values.get("check")
    if check is not None and not haproxy_bool(check.value.strip()):
        return None  # check false: no check at all, as on a Gateway without a policy
    params: list[tuple[str, str]] = []
    http = values.get("check-http")
    if http is not None:
        # pkg/annotations/service/checkHTTP.go: URI, METHOD URI, or METHOD URI VERSION... (the
        # rest joined); `option httpchk` sends OPTIONS and HTTP/1.0 when they are not given
        words = http.value.split()
        if len(words) == 1:
            method, uri, version = "OPTIONS", words[0], "HTTP/1.0"
        elif len(words) == 2:
            method, uri, version = words[0], words[1], "HTTP/1.0"
        else:
            method, uri, version = words[0], words[1], " ".join(words[2:])
        if not _URI.match(uri) or not re.fullmatch(r"[A-Z]+", method) or version not in ("HTTP/1.0", "HTTP/1.1"):
            return (f"check-http {http.value!r}: only an upper-case method, a path and HTTP/1.0 or HTTP/1.1 "
                    "have a health check policy counterpart")
        params += [("type", "http"), ("method", method), ("path", uri), ("version", version)]
    else:
        params.append(("type", "tcp"))
    interval = values.get("check-interval")
    interval_ms = parse_time_ms(interval.value) if interval is not None else DEFAULT_INTERVAL_MS
    if interval_ms is None or interval_ms < 1:
        return f"check-interval {interval.value if interval else ''!r} is not a time"
    params.append(("interval-ms", str(interval_ms)))
    timeout = values.get("timeout-check")
    if timeout is not None:
        timeout_ms = parse_time_ms(timeout.value)
        if timeout_ms is None or timeout_ms < 1:
            return f"timeout-check {timeout.value!r} is not a time"
        params.append(("read-timeout-ms", str(timeout_ms)))
    params += [("rise", str(RISE)), ("fall", str(FALL))]
    return tuple(params)


def connection_params(values: dict[str, Value | None]) -> tuple[tuple[str, str], ...] | str | None:
    """The backend-connection-limit intent's parameters (the per-pod cap), None without one, or
    why the value has no reading."""
    v = values.get("pod-maxconn")
    if v is None:
        return None
    text = v.value.strip()
    if not text.isdigit() or int(text) < 1:
        return f"pod-maxconn {v.value!r} is not a positive number"
    return (("max-connections", str(int(text))),)


_PARAMS = {"health-check": health_params, "backend-connection-limit": connection_params}


@dataclass
class _Use:
    """One Ingress's resolution of one intent: its parameters (or a reason), the values read."""

    ing: Ingress
    params: tuple[tuple[str, str], ...] | str | None
    values: list[Value]


def _resolve(settings: Settings, ing: Ingress, service: str, intent: str) -> _Use:
    """`intent`'s values for Service `service` (namespace/name) of `ing`: the Service's annotation,
    then the Ingress's, then the ConfigMap's (H-E4; settings.backend for the Ingress's namespace)."""
    ns, name = service.split("/", 1)
    values = {k: settings.service(ns, name, k) or settings.frontend(ing, k) for k in KEYS[intent]}
    values = {k: (v if v is not None and v.value.strip() else None) for k, v in values.items()}
    return _Use(ing, _PARAMS[intent](values), [v for v in values.values() if v is not None])


def backend_intents(ctx: BuildContext, settings: Settings, rows: list[Row],
                    default: tuple[Ingress, ir.ServiceBackend] | None = None) -> dict[str, list[ir.Intent]]:
    """The backend intents each Ingress's routes carry (Ingress key -> intents), only where the
    target carries them exactly (`default`: the Ingress and Service of the default backend's
    rule, which joins that Ingress's route); replaces the lost-key findings of what is carried and names
    the disagreements that keep the rest from being carried."""
    target = ctx.options.target
    out: dict[str, list[ir.Intent]] = {}
    if target is None:
        return out
    services: dict[str, set[str]] = {}  # Ingress key -> Service names it routes to
    users: dict[str, dict[str, Ingress]] = {}  # Service name (ns/name) -> Ingresses routing to it
    ings: dict[str, Ingress] = {}
    uses = [(r.ing, r.backend) for r in rows] + ([default] if default is not None else [])
    for ing_, backend in uses:
        ings[ing_.key] = ing_
        services.setdefault(ing_.key, set()).add(f"{backend.namespace}/{backend.name}")
        users.setdefault(f"{backend.namespace}/{backend.name}", {})[ing_.key] = ing_
    #: (full key, source, value) -> whether every use of the value was carried
    carried_values: dict[tuple[str, str, str], bool] = {}
    for intent in KEYS:
        per_service = _per_service(target, intent)
        for key in sorted(services):
            ing = ings[key]
            mine = {svc: _resolve(settings, ing, svc, intent) for svc in sorted(services[key])}
            # a Service-level policy (kgateway, GKE) is one per Service; a route policy covers
            # every backend of the route, so the Ingress's Services form one group
            groups = [[svc] for svc in sorted(mine)] if per_service else [sorted(mine)]
            for group in groups:
                used = [v for svc in group for v in mine[svc].values]
                if used:
                    ok = _one(ctx, target, intent, ing, group, mine, users, settings, used, per_service, out)
                    for v in used:
                        k = (v.key, v.source, v.value)
                        carried_values[k] = carried_values.get(k, True) and ok
    _replace_findings(ctx, settings, carried_values)
    return out


def _per_service(target: str, intent: str) -> bool:
    """Whether `target` attaches `intent`'s policy to the Service (its table's `attach`)."""
    from ing2gw import mappings

    row = mappings.target_rows(target).get(intent) or {}
    resources = row.get("resources") or [{}]
    return "service" in (resources[0].get("attach") or [])


def _one(ctx: BuildContext, target: str, intent: str, ing: Ingress, group: list[str], mine: dict[str, _Use],
         users: dict[str, dict[str, Ingress]], settings: Settings, used: list[Value], per_service: bool,
         out: dict[str, list[ir.Intent]]) -> bool:
    """The intent of one Ingress for a group of its Services (all of them, or one for a
    Service-level policy), added to `out` when carried; True when it is."""
    shapes = {mine[svc].params for svc in group}
    names = list(group)
    why = ""
    if len(shapes) > 1:
        why = (f"the Ingress's Services ({', '.join(names)}) resolve different values, and one policy covers all of "
               "the route's backends")
    else:
        for svc in group:
            others = {o.key: _resolve(settings, o, svc, intent).params
                      for o in users[svc].values()}
            if len(set(others.values())) > 1:
                why = (f"the Ingresses routing to Service {svc} ({', '.join(sorted(others))}) "
                       "resolve different values: HAProxy's shared backend took one of them (H-E4)")
                break
    if why:
        ctx.finding(Severity.WARNING, "ING2GW-TARGET-088",
                    f"{target}: {intent} ({', '.join(sorted({v.key for v in used}))}) is not written: {why}",
                    ing=ing, annotation=used[0].key,
                    suggestion="give every Ingress of the Service the same backend annotations (or put them on the "
                               "Service), or write the policy by hand")
        return False
    (params,) = shapes
    if not isinstance(params, tuple):
        return False  # nothing checked (check false), or a value with no reading: the keys stay reported
    if per_service:
        params = params + (("service", names[0]),)
    made = ir.Intent(intent, ir.Source(ing.namespace, ing.name, ing.origin, used[0].key), ",".join(names),
                     params=params)
    verdict = intent_verdict(target, made)
    if not verdict:
        if verdict.becomes:  # the target writes this intent, but not with these values: say why
            ctx.finding(Severity.WARNING, "ING2GW-TARGET-092",
                        f"{target}: {intent} for {', '.join(names)} is not written: {verdict.why_not}",
                        ing=ing, annotation=used[0].key, suggestion="write the policy by hand if the difference is "
                                                                    "acceptable, or change the annotation")
        return False
    out.setdefault(ing.key, []).append(made)
    return True


def _replace_findings(ctx: BuildContext, settings: Settings, carried: dict[tuple[str, str, str], bool]) -> None:
    """Drop the lost-key findings of values every use of which was carried, and say once per
    value that it was converted (HAPROXY-002)."""
    done = {k for k, ok in carried.items() if ok}
    if not done:
        return
    keep: list[Finding] = []
    converted: set[tuple[str, str, str]] = set()
    for f in ctx.findings:
        k = next((d for d in done if f.code in _LOST_CODES and f.annotation == d[0] and f.value == d[2]
                  and _source_of(f, settings) == d[1]), None)
        if k is None:
            keep.append(f)
            continue
        converted.add(k)
        keep.append(Finding(Severity.INFO, "ING2GW-HAPROXY-002",
                            f"{f.message.split(':', 1)[0]}: written as {ctx.options.target}'s backend policy on the "
                            "routes of every Ingress that uses it (see the target finding)",
                            origin=f.origin, subject=f.subject, annotation=f.annotation, value=f.value))
    ctx.findings[:] = keep


def _source_of(f: Finding, settings: Settings) -> str:
    """Where the value of an annotation finding was read: the ConfigMap, a Service or an Ingress
    (features._Reader.finding writes the place into the message)."""
    if f.subject.startswith("ConfigMap ") or "(from the controller ConfigMap)" in f.message:
        return "configmap"
    if "(on Service " in f.message:
        return "service"
    return "ingress"
