"""Standard Gateway API fields the chosen target does not implement (issue 22).

Each target table states, under `gatewayAPI.features`, which standard features the
implementation supports (`mapping_schema.GATEWAY_API_FEATURES`). After emission every use of a
feature the target marks `unsupported` becomes a finding on the object that carries it, so a
user moving to that target learns before applying that the field will be refused or ignored
(Traefik v3.7, for one, answers 500 on a rule with a CORS filter). A finding of a route rule
names the rule's paths, so the equivalence check blames it for that rule's requests only.
"""

from __future__ import annotations

from typing import Any, Iterator

from ing2gw.emit.objects import SOURCE_ANNOTATION
from ing2gw.findings import Finding, Severity

#: features whose loss weakens a security check (error rather than warning)
SECURITY_FEATURES = frozenset({"frontend-client-certificate-validation"})

#: feature -> (field as the message names it, what to do instead)
FIELDS: dict[str, tuple[str, str]] = {
    "cors-filter": ("filters[type=CORS]", "write the target's own CORS resource by hand, or remove the filter"),
    "regex-path-match": ("matches[].path type RegularExpression",
                         "rewrite the match as Exact/PathPrefix matches, or use the target's own route type"),
    "session-persistence": ("sessionPersistence", "configure affinity with the target's own resource"),
    "route-retry": ("retry", "configure retries with the target's own resource"),
    "route-timeouts": ("timeouts", "configure the timeouts with the target's own resource"),
    "backend-tls-policy": ("BackendTLSPolicy", "configure backend TLS with the target's own resource"),
    "listener-set": ("ListenerSet", "rerun without --listeners listenerset so the listeners stay on the Gateway"),
    "frontend-client-certificate-validation": ("spec.tls.frontend", "configure client certificate validation "
                                                "with the target's own resource"),
}


def unsupported(target: str) -> dict[str, str]:
    """The features `target`'s table marks unsupported, with the table's note."""
    from ing2gw.mappings import table

    feats = table(f"targets/{target}").get("gatewayAPI", {}).get("features", {})
    return {k: str(v.get("note") or "") for k, v in sorted(feats.items()) if v.get("support") == "unsupported"}


def _paths(rule: dict[str, Any]) -> list[str]:
    """The `paths` detail (explain.paths_match) of the requests a rule's matches take."""
    out = []
    for m in rule.get("matches") or [{}]:
        p = m.get("path") or {"type": "PathPrefix", "value": "/"}
        kind = {"Exact": "exact", "PathPrefix": "segment", "RegularExpression": "regex"}[p.get("type", "PathPrefix")]
        out.append(f"{kind}:{p.get('value', '/')}")
    return sorted(set(out))


def _uses(obj: dict[str, Any]) -> Iterator[tuple[str, str, list[str] | None]]:
    """(feature, where in the object, paths of the rule or None) for each feature use."""
    kind = obj.get("kind")
    if kind == "BackendTLSPolicy":
        yield "backend-tls-policy", "", None
    elif kind == "ListenerSet":
        yield "listener-set", "", None
    elif kind == "Gateway" and (obj.get("spec", {}).get("tls") or {}).get("frontend"):
        yield "frontend-client-certificate-validation", "spec.tls.frontend", None
    elif kind == "HTTPRoute":
        for n, rule in enumerate(obj.get("spec", {}).get("rules", [])):
            at = f"spec.rules[{n}]"
            paths = _paths(rule)
            if any(f.get("type") == "CORS" for f in rule.get("filters", [])):
                yield "cors-filter", f"{at}.filters[type=CORS]", paths
            if any((m.get("path") or {}).get("type") == "RegularExpression" for m in rule.get("matches", [])):
                yield "regex-path-match", f"{at}.matches[].path", paths
            for key, feature in (("sessionPersistence", "session-persistence"), ("retry", "route-retry"),
                                 ("timeouts", "route-timeouts")):
                if key in rule:
                    yield feature, f"{at}.{key}", paths


def _services(obj: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The `services` detail of a policy object that targets Services (a BackendTLSPolicy)."""
    ns = (obj.get("metadata") or {}).get("namespace") or ""
    names = sorted({f"{ns}/{r.get('name')}" for r in (obj.get("spec") or {}).get("targetRefs") or []
                    if r.get("kind") == "Service" and r.get("name")})
    return (("services", ",".join(names)),) if names else ()


def findings(target: str, objects: list[dict[str, Any]]) -> list[Finding]:
    """ING2GW-TARGET-040 (warning) / -041 (error, a security feature) for every use of a feature
    `target` marks unsupported in `objects`."""
    lost = unsupported(target)
    out: list[Finding] = []
    for obj in objects:
        md = obj.get("metadata", {})
        label = f"{obj.get('kind')} {md.get('namespace') + '/' if md.get('namespace') else ''}{md.get('name')}"
        source = (md.get("annotations") or {}).get(SOURCE_ANNOTATION)
        for feature, where, paths in _uses(obj):
            if feature not in lost:
                continue
            security = feature in SECURITY_FEATURES
            field_name, todo = FIELDS[feature]
            note = f" ({lost[feature]})" if lost[feature] else ""
            out.append(Finding(
                Severity.ERROR if security else Severity.WARNING,
                "ING2GW-TARGET-041" if security else "ING2GW-TARGET-040",
                f"{target} does not support {field_name}{note}: {label}"
                + (f" {where}" if where else "") + " is refused or ignored there",
                subject=f"Ingress {source}" if source and paths is not None else label,
                suggestion=todo, security=security,
                details=(("paths", "\n".join(paths)),) if paths is not None else _services(obj)))
    return out
