"""mappings/targets/<t>.yaml: one well-formed row per intent for every implementation target, field
paths that exist in the implementations' CRDs, the GatewayClass controllerName of each target, the
controller tables' `targets:` column agreeing with the target tables, `ing2gw mappings --target`,
and the README's generated target x intent matrix in step with the tables."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from datapaths import CRDS, IMPLEMENTATIONS
from ruamel.yaml import YAML

from ing2gw import mappings, support_table
from ing2gw.cli import main
from ing2gw.mapping_schema import (
    GATEWAY_API_FEATURES,
    TableError,
    check_policy_intents,
    check_target_table,
)
from ing2gw.emit.targets.carry import carries, generated, verdict
from ing2gw.providers.ingress_nginx.annotations import rows as nginx_rows

REPO = Path(__file__).resolve().parent.parent
INTENTS = mappings.intents()
TARGETS = mappings.target_names()

#: The GatewayClass controllerName of each target, as each project's source or docs write it
#: (reviewed: envoyproxy/gateway api/v1alpha1/envoygateway_types.go GatewayControllerName;
#: kgateway internal/kgateway/wellknown/controller.go; istio pilot's gateway controller;
#: nginx-gateway-fabric charts values.yaml gatewayControllerName; traefik docs
#: kubernetes-gateway-resource.yml; GKE Gateway docs; aws-load-balancer-controller
#: pkg/gateway/constants/controller_constants.go ALBGatewayController; Cilium docs).
CONTROLLER_NAMES = {
    "envoy-gateway": "gateway.envoyproxy.io/gatewayclass-controller",
    "kgateway": "kgateway.dev/kgateway",
    "istio": "istio.io/gateway-controller",
    "nginx-gateway-fabric": "gateway.nginx.org/nginx-gateway-controller",
    "traefik": "traefik.io/gateway-controller",
    "gke": "networking.gke.io/gateway",
    "aws": "gateway.k8s.aws/alb",
    "cilium": "io.cilium/gateway-controller",
}

#: Kinds whose CRDs are not vendored in tests/data/gateway-api/implementations/, so their field
#: paths cannot be checked; adding one here is a conscious, reviewed decision.
UNVENDORED = {("cilium.io/v2", "CiliumEnvoyConfig")}

#: Where each target's rows may point for documentation (the project's own docs or source).
DOCS = {
    "envoy-gateway": ("https://gateway.envoyproxy.io/",),
    "kgateway": ("https://kgateway.dev/docs/",),
    "istio": ("https://istio.io/latest/docs/",),
    "nginx-gateway-fabric": ("https://docs.nginx.com/nginx-gateway-fabric/",),
    "traefik": ("https://doc.traefik.io/traefik/",),
    "gke": ("https://cloud.google.com/",),
    "aws": ("https://kubernetes-sigs.github.io/aws-load-balancer-controller/",),
    "cilium": ("https://docs.cilium.io/",),
}


def target_table(name: str) -> dict[str, Any]:
    return copy.deepcopy(dict(mappings.table(f"targets/{name}")))


def messages(data: Any, name: str = "envoy-gateway") -> list[str]:
    return [p.message for p in check_target_table(f"targets/{name}", data, "t.yaml", INTENTS)]


def row(data: dict[str, Any], intent: str) -> dict[str, Any]:
    return next(r for r in data["intents"] if r["intent"] == intent)


# --- the shipped tables -------------------------------------------------------------------------

def test_the_targets_the_issue_asks_for_have_tables() -> None:
    assert set(TARGETS) == set(CONTROLLER_NAMES), sorted(set(TARGETS) ^ set(CONTROLLER_NAMES))


@pytest.mark.parametrize("target", TARGETS)
def test_shipped_table_is_well_formed(target: str) -> None:
    assert check_target_table(f"targets/{target}", mappings.table(f"targets/{target}"),
                              f"mappings/targets/{target}.yaml", INTENTS) == []


@pytest.mark.parametrize("target", TARGETS)
def test_every_intent_has_exactly_one_row(target: str) -> None:
    rows = [r["intent"] for r in mappings.table(f"targets/{target}")["intents"]]
    assert sorted(rows) == sorted(INTENTS) and len(rows) == len(set(rows))
    assert set(mappings.target_rows(target)) == set(INTENTS)


@pytest.mark.parametrize("target", TARGETS)
def test_controller_name_and_class(target: str) -> None:
    data = mappings.table(f"targets/{target}")
    assert data["controllerName"] == CONTROLLER_NAMES[target]
    assert data["name"] == target and data["gatewayClassName"]
    assert set(data["gatewayAPI"]["features"]) == set(GATEWAY_API_FEATURES)


@pytest.mark.parametrize("target", TARGETS)
def test_docs_point_at_the_project(target: str) -> None:
    data = mappings.table(f"targets/{target}")
    bad = [r["intent"] for r in data["intents"] if not r["docs"].startswith(DOCS[target])]
    assert not bad, f"{target}: rows whose docs are not the project's own: {bad}"


def test_security_intents_lost_by_a_target_are_flagged() -> None:
    for target in TARGETS:
        for name, r in mappings.target_rows(target).items():
            if INTENTS[name].security and r["supported"] != "full":
                assert r["security"] is True, (target, name)


# --- field paths against the CRDs ---------------------------------------------------------------

def _crd_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml"))


@cache
def crd_schemas(channel: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> openAPIV3Schema, from the Gateway API CRDs of `channel` and every
    vendored implementation's CRDs."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    files = _crd_files(CRDS / channel) + [f for d in sorted(IMPLEMENTATIONS.iterdir()) if d.is_dir()
                                         for f in _crd_files(d / "crds")]
    for f in files:
        for doc in yaml.safe_load_all(f.read_text(encoding="utf-8")):
            if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = doc["spec"]["group"], doc["spec"]["names"]["kind"]
            for version in doc["spec"]["versions"]:
                if version.get("served", True):
                    out[(f"{group}/{version['name']}", kind)] = version["schema"]["openAPIV3Schema"]
    return out


def field_exists(schema: dict[str, Any], path: str) -> bool:
    """Whether `spec.a.b[].c` names a field of the schema (`[]`: the items of a list; a map's
    values are reached through additionalProperties)."""
    node = schema
    for segment in path.split("."):
        name, is_list = (segment[:-2], True) if segment.endswith("[]") else (segment, False)
        props = node.get("properties") or {}
        if name not in props:
            return False
        node = props[name]
        if is_list:
            if node.get("type") != "array":
                return False
            node = node["items"]
    return True


def test_the_field_checker_rejects_what_is_not_there() -> None:
    schema = crd_schemas("standard")[("gateway.networking.k8s.io/v1", "HTTPRoute")]
    assert field_exists(schema, "spec.rules[].filters[].responseHeaderModifier.set")
    assert not field_exists(schema, "spec.rules.filters")  # a list needs []
    assert not field_exists(schema, "spec.hostnames[].x")
    assert not field_exists(schema, "spec.rules[].sessionPersistence")  # Experimental only
    assert field_exists(crd_schemas("experimental")[("gateway.networking.k8s.io/v1", "HTTPRoute")],
                        "spec.rules[].sessionPersistence.sessionName")


def resources() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for target in TARGETS:
        for r in mappings.table(f"targets/{target}")["intents"]:
            for res in r.get("resources") or []:
                yield target, r["intent"], res


def test_every_field_path_exists_in_its_crd() -> None:
    standard, experimental = crd_schemas("standard"), crd_schemas("experimental")
    missing, unknown_kinds, checked = [], [], 0
    for target, intent, res in resources():
        key = (res["apiVersion"], res["kind"])
        if key in UNVENDORED:
            continue
        gateway_api = res["apiVersion"].startswith("gateway.networking.k8s.io/")
        schemas = experimental if res.get("channel") == "experimental" else standard
        if key not in schemas:
            unknown_kinds.append((target, intent, key))
            continue
        for path in res["fields"]:
            checked += 1
            if not field_exists(schemas[key], path):
                missing.append(f"{target} {intent}: {res['kind']} {path}")
            elif gateway_api and res.get("channel") == "experimental" and key in standard \
                    and field_exists(standard[key], path):
                missing.append(f"{target} {intent}: {res['kind']} {path} is Standard: drop `channel: experimental`")
    assert not unknown_kinds, f"kinds with no vendored CRD (vendor it or list it in UNVENDORED): {unknown_kinds}"
    assert not missing, "\n".join(missing)
    assert checked > 500


def test_experimental_gateway_api_fields_say_so() -> None:
    """A Gateway API field outside the Standard channel (sessionPersistence, retry) must carry
    `channel: experimental`: most clusters install the Standard CRDs."""
    standard = crd_schemas("standard")
    wrong = [f"{t} {i}: {res['kind']} {p}" for t, i, res in resources()
             if res["apiVersion"].startswith("gateway.networking.k8s.io/") and not res.get("channel")
             for p in res["fields"] if not field_exists(standard[(res["apiVersion"], res["kind"])], p)]
    assert not wrong, wrong


def test_unvendored_kinds_are_used_and_few() -> None:
    used = {(res["apiVersion"], res["kind"]) for _, _, res in resources()}
    assert UNVENDORED <= used, "drop stale UNVENDORED entries"
    assert not (UNVENDORED & set(crd_schemas("experimental"))), "vendored now: remove it from UNVENDORED"


# --- schema strictness: every rule can fail -----------------------------------------------------

def test_a_shipped_table_passes_the_schema() -> None:
    assert messages(target_table("envoy-gateway")) == []


def _mutate(change: Any) -> dict[str, Any]:
    data = target_table("envoy-gateway")
    change(data)
    return data


def _set_row(intent: str, **over: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        r = row(data, intent)
        for k, v in over.items():
            if v is None:
                r.pop(k, None)
            else:
                r[k] = v
    return change


def _res(intent: str, **over: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        res = row(data, intent)["resources"][0]
        for k, v in over.items():
            if v is None:
                res.pop(k, None)
            else:
                res[k] = v
    return change


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["intents"].append({"intent": "teleport", "supported": "none", "lost": "x", "security": False,
                                    "docs": "https://x.org"}), "intent 'teleport' is not in mappings/intents.yaml"),
    (lambda d: d["intents"].remove(row(d, "waf")), "missing row for intent 'waf'"),
    (lambda d: d["intents"].append(copy.deepcopy(row(d, "waf"))), "duplicate intent 'waf'"),
    (lambda d: d["intents"].reverse(), "keep the rows sorted by intent"),
    (_set_row("cors", colour="red"), "unknown columns ['colour']"),
    (_set_row("cors", docs=None), "missing columns ['docs']"),
    (_set_row("cors", supported="mostly"), "supported 'mostly' is not one of full, partial, none"),
    (_set_row("cors", docs="http://example.org"), "docs must be one https URL"),
    (_set_row("cors", security="no"), "security must be true or false"),
    (_set_row("oidc", security=True), "a full row loses nothing"),
    (_set_row("basic-auth", security=False), "intent 'basic-auth' is security-relevant and the row is partial"),
    (_set_row("oidc", lost="something"), "a full row is exact: drop `lost`"),
    (_set_row("compression", lost=None), "a partial row says in `lost` (one line)"),
    (_set_row("compression", lost="two\nlines"), "a partial row says in `lost` (one line)"),
    (_set_row("digest-auth", resources=[{"kind": "X"}]), "a none row has no `resources`"),
    (_set_row("digest-auth", generated=True), "a none row has no `resources` and nothing is `generated`"),
    (_set_row("compression", how=None), "a partial row says in `how`"),
    (_set_row("compression", resources=None), "`resources` lists the objects"),
    (_set_row("compression", resources=[]), "`resources` lists the objects"),
    (_set_row("cors", requires="a\nb"), "requires must be one line"),
    (_set_row("cors", generated="yes"), "generated is `true`"),
    (_res("cors", colour="red"), "unknown keys ['colour']"),
    (_res("cors", attach=None), "missing keys ['attach']"),
    (_res("cors", kind="securityPolicy"), "kind must be a Kubernetes kind"),
    (_res("cors", apiVersion="gateway.envoyproxy.io"), "apiVersion 'gateway.envoyproxy.io' must be"),
    (_res("cors", fields=[]), "fields lists the field paths"),
    (_res("cors", fields=["spec.cors.allowOrigins", "spec.cors.allowOrigins"]), "duplicate field paths"),
    (_res("cors", fields=["cors.allowOrigins"]), "bad field path 'cors.allowOrigins'"),
    (_res("cors", fields=["spec.cors..allowOrigins"]), "bad field path"),
    (_res("cors", attach=["route", "everywhere"]), "attach lists distinct values"),
    (_res("cors", attach=[]), "attach lists distinct values"),
    (_res("cors", channel="experimental"), "channel is only `experimental`, for Gateway API fields"),
    (lambda d: d.update(extra=1), "unknown top-level keys ['extra']"),
    (lambda d: d.pop("controllerName"), "missing top-level keys ['controllerName']"),
    (lambda d: d.update(name="eg"), "name 'eg' must be the file name 'envoy-gateway'"),
    (lambda d: d.update(controllerName="envoy gateway"), "controllerName must be DOMAIN/PATH"),
    (lambda d: d.update(gatewayClassName="Envoy_GW"), "gatewayClassName must be a DNS label"),
    (lambda d: d.update(docs="gateway.envoyproxy.io"), "docs must be one https URL"),
    (lambda d: d.update(title=""), "title must be one non-empty line"),
    (lambda d: d.update(notes="one note"), "notes is a non-empty list"),
    (lambda d: d["gatewayAPI"].pop("report"), "gatewayAPI holds exactly"),
    (lambda d: d["gatewayAPI"].update(version="1.6"), "gatewayAPI.version is a Gateway API release"),
    (lambda d: d["gatewayAPI"].update(channel="beta"), "gatewayAPI.channel is standard or experimental"),
    (lambda d: d["gatewayAPI"].update(report="see docs"), "gatewayAPI.report is the https URL"),
    (lambda d: d["gatewayAPI"]["features"].pop("listener-set"), "missing feature 'listener-set'"),
    (lambda d: d["gatewayAPI"]["features"].update(teleport={"support": "supported"}), "unknown feature 'teleport'"),
    (lambda d: d["gatewayAPI"]["features"].update({"cors-filter": {"support": "yes"}}), "gatewayAPI.features.cors-filter: expected"),
    (lambda d: d["gatewayAPI"]["features"].update({"cors-filter": {"support": "partial"}}), "a partial feature says what is missing"),
])
def test_each_rule_can_fail(change: Any, expected: str) -> None:
    found = messages(_mutate(change))
    assert any(expected in m for m in found), found


def test_not_a_mapping_and_not_a_list_are_reported() -> None:
    assert messages(["x"]) and "a target table is a mapping" in messages(["x"])[0]
    assert any("intents is a list" in m for m in messages(_mutate(lambda d: d.update(intents={}))))


def test_problems_carry_file_and_line() -> None:
    path = Path(str(mappings.mappings_dir())) / "targets" / "kgateway.yaml"
    text = path.read_text(encoding="utf-8")
    broken = text.replace("- intent: oidc\n  supported: full\n", "- intent: oidc\n  supported: mostly\n", 1)
    assert broken != text
    problems = check_target_table("targets/kgateway", YAML(typ="rt").load(broken), "mappings/targets/kgateway.yaml",
                                  INTENTS)
    line = next(i for i, ln in enumerate(broken.splitlines(), 1) if ln == "- intent: oidc")
    assert [str(p) for p in problems] == [
        f"mappings/targets/kgateway.yaml:{line}: intent oidc: supported 'mostly' is not one of full, partial, none"]


@pytest.fixture
def copied_mappings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of mappings/ the loader reads instead of the real one (caches cleared around it)."""
    shutil.copytree(Path(str(mappings.mappings_dir())), tmp_path / "m")
    monkeypatch.setattr(mappings, "mappings_dir", lambda: tmp_path / "m")
    mappings.table.cache_clear()
    generated.cache_clear()
    yield tmp_path / "m"
    mappings.table.cache_clear()
    generated.cache_clear()


def test_loading_a_table_with_a_missing_intent_raises_with_file_and_line(copied_mappings: Path) -> None:
    path = copied_mappings / "targets" / "istio.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("- intent: waf\n")
    path.write_text(text[:start], encoding="utf-8")  # waf is the last row
    with pytest.raises(TableError) as err:
        mappings.table("targets/istio")
    assert str(err.value).startswith("mappings/targets/istio.yaml:")
    assert "missing row for intent 'waf'" in str(err.value)


def test_loading_a_table_with_an_unknown_column_raises(copied_mappings: Path) -> None:
    path = copied_mappings / "targets" / "gke.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("- intent: cors\n", "- intent: cors\n  colour: red\n", 1), encoding="utf-8")
    with pytest.raises(TableError, match=r"mappings/targets/gke.yaml:\d+: intent cors: unknown columns \['colour'\]"):
        mappings.table("targets/gke")


def test_loading_an_nginx_policy_row_without_intent_raises(copied_mappings: Path) -> None:
    path = copied_mappings / "ingress-nginx.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  intent: rate-limit\n", "", 1), encoding="utf-8")
    with pytest.raises(TableError, match=r"mappings/ingress-nginx.yaml:\d+: annotations limit-burst-multiplier: "
                                         r"a policy row names its intent"):
        mappings.table("ingress-nginx")


def test_an_unknown_intent_on_an_nginx_row_is_reported() -> None:
    data = copy.deepcopy(dict(mappings.table("ingress-nginx")))
    data["annotations"] = [dict(data["annotations"][0], intent="teleport")]
    found = [p.message for p in check_policy_intents(data, "n.yaml", INTENTS)]
    assert found == [f"annotations {data['annotations'][0]['key']}: intent 'teleport' is not in mappings/intents.yaml"]


# --- controller tables agree with the target tables ---------------------------------------------

#: The ingress-nginx policy rows and their intents (reviewed against each row's meaning).
NGINX_POLICY_INTENTS = {
    "affinity": "session-affinity", "allowlist-source-range": "client-allow-list",
    "whitelist-source-range": "client-allow-list", "denylist-source-range": "client-deny-list",
    "auth-realm": "basic-auth", "auth-secret": "basic-auth", "auth-secret-type": "basic-auth", "auth-type": "basic-auth",
    "auth-response-headers": "external-auth", "auth-url": "external-auth", "enable-global-auth": "external-auth",
    "auth-tls-pass-certificate-to-upstream": "client-certificate-forwarding",
    "auth-tls-secret": "client-certificate", "auth-tls-verify-client": "client-certificate",
    "limit-burst-multiplier": "rate-limit", "limit-rpm": "rate-limit", "limit-rps": "rate-limit",
    "limit-connections": "concurrency-limit", "load-balance": "load-balancing", "upstream-hash-by": "load-balancing",
    "proxy-body-size": "body-size-limit", "proxy-next-upstream": "retry", "proxy-next-upstream-tries": "retry",
    "ssl-ciphers": "listener-tls", "session-cookie-domain": "session-affinity",
    "session-cookie-expires": "session-affinity", "session-cookie-max-age": "session-affinity",
    "session-cookie-name": "session-affinity", "session-cookie-path": "session-affinity",
    "session-cookie-samesite": "session-affinity",
}


def test_nginx_policy_rows_name_the_reviewed_intent() -> None:
    rows = {r["key"]: r for r in mappings.table("ingress-nginx")["annotations"]}
    policy = {k: r.get("intent") for k, r in rows.items() if r["status"] == "policy"}
    assert policy == NGINX_POLICY_INTENTS


def controller_rows() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for controller in ("ingress-nginx", "traefik", "haproxy"):
        for section, rows in mappings.table(controller).items():
            if isinstance(rows, list):
                for r in rows:
                    if isinstance(r, dict) and "key" in r:
                        yield controller, section, r


def test_targets_column_agrees_with_the_target_tables() -> None:
    """Each `targets:` entry of a controller row names a target whose table carries the row's
    intent (supported full or partial); the old column must not promise what a target lacks."""
    disagreements, checked = [], 0
    for controller, section, r in controller_rows():
        for target, what in (r.get("targets") or {}).items():
            checked += 1
            where = f"{controller} {section} {r['key']} -> {target} ({what})"
            if target not in TARGETS:
                disagreements.append(f"{where}: no target table")
            elif r.get("intent") not in INTENTS:
                disagreements.append(f"{where}: the row names no intent")
            elif mappings.target_rows(target)[r["intent"]]["supported"] == "none":
                disagreements.append(f"{where}: targets/{target}.yaml says {r['intent']} is not supported")
    assert not disagreements, "\n".join(disagreements)
    assert checked > 300


def test_generated_rows_are_what_the_emitters_consume() -> None:
    """The rows marked `generated` are the intents carry.verdict() says a target carries; the
    nginx provider asks by the intent of each annotation row, never by the annotation key."""
    found = {t: sorted(mappings.generated_intents(t)) for t in TARGETS if mappings.generated_intents(t)}
    assert found == {"envoy-gateway": ["backend-connection-limit", "basic-auth", "body-size-limit", "client-allow-list",
                                       "client-certificate", "client-certificate-forwarding", "client-deny-list",
                                       "client-ip", "direct-response", "external-auth", "external-backend",
                                       "health-check", "listener-tls", "load-balancing",
                                       "rate-limit", "regex-rewrite", "retry", "session-affinity", "timeout"],
                     "kgateway": ["backend-tls", "basic-auth", "body-size-limit", "client-allow-list", "client-deny-list",
                                  "client-ip", "direct-response", "external-auth", "external-backend", "health-check",
                                  "listener-tls",
                                  "load-balancing",
                                  "regex-rewrite", "retry", "session-affinity"],
                     "istio": ["backend-tls", "client-allow-list", "client-deny-list", "external-auth", "load-balancing",
                               "session-affinity"],
                     "nginx-gateway-fabric": ["basic-auth", "body-size-limit", "client-ip", "load-balancing",
                                              "rate-limit", "snippet"],
                     "traefik": ["basic-auth", "body-size-limit", "circuit-breaker", "client-allow-list", "external-auth", "rate-limit",
                                 "regex-rewrite", "retry"],
                     "aws": ["backend-tls", "client-allow-list", "client-deny-list", "direct-response",
                             "health-check", "session-affinity"],
                     "gke": ["health-check", "load-balancing", "session-affinity", "timeout"]}
    keys = {k for k, r in nginx_rows().items() if r.status == "policy" and carries("envoy-gateway", r.intent)}
    assert {"allowlist-source-range", "whitelist-source-range", "denylist-source-range", "limit-rps",
            "proxy-body-size", "limit-rpm"} <= keys
    # basic and external auth need parameters the emitter can express (a Secret, a Service)
    assert not carries("envoy-gateway", "basic-auth") and not carries("envoy-gateway", "external-auth")
    assert not carries("envoy-gateway", "session-affinity")
    assert not carries("cilium", "client-allow-list") and not carries("no-such-target", "client-allow-list")
    assert not carries(None, "client-allow-list") and not carries("envoy-gateway", None)
    v = verdict("envoy-gateway", "client-allow-list")
    assert v.carried and v.becomes == "SecurityPolicy" and not v.why_not
    no = verdict("cilium", "client-allow-list")
    assert not no.carried and "cilium" in no.why_not and "client-allow-list" in no.why_not
    assert verdict("istio", "client-allow-list").becomes == "AuthorizationPolicy"


def test_marking_a_row_generated_is_what_makes_it_carried(copied_mappings: Path) -> None:
    path = copied_mappings / "targets" / "istio.yaml"
    text = path.read_text(encoding="utf-8")
    assert not carries("istio", "cors")
    path.write_text(text.replace("- intent: cors\n", "- intent: cors\n  generated: true\n", 1), encoding="utf-8")
    mappings.table.cache_clear()
    generated.cache_clear()
    assert carries("istio", "cors")


# --- CLI ----------------------------------------------------------------------------------------

def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def test_mappings_target_text(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, "mappings", "--target", "envoy-gateway", "--no-color")
    lines = out.splitlines()
    assert rc == 0 and "controllerName gateway.envoyproxy.io/gatewayclass-controller" in lines[0]
    assert len(lines) == 1 + len(INTENTS) + 1
    assert any(ln.startswith("client-allow-list") and "full" in ln and "SecurityPolicy" in ln for ln in lines)
    # client-ip: partial (custom headers); health-check and backend-connection-limit: partial (what is lost)
    assert lines[-1] == "39 intents: 11 full, 25 partial, 3 none"


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_mappings_target_data(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    rc, out, _ = run(capsys, "mappings", "--target", "aws", "-o", fmt)
    data = json.loads(out) if fmt == "json" else yaml.safe_load(out)
    assert rc == 0 and data == json.loads(json.dumps(mappings.table("targets/aws")))
    assert data["controllerName"] == "gateway.k8s.aws/alb"


def test_mappings_target_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, "mappings", "--target", "traefik", "-o", "markdown")
    assert rc == 0 and out == support_table.render_target_markdown("traefik")
    assert sum(1 for ln in out.splitlines() if ln.startswith("| [`")) == len(INTENTS)
    assert "spec.ipAllowList.sourceRange" in out and "attach: extension-ref" in out


def test_explain_names_the_intent_of_a_policy_annotation(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, "explain", "limit-rps")
    assert rc == 0 and "\nintent: rate-limit (ing2gw mappings --target T" in out


def test_mappings_target_errors(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run(capsys, "mappings", "--target", "envoy-gatway")
    assert rc == 2 and "did you mean envoy-gateway?" in err and "Traceback" not in err
    rc, _, err = run(capsys, "mappings", "traefik", "--target", "istio")
    assert rc == 2 and "without a CONTROLLER" in err
    rc, _, err = run(capsys, "mappings", "kgateway")
    assert rc == 2 and "ing2gw mappings --target kgateway" in err


# --- README -------------------------------------------------------------------------------------

def test_readme_target_matrix_is_up_to_date() -> None:
    block = support_table.readme_block((REPO / "README.md").read_text(encoding="utf-8"), support_table.TARGET_MATRIX)
    assert block is not None, "README.md has no support-table:target-matrix block"
    assert block == support_table.render_target_matrix(), (
        "README.md's implementation-target matrix differs from mappings/targets/: run `python -m ing2gw.support_table`")


def test_matrix_has_a_cell_for_every_target_and_intent() -> None:
    text = support_table.render_target_matrix()
    header = next(ln for ln in text.splitlines() if ln.startswith("| intent |"))
    assert header.count("`") == 2 * len(TARGETS)
    for name in INTENTS:
        line = next(ln for ln in text.splitlines() if ln.startswith(f"| `{name}` |"))
        cells = [c.strip() for c in line.strip("|").split("|")][2:]
        assert cells == [mappings.target_rows(t)[name]["supported"] for t in support_table.target_order()]


def test_update_target_matrix_rewrites_only_its_block(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    start, end = support_table.start_marker(support_table.TARGET_MATRIX), support_table.end_marker(support_table.TARGET_MATRIX)
    readme.write_text(f"# t\n\nbefore\n\n{start}\nold\n{end}\n\nafter\n", encoding="utf-8")
    assert support_table.main([str(readme)]) is True
    text = readme.read_text(encoding="utf-8")
    assert support_table.readme_block(text, support_table.TARGET_MATRIX) == support_table.render_target_matrix()
    assert text.startswith("# t\n\nbefore\n\n") and text.endswith(f"{end}\n\nafter\n")
    assert support_table.update_target_matrix(readme) is False
    bare = tmp_path / "BARE.md"
    bare.write_text("# nothing\n", encoding="utf-8")
    assert support_table.update_target_matrix(bare) is False
