"""Broken translations on purpose: mutation operators on emitted Gateway API objects, and the
check that a mutant is routing-visible.

A mutant is one small change to a correct translation, the kind a translator bug or a hand
edit makes: a rule dropped, a backend port or Service changed, PathPrefix turned into Exact, a
character appended to a path, a URLRewrite or another filter dropped, a redirect changed,
canary weights swapped, a header match changed, a route's hostname changed. `verify` must
report every mutant that changes some answer as unexplained (tests/test_mutations.py).

A mutant that changes no answer is *shown* to be invisible: the Gateway API router answers
every probe of the original and the mutant the same way, on the probe set the check itself
uses plus every request of the mutant's own probe set (a rule dropped behind an identical one,
a filter that rewrites to the same value, ...).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

from ing2gw.load import Manifest
from ing2gw.origin import GENERATED
from ing2gw.simulate import build_router
from ing2gw.simulate.compare import compare
from ing2gw.simulate.probes import generate
from ing2gw.simulate.request import ClusterContext, Request
from ing2gw.equivalence.check import GatewayPicker, _gateway_index
from ing2gw.equivalence.explain import _may_change, host_of

Objects = list[dict[str, Any]]


@dataclass(frozen=True)
class Mutant:
    """One broken translation: what was changed, and the objects."""

    operator: str
    where: str
    objects: tuple[dict[str, Any], ...]

    def describe(self) -> str:
        return f"{self.operator} at {self.where}"


def _routes(objs: Objects) -> Iterator[tuple[int, dict[str, Any]]]:
    for i, o in enumerate(objs):
        if o.get("kind") in ("HTTPRoute", "GRPCRoute"):
            yield i, o


def _rules(objs: Objects) -> Iterator[tuple[int, int, dict[str, Any], dict[str, Any]]]:
    for i, route in _routes(objs):
        for j, rule in enumerate((route.get("spec") or {}).get("rules") or []):
            yield i, j, route, rule


def _name(route: dict[str, Any], j: int) -> str:
    md = route.get("metadata") or {}
    return f"{route.get('kind')} {md.get('namespace')}/{md.get('name')} rule {j}"


def _edit(objs: Objects, i: int, j: int, fn: Callable[[dict[str, Any]], bool]) -> Objects | None:
    """A copy of the objects with rule j of object i changed by `fn` (None when fn declines)."""
    out = copy.deepcopy(objs)
    rules = out[i]["spec"]["rules"]
    if not fn(rules[j]):
        return None
    return out


def _drop_rule(objs: Objects, i: int, j: int) -> Objects | None:
    out = copy.deepcopy(objs)
    rules = out[i]["spec"]["rules"]
    del rules[j]
    if not rules:
        del out[i]
    return out


def _port(rule: dict[str, Any]) -> bool:
    refs = rule.get("backendRefs") or []
    if not refs or not isinstance(refs[0].get("port"), int):
        return False
    refs[0]["port"] += 1
    return True


def _service(rule: dict[str, Any]) -> bool:
    refs = rule.get("backendRefs") or []
    if not refs:
        return False
    refs[0]["name"] = refs[0]["name"] + "-other"
    return True


def _paths(rule: dict[str, Any]) -> list[dict[str, Any]]:
    return [m["path"] for m in rule.get("matches") or [] if isinstance(m.get("path"), dict)]


def _prefix_to_exact(rule: dict[str, Any]) -> bool:
    for p in _paths(rule):
        if p.get("type") == "PathPrefix" and p.get("value") != "/":
            p["type"] = "Exact"
            # ReplacePrefixMatch needs a PathPrefix: the API server would refuse the rule, so
            # the mutant keeps what it could carry (a full-path rewrite)
            for f in rule.get("filters") or []:
                for key in ("urlRewrite", "requestRedirect"):
                    path = (f.get(key) or {}).get("path") or {}
                    if path.get("type") == "ReplacePrefixMatch":
                        path.clear()
                        path.update({"type": "ReplaceFullPath", "replaceFullPath": "/"})
            return True
    return False


def _append_char(rule: dict[str, Any]) -> bool:
    for p in _paths(rule):
        if p.get("type") in ("Exact", "PathPrefix"):
            p["value"] = p["value"].rstrip("/") + "x" if p["value"] != "/" else "/x"
            return True
        if p.get("type") == "RegularExpression" and p.get("value", "").endswith(".*"):
            p["value"] = p["value"][:-2] + "x.*"
            return True
    return False


def _drop_filter(kind: str) -> Callable[[dict[str, Any]], bool]:
    def fn(rule: dict[str, Any]) -> bool:
        filters = rule.get("filters") or []
        kept = [f for f in filters if f.get("type") != kind]
        if len(kept) == len(filters):
            return False
        rule["filters"] = kept
        if not kept:
            del rule["filters"]
        return True
    return fn


def _change_rewrite(rule: dict[str, Any]) -> bool:
    for f in rule.get("filters") or []:
        if f.get("type") == "URLRewrite":
            rw = f["urlRewrite"]
            path = rw.get("path") or {}
            if path.get("type") == "ReplaceFullPath":
                path["replaceFullPath"] = path["replaceFullPath"].rstrip("/") + "/changed"
            elif path.get("type") == "ReplacePrefixMatch":
                path["replacePrefixMatch"] = path["replacePrefixMatch"].rstrip("/") + "/changed"
            elif rw.get("hostname"):
                rw["hostname"] = "changed." + rw["hostname"]
            else:
                return False
            return True
    return False


def _change_redirect(rule: dict[str, Any]) -> bool:
    for f in rule.get("filters") or []:
        if f.get("type") == "RequestRedirect":
            rd = f["requestRedirect"]
            rd["statusCode"] = 302 if rd.get("statusCode", 302) != 302 else 301
            return True
    return False


def _redirect_target(rule: dict[str, Any]) -> bool:
    for f in rule.get("filters") or []:
        if f.get("type") == "RequestRedirect":
            rd = f["requestRedirect"]
            if rd.get("hostname"):
                rd["hostname"] = "changed." + rd["hostname"]
            elif rd.get("scheme") == "https":
                rd["scheme"] = "http"
            else:
                rd["hostname"] = "changed.example"
            return True
    return False


def _swap_weights(rule: dict[str, Any]) -> bool:
    refs = rule.get("backendRefs") or []
    if len(refs) < 2:
        return False
    w0, w1 = refs[0].get("weight", 1), refs[1].get("weight", 1)
    if w0 == w1:
        return False
    refs[0]["weight"], refs[1]["weight"] = w1, w0
    return True


def _header_match(rule: dict[str, Any]) -> bool:
    for m in rule.get("matches") or []:
        for h in m.get("headers") or []:
            if h.get("type", "Exact") == "Exact":
                h["value"] = h["value"] + "x"
                return True
    return False


def _drop_header_match(rule: dict[str, Any]) -> bool:
    for m in rule.get("matches") or []:
        if m.get("headers"):
            m["headers"] = m["headers"][1:]
            if not m["headers"]:
                del m["headers"]
            return True
    return False


RULE_OPERATORS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "backend-port": _port,
    "backend-service": _service,
    "prefix-to-exact": _prefix_to_exact,
    "append-char": _append_char,
    "drop-urlrewrite": _drop_filter("URLRewrite"),
    "change-urlrewrite": _change_rewrite,
    "drop-request-headers": _drop_filter("RequestHeaderModifier"),
    "drop-response-headers": _drop_filter("ResponseHeaderModifier"),
    "drop-redirect": _drop_filter("RequestRedirect"),
    "drop-cors": _drop_filter("CORS"),
    "change-redirect-status": _change_redirect,
    "change-redirect-target": _redirect_target,
    "swap-weights": _swap_weights,
    "change-header-match": _header_match,
    "drop-header-match": _drop_header_match,
}


def _route_hostname(objs: Objects, i: int) -> Objects | None:
    out = copy.deepcopy(objs)
    spec = out[i]["spec"]
    names = spec.get("hostnames") or []
    if not names:
        return None
    names[0] = "x" + names[0] if not names[0].startswith("*.") else "*.x" + names[0][2:]
    return out


def mutants(objs: Objects) -> list[Mutant]:
    """Every mutant of a translation, in a fixed order."""
    out: list[Mutant] = []
    for i, j, route, _ in _rules(objs):
        where = _name(route, j)
        dropped = _drop_rule(objs, i, j)
        if dropped is not None:
            out.append(Mutant("drop-rule", where, tuple(dropped)))
        for op, fn in RULE_OPERATORS.items():
            changed = _edit(objs, i, j, fn)
            if changed is not None:
                out.append(Mutant(op, where, tuple(changed)))
    for i, route in _routes(objs):
        changed = _route_hostname(objs, i)
        if changed is not None:
            md = route.get("metadata") or {}
            out.append(Mutant("change-hostname", f"{route.get('kind')} {md.get('namespace')}/{md.get('name')}",
                              tuple(changed)))
    return out


def sample(ms: Sequence[Mutant], per_operator: int = 1) -> list[Mutant]:
    """A deterministic subset: the first `per_operator` mutants of each operator."""
    seen: dict[str, int] = {}
    out = []
    for m in ms:
        if seen.get(m.operator, 0) < per_operator:
            out.append(m)
            seen[m.operator] = seen.get(m.operator, 0) + 1
    return out


def visible(old: Sequence[Manifest], original: Objects, mutant: Sequence[dict[str, Any]],
            context: ClusterContext | None = None, class_name: str = "nginx") -> list[str]:
    """The requests (described) that the Gateway API router answers differently for the mutant
    than for the original translation; [] shows the mutant changes no answer of the probe sets
    of both (those the check uses, and the mutant's own)."""
    return list(visible_fields(old, original, mutant, context, class_name))


def visible_fields(old: Sequence[Manifest], original: Objects, mutant: Sequence[dict[str, Any]],
                   context: ClusterContext | None = None, class_name: str = "nginx") -> dict[str, list[str]]:
    """`visible`, with the fields each request's answers differ in."""
    ctx = context or ClusterContext()
    a = [Manifest(o, GENERATED) for o in original]
    b = [Manifest(o, GENERATED) for o in mutant]
    services = [m for m in old if m.kind == "Service"]  # the cluster's, as the check sees them
    try:
        ra = build_router("gateway", None, [*a, *services], ctx)
        rb = build_router("gateway", None, [*b, *services], ctx)
    except Exception:  # noqa: BLE001 - an object the router refuses: the mutant is visible
        return {"(the mutant's objects are refused by the Gateway API model)": ["status"]}
    ingresses = [m for m in old if m.kind == "Ingress"]
    probes: dict[str, Request] = {}
    for r in generate(ingresses, a) + generate(ingresses, b):
        probes.setdefault(r.describe(), r)
    pick_a, pick_b = GatewayPicker(_gateway_index(a), class_name), GatewayPicker(_gateway_index(b), class_name)
    out: dict[str, list[str]] = {}
    for key, req in probes.items():
        host = host_of(req)
        ga, gb = pick_a(host), pick_b(host)
        x = ra.route(req, gateway=ga) if ga else ra.route(req)  # type: ignore[call-arg]
        y = rb.route(req, gateway=gb) if gb else rb.route(req)  # type: ignore[call-arg]
        diffs = compare(x, y, req)
        if diffs:
            out[key] = [d.field for d in diffs]
    return out


def fingerprint(objs: Sequence[dict[str, Any]]) -> str:
    return json.dumps(list(objs), sort_keys=True)


@dataclass
class Outcome:
    """What the check made of one mutant."""

    mutant: Mutant
    visible: list[str]
    unexplained: int
    #: the visible probes whose ingress-nginx answer the simulator does not know (a snippet, a
    #: configuration nginx rejects, custom headers): there is nothing to compare the mutant with
    incomparable: bool

    @property
    def caught(self) -> bool:
        return self.unexplained > 0


def check_mutant(result: Any, manifests: Sequence[Manifest], options: Any, mutant: Mutant,
                 context: ClusterContext | None = None) -> Outcome:
    """Run `verify` on a mutant of a translation and say whether it is visible and caught."""
    from ing2gw.equivalence.verification import verify_translation

    vis = visible_fields(manifests, result.objects(), mutant.objects, context)
    seen: dict[str, Any] = {}
    v = verify_translation(result, manifests, options, new_objects=list(mutant.objects), context=context,
                           observe=lambda req, o, n: seen.setdefault(req.describe(), (req, o, n)))
    incomparable = False
    if vis and v.unexplained == 0:
        # on every probe the check sent where the mutant changes an answer, the ingress-nginx
        # answer is unknown for the fields it changes: its not-modelled behaviour can change them
        # (a snippet, a configuration nginx rejects, custom headers the model does not add)
        def unknown(key: str, fields: list[str]) -> bool:
            if key not in seen:
                return False
            req, old, _ = seen[key]
            return all(any(_may_change(n, f, req) for n in old.unmodelled) for f in fields)
        incomparable = all(unknown(key, fields) for key, fields in vis.items())
    return Outcome(mutant, list(vis), v.unexplained, incomparable)


