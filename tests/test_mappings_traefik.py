"""mappings/traefik.yaml: a row for every documented Traefik annotation, Middleware type and field,
and CRD field, checked against the annotation catalogue and Traefik's own CRDs; consistent columns;
security rows flagged; the README's generated tables in step."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any, Iterator

import pytest
from ruamel.yaml import YAML

from datapaths import CATALOGUE, IMPLEMENTATIONS
from ing2gw import mappings, support_table

REPO = Path(__file__).resolve().parents[1]
PREFIX = "traefik.ingress.kubernetes.io"
CRDS = IMPLEMENTATIONS / "traefik" / "crds" / "kubernetes-crd-definition-v1.yml"

#: The HTTP Middleware types Traefik v3.7 documents, as (name in the docs, spec field). Reviewed
#: data. Source: traefik/traefik tag v3.7.9, docs/content/reference/routing-configuration/http/
#: middlewares/overview.md ("Available HTTP Middlewares", 24 types), plus what the v3.7.9 Middleware
#: CRD still accepts beyond that table: ipWhiteList (deprecated name of ipAllowList) and plugin
#: (the overview's "Community Middlewares"). The Traefik Hub pages in the same folder (apikey, jwt,
#: oidc, waf, ...) are not Traefik Proxy middlewares and are not CRD fields.
DOCUMENTED_MIDDLEWARES = [
    ("AddPrefix", "addPrefix"), ("BasicAuth", "basicAuth"), ("Buffering", "buffering"), ("Chain", "chain"),
    ("CircuitBreaker", "circuitBreaker"), ("Compress", "compress"), ("ContentType", "contentType"),
    ("DigestAuth", "digestAuth"), ("EncodedCharacters", "encodedCharacters"), ("Errors", "errors"),
    ("ForwardAuth", "forwardAuth"), ("GrpcWeb", "grpcWeb"), ("Headers", "headers"), ("IPAllowList", "ipAllowList"),
    ("InFlightReq", "inFlightReq"), ("PassTLSClientCert", "passTLSClientCert"), ("RateLimit", "rateLimit"),
    ("RedirectScheme", "redirectScheme"), ("RedirectRegex", "redirectRegex"), ("ReplacePath", "replacePath"),
    ("ReplacePathRegex", "replacePathRegex"), ("Retry", "retry"), ("StripPrefix", "stripPrefix"),
    ("StripPrefixRegex", "stripPrefixRegex"),
    ("IPWhiteList", "ipWhiteList"), ("Plugin", "plugin"),
]

#: Rows that are security-relevant by nature: never ignored, and flagged whenever not converted.
SECURITY_PATTERNS = {
    "middlewares": [r"basicAuth.*", r"digestAuth.*", r"forwardAuth.*", r"ipAllowList.*", r"ipWhiteList.*",
                    r"rateLimit.*", r"inFlightReq.*", r"passTLSClientCert.*", r"encodedCharacters.*", r"plugin",
                    r"headers\.(sts.*|forceSTSHeader|frameDeny|contentSecurityPolicy.*|allowedHosts)"],
    "crd_fields": [r"TLSOption(\.(?!preferServerCipherSuites).*)?", r"MiddlewareTCP.*",
                   r"ServersTransport(\.(certificatesSecrets|cipherSuites|insecureSkipVerify|maxVersion|minVersion"
                   r"|peerCertURI|rootCAs\[\]|rootCAsSecrets|serverName|spiffe))?", r"ServersTransportTCP(\.tls)?",
                   r".*\.middlewares\[\]",
                   r".*serversTransport", r"LoadBalancerSpec\.scheme"],
    "annotations": [r"router\.middlewares", r"router\.tls\.options", r"service\.middlewares",
                    r"service\.servers(scheme|transport)"],
    "static": [r".*forwardedHeaders.*", r".*proxyProtocol.*", r".*\.http\.tls\.options", r".*encodedCharacters",
               r"serversTransport\.(insecureSkipVerify|rootCAs)", r"providers\.kubernetesCRD\.allowCrossNamespace"],
}

#: The intent each of these rows must carry (reviewed): the same intent names as the HAProxy and
#: ingress-nginx rows for the same purpose, so target tables find them all.
EXPECTED_INTENTS = {
    ("middlewares", "ipAllowList"): "client-allow-list", ("middlewares", "ipWhiteList"): "client-allow-list",
    ("middlewares", "ipAllowList.ipStrategy"): "client-ip", ("middlewares", "basicAuth"): "basic-auth",
    ("middlewares", "digestAuth"): "digest-auth", ("middlewares", "forwardAuth"): "external-auth",
    ("middlewares", "rateLimit"): "rate-limit", ("middlewares", "inFlightReq"): "concurrency-limit",
    ("middlewares", "buffering.maxRequestBodyBytes"): "body-size-limit", ("middlewares", "retry"): "retry",
    ("middlewares", "circuitBreaker"): "circuit-breaker", ("middlewares", "compress"): "compression",
    ("middlewares", "errors"): "custom-errors", ("middlewares", "passTLSClientCert"): "client-certificate-forwarding",
    ("middlewares", "headers.stsSeconds"): "hsts", ("middlewares", "headers.frameDeny"): "security-headers",
    ("middlewares", "replacePathRegex"): "regex-rewrite", ("middlewares", "redirectRegex"): "regex-redirect",
    ("middlewares", "grpcWeb"): "grpc-web", ("middlewares", "plugin"): "snippet",
    ("middlewares", "encodedCharacters"): "path-normalization",
    ("annotations", "service.sticky.cookie"): "session-affinity", ("annotations", "router.tls.options"): "listener-tls",
    ("crd_fields", "LoadBalancerSpec.strategy"): "load-balancing", ("crd_fields", "TLSOption.clientAuth"):
        "client-certificate", ("crd_fields", "LoadBalancerSpec.healthCheck"): "health-check",
    ("crd_fields", "TraefikService.failover"): "failover", ("crd_fields", "ServersTransport.insecureSkipVerify"):
        "backend-tls", ("static", "entryPoints.{name}.forwardedHeaders.trustedIPs"): "client-ip",
}


def table() -> dict[str, Any]:
    data: dict[str, Any] = mappings.table("traefik")
    assert data["prefix"] == PREFIX
    return data


def rows(section: str) -> dict[str, dict[str, Any]]:
    return {str(r["key"]): r for r in table()[section]}


def catalogue() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    return [e for e in entries if e.get("controller") == "traefik"]


@cache
def crd_specs() -> dict[str, dict[str, Any]]:
    """The openAPIV3 schema of `spec` of every Traefik CRD, by kind."""
    out: dict[str, dict[str, Any]] = {}
    for doc in YAML(typ="safe").load_all(CRDS.read_text(encoding="utf-8")):
        if doc:
            kind = doc["spec"]["names"]["kind"]
            out[kind] = doc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    return out


def children(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The properties of an object, or of the items of an array of objects."""
    if schema.get("type") == "array":
        schema = schema.get("items") or {}
    return dict(schema.get("properties") or {})


def is_object_array(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "array" and bool((schema.get("items") or {}).get("properties"))


def walk(schema: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, schema) of every field below `schema`, arrays of objects marked `[]` (the tables' syntax)."""
    for name, sub in children(schema).items():
        path = f"{prefix}.{name}" if prefix else name
        path += "[]" if is_object_array(sub) else ""
        yield path, sub
        yield from walk(sub, path)


def resolve(schema: dict[str, Any], path: str) -> dict[str, Any] | None:
    node: dict[str, Any] | None = schema
    for part in path.split("."):
        name = part.removesuffix("[]")
        node = children(node or {}).get(name)
        if node is None or (part.endswith("[]") != is_object_array(node)):
            return None
    return node


# --- annotations -------------------------------------------------------------------------------


def test_every_catalogue_annotation_has_a_row_and_no_row_is_invented() -> None:
    expected = {e["annotation"].removeprefix(PREFIX + "/") for e in catalogue()
                if e["annotation"].startswith(PREFIX + "/") and e.get("status") in ("active", "deprecated")}
    assert len(expected) == 28, "the catalogue's Traefik annotations changed: review the table"
    assert set(rows("annotations")) == expected


def test_annotation_scopes_follow_their_object() -> None:
    for key, row in rows("annotations").items():
        assert row["scope"] == ("ingress" if key.startswith("router.") else "service"), key


# --- middlewares ---------------------------------------------------------------------------------


def test_every_documented_middleware_type_has_a_row() -> None:
    have = rows("middlewares")
    missing = [doc for doc, field in DOCUMENTED_MIDDLEWARES if field not in have]
    assert not missing, f"mappings/traefik.yaml has no Middleware row for {missing}"


def test_every_catalogue_middleware_is_documented_here() -> None:
    names = {e["annotation"].removeprefix("Middleware:") for e in catalogue() if e["annotation"].startswith("Middleware:")}
    assert names <= {doc for doc, _ in DOCUMENTED_MIDDLEWARES}, names - {doc for doc, _ in DOCUMENTED_MIDDLEWARES}


def test_the_documented_list_matches_the_crd() -> None:
    # the reviewed list and the v3.7.9 Middleware CRD name the same types
    assert {field for _, field in DOCUMENTED_MIDDLEWARES} == set(children(crd_specs()["Middleware"]))


def test_every_field_of_a_multi_field_middleware_has_a_row() -> None:
    have = rows("middlewares")
    missing = [f"{mw}.{f}" for mw, schema in children(crd_specs()["Middleware"]).items()
               if len(children(schema)) > 1 for f in children(schema) if f"{mw}.{f}" not in have]
    assert not missing, f"Middleware fields without a row: {missing}"


def test_every_middleware_row_names_a_crd_field() -> None:
    spec = crd_specs()["Middleware"]
    bad = [key for key in rows("middlewares") if resolve(spec, key) is None]
    assert not bad, f"rows that are not fields of the Middleware CRD: {bad}"


def test_every_middleware_field_resolves_to_a_row() -> None:
    unresolved = [p for p, _ in walk(crd_specs()["Middleware"]) if mappings.lookup_row("traefik", "middlewares", p) is None]
    assert not unresolved


def test_middleware_rows_are_scoped_middleware() -> None:
    assert {r["scope"] for r in rows("middlewares").values()} == {"middleware"}


# --- CRD fields --------------------------------------------------------------------------------


def shared_anchors() -> dict[str, str]:
    """anchor path -> shared spec name."""
    return {anchor: spec for spec, anchors in table()["shared"].items() for anchor in anchors}


def lb_spec_fields() -> dict[str, Any]:
    return children(resolve(crd_specs()["IngressRoute"], "routes[].services[]") or {})


def test_every_crd_kind_has_a_row() -> None:
    kinds = set(crd_specs()) - {"Middleware"}
    assert kinds <= set(rows("crd_fields")), sorted(kinds - set(rows("crd_fields")))


def test_every_direct_spec_field_of_every_kind_has_a_row() -> None:
    have = rows("crd_fields")
    missing = []
    for kind, spec in crd_specs().items():
        if kind == "Middleware":
            continue
        for name, sub in children(spec).items():
            key = f"{kind}.{name}" + ("[]" if is_object_array(sub) else "")
            if key not in have:
                missing.append(key)
    missing += [f"LoadBalancerSpec.{f}" + ("[]" if is_object_array(s) else "")
                for f, s in lb_spec_fields().items()
                if f"LoadBalancerSpec.{f}" + ("[]" if is_object_array(s) else "") not in have]
    assert not missing, f"CRD fields without a row: {missing}"


def test_shared_anchors_embed_the_load_balancer_spec() -> None:
    lb = set(lb_spec_fields())
    assert set(table()["shared"]) == {"LoadBalancerSpec"}
    for anchor in shared_anchors():
        kind, _, path = anchor.partition(".")
        node = resolve(crd_specs()[kind], path)
        assert node is not None, anchor
        fields = set(children(node))
        # mirroring and mirrors[] add their own fields beside the service reference's
        assert lb - {"weight"} <= fields, (anchor, sorted(lb - fields))


def test_every_crd_row_names_a_crd_field() -> None:
    bad = []
    lb_root = resolve(crd_specs()["IngressRoute"], "routes[].services[]") or {}
    for key in rows("crd_fields"):
        kind, _, path = key.partition(".")
        if not path:
            ok = kind in crd_specs() or kind in table()["shared"]
        elif kind == "LoadBalancerSpec":
            ok = resolve(lb_root, path) is not None
        else:
            ok = kind in crd_specs() and resolve(crd_specs()[kind], path) is not None
        if not ok:
            bad.append(key)
    assert not bad, f"rows that are not CRD fields: {bad}"


def test_every_crd_field_resolves_below_its_kind() -> None:
    unresolved = []
    for kind, spec in crd_specs().items():
        if kind == "Middleware":
            continue
        for path, _ in walk(spec):
            row = mappings.lookup_row("traefik", "crd_fields", f"{kind}.{path}")
            if row is None or "." not in str(row["key"]):
                unresolved.append(f"{kind}.{path}")
    assert not unresolved, unresolved[:20]


# --- all sections --------------------------------------------------------------------------------


def all_rows() -> Iterator[tuple[str, dict[str, Any]]]:
    for section in ("annotations", "middlewares", "crd_fields", "static"):
        for row in table()[section]:
            yield section, row


def test_security_relevant_rows_are_flagged_and_never_ignored() -> None:
    flagged = 0
    for section, row in all_rows():
        if any(re.fullmatch(p, str(row["key"])) for p in SECURITY_PATTERNS[section]):
            flagged += 1
            assert row["status"] != "ignored", (section, row["key"])
            if row["status"] != "converted":
                assert row["security"] is True, (section, row["key"])
    assert flagged > 60


def test_the_same_purpose_carries_the_same_intent() -> None:
    for (section, key), intent in EXPECTED_INTENTS.items():
        assert rows(section)[key].get("intent") == intent, (section, key)


def test_policy_rows_name_their_intent_and_targets() -> None:
    policy = [(s, r) for s, r in all_rows() if r["status"] == "policy"]
    assert len(policy) > 60
    assert all(r.get("intent") in mappings.intents() and r.get("targets") for _, r in policy)


def test_docs_point_at_the_v37_documentation_or_the_source() -> None:
    for section, row in all_rows():
        assert re.match(r"https://doc\.traefik\.io/traefik/v3\.7/", row["docs"]), (section, row["key"], row["docs"])


def test_no_translator_handler_exists_yet() -> None:
    # the Traefik translator names its handlers when it is written; until then a handler is a typo
    assert not [r["key"] for _, r in all_rows() if r.get("handler")]


# --- README --------------------------------------------------------------------------------------


def test_rendered_tables_list_every_row_of_every_section() -> None:
    text = support_table.render_markdown("traefik")
    lines = [ln for ln in text.splitlines() if ln.startswith("| `")]
    assert len(lines) == sum(len(table()[s]) for s in ("annotations", "middlewares", "crd_fields", "static"))
    for section in ("annotations", "middlewares", "crd_fields", "static"):
        counts = {s: sum(1 for r in table()[section] if r["status"] == s) for s in support_table.STATUSES}
        assert f"{len(table()[section])} rows: " + ", ".join(f"{counts[s]} {s}" for s in support_table.STATUSES) in text


def test_readme_support_table_is_up_to_date() -> None:
    block = support_table.readme_block((REPO / "README.md").read_text(encoding="utf-8"), "traefik")
    assert block is not None, "README.md has no support-table:traefik block: run `python -m ing2gw.support_table`"
    assert block == support_table.render_markdown("traefik"), (
        "README.md's Traefik tables differ from mappings/traefik.yaml: run `python -m ing2gw.support_table`")


@pytest.mark.parametrize("section", ["annotations", "middlewares", "crd_fields", "static"])
def test_sections_are_not_empty(section: str) -> None:
    assert len(table()[section]) >= 20


def test_support_table_main_rewrites_every_block_the_file_has(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# t\n\n{support_table.start_marker('traefik')}\nold\n{support_table.end_marker('traefik')}\n"
                      f"\nmiddle\n\n{support_table.start_marker('haproxy')}\nold\n{support_table.end_marker('haproxy')}\n",
                      encoding="utf-8")
    assert support_table.main([str(readme)]) is True
    text = readme.read_text(encoding="utf-8")
    assert support_table.readme_block(text, "traefik") == support_table.render_markdown("traefik")
    assert support_table.readme_block(text, "haproxy") == support_table.render_markdown("haproxy")
    assert "\nmiddle\n" in text and support_table.start_marker("ingress-nginx") not in text
    assert support_table.main([str(readme)]) is False
