"""The tools around an Ingress: cert-manager, external-dns, and other tools' annotations.

Controller-independent: every provider calls these with the Ingress that owns a certificate or
a route. The tables are data (`mappings/cert-manager.yaml`, `external-dns.yaml`,
`common-annotations.yaml`); this module applies them and reports every key it moves, copies or
drops.

cert-manager: its Gateway support issues one Certificate per HTTPS listener whose
certificateRefs Secret lives in the Gateway's namespace (cross-namespace references are not
supported, cert-manager#5610). A listener of a cert-manager-managed host therefore refers to a
Secret `<app namespace>-<secretName>` in the Gateway's namespace, and the issuer annotations
move to the Gateway. `emit` picks the Gateway's annotations and writes explicit Certificates for
listeners whose issuer or settings differ (skipped by the shim through
`cert-manager.io/ignore-tls-listeners`), so every certificate keeps its own issuer. With
`--listeners listenerset` a host's listener lives in its namespace's ListenerSet, and
cert-manager (1.20+) issues it there: the Secret keeps its name and namespace, and the issuer
annotations go on the ListenerSet (`managed_certificate`'s `listener_ns`).
"""

from __future__ import annotations

import fnmatch
import functools
from typing import Any

from ing2gw import ir, mappings
from ing2gw.findings import Finding, Severity
from ing2gw.model.ingress import Ingress
from ing2gw.providers.base import BuildContext

ISSUER_KEYS = ("cert-manager.io/cluster-issuer", "cert-manager.io/issuer")


@functools.cache
def _cert_rows() -> dict[str, dict[str, Any]]:
    return {r["key"]: r for r in mappings.table("cert-manager")["annotations"]}


@functools.cache
def _dns_table() -> dict[str, Any]:
    t: dict[str, Any] = mappings.table("external-dns")
    return t


@functools.cache
def _common_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = mappings.table("common-annotations")["annotations"]
    return rows


def cert_profile(ing: Ingress) -> tuple[tuple[str, str], ...]:
    """The cert-manager annotations that decide how the Ingress's certificates are issued."""
    rows = _cert_rows()
    return tuple(sorted((k, v) for k, v in ing.annotations.items()
                        if k in rows and k.startswith("cert-manager.io/")))


def managed_secret(gateway_namespace: str, ref: ir.SecretRef) -> ir.SecretRef:
    """The Secret cert-manager writes for a listener: in the Gateway's namespace, named after the
    app namespace and the Ingress's Secret (unique across namespaces)."""
    name = f"{ref.namespace}-{ref.name}"
    if len(name) > 253:
        import hashlib  # only for an over-long name: a small run does not pay for it

        name = name[:246].rstrip("-.") + "-" + hashlib.sha256(name.encode()).hexdigest()[:6]
    return ir.SecretRef(gateway_namespace, name)


def managed_certificate(ctx: BuildContext, gw: ir.Gateway, owner: Ingress, ref: ir.SecretRef,
                        host: str, listener_ns: str | None = None
                        ) -> tuple[ir.SecretRef, tuple[tuple[str, str], ...]] | None:
    """When `owner` has its certificate issued by cert-manager: the listener's Secret and the
    cert-manager profile; else None (the Secret stays where it is, behind a ReferenceGrant).

    `listener_ns`: the namespace whose ListenerSet holds the listener (`--listeners
    listenerset`), None for a listener on the Gateway. cert-manager (1.20+, ListenerSets feature
    gate) issues a ListenerSet listener's certificate into the ListenerSet's namespace, so the
    Secret keeps its name and namespace, and a namespaced Issuer is looked up there too
    (`certificate-shim/listenerset`). A certificate borrowed from another namespace (a `*.parent`
    host's, G1) is not issued again: that host's own listener issues it.
    """
    profile = cert_profile(owner)
    if not any(k in dict(profile) for k in ISSUER_KEYS):
        return None
    if listener_ns is not None:
        if ref.namespace != listener_ns:
            return None
        return _managed_in_listener_set(ctx, owner, ref, host, profile)
    secret = managed_secret(gw.namespace, ref)
    key = (owner.key, "cert-manager", host)
    if key not in ctx.reported_ecosystem:
        ctx.reported_ecosystem.add(key)
        issuer = dict(profile)
        kind, name = ("ClusterIssuer", issuer["cert-manager.io/cluster-issuer"]) \
            if "cert-manager.io/cluster-issuer" in issuer else ("Issuer", issuer["cert-manager.io/issuer"])
        ctx.finding(Severity.INFO, "ING2GW-CERT-001",
                    f"{host}: cert-manager now issues the certificate for the Gateway's listener ({kind} {name}) into "
                    f"Secret {secret.namespace}/{secret.name}, next to the Gateway; {ref.namespace}/{ref.name} is no "
                    "longer used", ing=owner, annotation=ISSUER_KEYS[0] if kind == "ClusterIssuer" else ISSUER_KEYS[1],
                    value=name, status="converted",
                    suggestion="run cert-manager with Gateway API support (Helm config.enableGatewayAPI=true); the new "
                               "certificate is issued before traffic moves only if its challenge can reach the Gateway")
        if kind == "Issuer" and owner.namespace != gw.namespace:
            ctx.finding(Severity.WARNING, "ING2GW-CERT-003",
                        f"Issuer {name} is namespaced: cert-manager looks for it in the Gateway's namespace "
                        f"{gw.namespace}, not in {owner.namespace}", ing=owner, annotation=ISSUER_KEYS[1], value=name,
                        status="partial",
                        suggestion=f"create the Issuer in {gw.namespace}, or use a ClusterIssuer")
    return secret, profile


def _managed_in_listener_set(ctx: BuildContext, owner: Ingress, ref: ir.SecretRef, host: str,
                             profile: tuple[tuple[str, str], ...]) -> tuple[ir.SecretRef, tuple[tuple[str, str], ...]]:
    key = (owner.key, "cert-manager", host)
    if key not in ctx.reported_ecosystem:
        ctx.reported_ecosystem.add(key)
        issuer = dict(profile)
        kind, name = ("ClusterIssuer", issuer["cert-manager.io/cluster-issuer"]) \
            if "cert-manager.io/cluster-issuer" in issuer else ("Issuer", issuer["cert-manager.io/issuer"])
        ctx.finding(Severity.INFO, "ING2GW-CERT-001",
                    f"{host}: cert-manager now issues the certificate for the listener in the ListenerSet of "
                    f"{ref.namespace} ({kind} {name}) into the same Secret {ref.namespace}/{ref.name}", ing=owner,
                    annotation=ISSUER_KEYS[0] if kind == "ClusterIssuer" else ISSUER_KEYS[1], value=name,
                    status="converted",
                    suggestion="run cert-manager 1.20 or later with ListenerSet support (Helm "
                               "config.gatewayAPI.enabled=true, config.gatewayAPI.enableListenerSet=true, "
                               "config.featureGates.ListenerSets=true: alpha); for HTTP-01 the Issuer needs an "
                               "http01.gatewayHTTPRoute solver (its route attaches to the ListenerSet)")
    return ref, profile


def report_cert_annotations(ctx: BuildContext, ing: Ingress) -> None:
    """Findings for the cert-manager keys that do not simply move to the Gateway."""
    rows = _cert_rows()
    for key, value in sorted(ing.annotations.items()):
        row = rows.get(key)
        if row is None:
            if key.startswith(("cert-manager.io/", "acme.cert-manager.io/")):
                ctx.finding(Severity.WARNING, "ING2GW-CERT-004", f"unknown cert-manager annotation {key}", ing=ing,
                            annotation=key, value=value, status="unknown")
            continue
        if row["status"] != "converted":
            ctx.finding(Severity.WARNING, "ING2GW-CERT-004", f"{row['becomes']}: {row.get('lossy', '')}".strip(": "),
                        ing=ing, annotation=key, value=value, status=row["status"])
        elif key not in ISSUER_KEYS and not any(k in ing.annotations for k in ISSUER_KEYS):
            ctx.finding(Severity.WARNING, "ING2GW-CERT-004",
                        "cert-manager setting without an issuer annotation on this Ingress: nothing to carry it", ing=ing,
                        annotation=key, value=value, status="partial")


def _dns_row(suffix: str) -> dict[str, Any] | None:
    for row in _dns_table()["annotations"]:
        if fnmatch.fnmatchcase(suffix, row["key"]):
            return row  # type: ignore[no-any-return]
    return None


def _common_row(key: str) -> dict[str, Any]:
    for row in _common_rows():
        m = row["match"]
        if key == m or (m.endswith(("/", "*")) and fnmatch.fnmatchcase(key, m if m.endswith("*") else m + "*")):
            return row
    return {"action": "copy", "why": ""}


def _is_controller_key(ctx: BuildContext, key: str) -> bool:
    prefix = ctx.options.annotations_prefix.rstrip("/") + "/"
    return key.startswith((prefix, "nginx.ingress.kubernetes.io/", "kubernetes.io/ingress.", "cert-manager.io/",
                           "acme.cert-manager.io/")) or key == "kubernetes.io/tls-acme"


def route_metadata(ctx: BuildContext, ing: Ingress, gw: ir.Gateway) -> tuple[dict[str, str], dict[str, str]]:
    """Annotations and labels the routes of `ing` carry over; external-dns `target` goes to the
    Gateway. Every key is reported: copied, moved or dropped."""
    dns = _dns_table()
    annotations: dict[str, str] = {}
    copied: list[str] = []
    dropped: list[str] = []
    for key, value in sorted(ing.annotations.items()):
        if _is_controller_key(ctx, key):
            continue
        prefix, _, suffix = key.partition("/")
        if prefix in dns["prefixes"] and suffix:
            row = _dns_row(suffix)
            if row is None:
                continue
            if row["where"] == "gateway":
                _dns_target(ctx, ing, gw, key, value)
            else:
                annotations[f"{prefix}/{row.get('rename', suffix)}"] = value
                copied.append(key)
            continue
        if _foreign_prefix_controller_key(ctx, ing, key, value):
            continue
        row = _common_row(key)
        if row["action"] == "copy":
            annotations[key] = value
            copied.append(key)
        else:
            dropped.append(f"{key} ({row['why']})")
    annotations = _within_limit(ctx, ing, annotations, copied)
    if any(k.split("/", 1)[0] in dns["prefixes"] for k in ing.annotations):
        ctx.dns_ingresses.add(ing.key)
    if copied or dropped:
        ctx.finding(Severity.INFO, "ING2GW-META-001",
                    ("copied to its routes: " + ", ".join(copied) if copied else "")
                    + ("; " if copied and dropped else "")
                    + ("dropped: " + "; ".join(dropped) if dropped else ""), ing=ing,
                    details={"copied": ",".join(copied)})
    return annotations, dict(ing.metadata.labels)


#: room left on a route's annotations for ing2gw's own (the source Ingress: a key and namespace/name)
_OWN_ANNOTATIONS_BYTES = 1024


def _within_limit(ctx: BuildContext, ing: Ingress, annotations: dict[str, str], copied: list[str]) -> dict[str, str]:
    """The copied annotations, the largest left out while they and ing2gw's own would exceed the
    API server's 256 KiB (an Ingress at the limit would otherwise give a route over it)."""
    from ing2gw.model.ingress import ANNOTATIONS_MAX_BYTES

    size = sum(len(k.encode()) + len(v.encode()) for k, v in annotations.items())
    budget = ANNOTATIONS_MAX_BYTES - _OWN_ANNOTATIONS_BYTES
    if size <= budget:
        return annotations
    out = dict(annotations)
    left_out = []
    for key in sorted(out, key=lambda k: (-len(out[k].encode()), k)):
        if size <= budget:
            break
        size -= len(key.encode()) + len(out.pop(key).encode())
        left_out.append(key)
        if key in copied:
            copied.remove(key)
    ctx.finding(Severity.WARNING, "ING2GW-CORE-031",
                f"the annotations copied to its routes would exceed the API server's 256 KiB with ing2gw's own; left "
                f"out: {', '.join(sorted(left_out))}", ing=ing,
                suggestion="move large values out of annotations, or add them to the routes by hand")
    return out


def _foreign_prefix_controller_key(ctx: BuildContext, ing: Ingress, key: str, value: str) -> bool:
    """An ingress-nginx annotation under another prefix (`custom.io/whitelist-source-range`): a
    controller started with --annotation-prefix=custom.io applies it, so it is never passed on as
    metadata. Security-relevant keys are errors (SEC-008), others warnings (NGINX-061)."""
    from ing2gw.providers.ingress_nginx.annotations import rows

    prefix, _, name = key.rpartition("/")
    row = rows().get(name) if prefix else None
    if row is None:
        return False
    option = f"--annotations-prefix {prefix}"
    if row.security:
        accepted = key in ctx.options.allow_weakened
        ctx.findings.append(Finding(
            Severity.WARNING if accepted else Severity.ERROR, "ING2GW-SEC-008",
            f"{name} is a security-relevant ingress-nginx annotation; under the prefix {prefix} ing2gw does not read it "
            f"(it reads {ctx.options.annotations_prefix}/), so it is neither translated nor copied to the routes",
            origin=ing.origin, subject=f"Ingress {ing.key}", annotation=key, value=value, security=True,
            accepted=accepted, status="unknown",
            suggestion=f"if the controller runs with --annotation-prefix={prefix}, pass {option} (config: "
                       f"annotationsPrefix: {prefix}); if another tool owns the key, accept with --allow-weakened {key}"))
    else:
        ctx.finding(Severity.WARNING, "ING2GW-NGINX-061",
                    f"{name} is an ingress-nginx annotation; under the prefix {prefix} ing2gw does not read it (it reads "
                    f"{ctx.options.annotations_prefix}/), so it is neither translated nor copied to the routes", ing=ing,
                    annotation=key, value=value, status="unknown",
                    suggestion=f"if the controller runs with --annotation-prefix={prefix}, pass {option}")
    return True


def _dns_target(ctx: BuildContext, ing: Ingress, gw: ir.Gateway, key: str, value: str) -> None:
    canonical = "external-dns.kubernetes.io/target" if key.startswith("external-dns.kubernetes.io/") else key
    existing = gw.annotations.get(canonical)
    if existing is not None and existing != value:
        ctx.finding(Severity.WARNING, "ING2GW-DNS-002",
                    f"external-dns target {value!r} cannot go on Gateway {gw.namespace}/{gw.name}, which already carries "
                    f"{existing!r} from another Ingress: external-dns reads one target per Gateway", ing=ing,
                    annotation=key, value=value, status="partial",
                    suggestion="give the hosts that need another target their own Gateway, or set the target on a "
                               "ListenerSet")
        return
    gw.annotations[canonical] = value
    ctx.finding(Severity.INFO, "ING2GW-DNS-001", f"moved to Gateway {gw.namespace}/{gw.name} (external-dns reads "
                "target only on the Gateway)", ing=ing, annotation=key, value=value, status="converted")
