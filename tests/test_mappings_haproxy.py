"""mappings/haproxy.yaml: a row for every annotation and ConfigMap key of the HAProxy Kubernetes
Ingress Controller (haproxytech) and for every documented flag, the objects each key is read from
in precedence order, consistent columns, security rows flagged, the README's tables in step."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from datapaths import CATALOGUE
from ing2gw import mappings, support_table
from ing2gw.mapping_schema import HAPROXY_SOURCES

REPO = Path(__file__).resolve().parents[1]
CONTROLLER = "haproxy-kubernetes-ingress"
PREFIX = "haproxy.org"

#: Keys the controller reads that its annotation documentation does not list (reviewed; source:
#: haproxytech/kubernetes-ingress fc120676 — pkg/annotations/annotations.go for abortonclose and
#: cors-respond-to-options, pkg/controller/global.go and pkg/handler/frontends.go for the cr-* keys
#: of the ConfigMap (documented in documentation/custom-resources.md), pkg/controller/global.go for
#: default-backend-service, pkg/handler/prometheus.go for prometheus-endpoint-auth-secret).
SOURCE_ONLY_KEYS = {
    "abortonclose", "cors-respond-to-options", "cr-defaults", "cr-frontend-http", "cr-frontend-https",
    "cr-frontend-stats", "cr-global", "default-backend-service", "prometheus-endpoint-auth-secret",
}

#: The controller flags documented at that commit (documentation/controller.md, one heading each;
#: reviewed), and the two more the table covers: custom-validation-rules (documented in
#: annotations-custom.md) and experimental (pkg/utils/flags.go).
DOCUMENTED_FLAGS = {
    "configmap", "job-check-crd", "configmap-tcp-services", "configmap-errorfiles", "configmap-patternfiles",
    "default-backend-service", "default-backend-port", "pprof", "prometheus", "default-ssl-certificate",
    "ingress.class", "empty-ingress-class", "gateway-controller-name", "namespace-blacklist", "namespace-whitelist",
    "publish-service", "disable-ipv4", "disable-ipv6", "ipv4-bind-address", "ipv6-bind-address", "http-bind-port",
    "https-bind-port", "disable-http", "disable-https", "sync-period", "cache-resync-period", "log", "external",
    "program", "config-dir", "runtime-dir", "disable-service-external-name", "channel-size",
    "disable-config-snippets", "disable-quic", "quic-announce-port", "quic-bind-port",
    "disable-writing-only-if-reload", "input-file", "output-file", "disable-ingress-status-update",
    "enable-custom-annotations-on-ingress",
}
EXTRA_FLAGS = {"custom-validation-rules", "experimental"}

#: Where the source reads a key differs from the catalogue's (the documentation's) applies_to:
#: reviewed exceptions with the reason.
SOURCES_DIFFER = {
    # read from the Ingress and the ConfigMap only (pkg/ingress/ingress.go, pkg/controller/controller.go)
    "ssl-passthrough": {"ingress", "configmap"},
    # service.New also looks at the ConfigMap annotations (pkg/service/service.go)
    "standalone-backend": {"service", "ingress", "configmap"},
    # not in the catalogue: see SOURCE_ONLY_KEYS
}

#: Where the controller's default differs from the one the documentation (the catalogue) gives.
DEFAULTS_DIFFER = {
    # documented as 1s; without the key the controller writes an invalid rule (H-G7)
    "rate-limit-period": None,
    # documented as "null" (the word); the key has no default
    "src-ip-header": None,
    # the quic default lives in pkg/annotations/common/main.go, undocumented
    "quic-alt-svc-max-age": "60",
    # no default documented; the cookie annotations and standalone-backend are off without the key
    "standalone-backend": "false",
}

SECURITY_PATTERNS = [r"allow-list", r"deny-list", r"whitelist", r"blacklist", r"auth-.*", r"rate-limit-.*",
                     r".*-config-snippet", r"cr-.*", r"client-ca", r"client-crt-optional", r"src-ip-header",
                     r"server-ssl", r"server-ca", r"server-crt", r"proxy-protocol", r"tls-alpn", r"maxconn"]

#: The intent each of these rows must carry (reviewed): the same names as the Traefik and
#: ingress-nginx rows with the same purpose.
EXPECTED_INTENTS = {
    "allow-list": "client-allow-list", "whitelist": "client-allow-list", "deny-list": "client-deny-list",
    "blacklist": "client-deny-list", "auth-type": "basic-auth", "auth-secret": "basic-auth",
    "rate-limit-requests": "rate-limit", "src-ip-header": "client-ip", "cookie-persistence": "session-affinity",
    "load-balance": "load-balancing", "timeout-server": "timeout", "check": "health-check",
    "server-ssl": "backend-tls", "path-rewrite": "regex-rewrite", "backend-config-snippet": "snippet",
    "cors-respond-to-options": "direct-response", "pod-maxconn": "backend-connection-limit",
    "send-proxy-protocol": "proxy-protocol", "client-ca": "client-certificate", "cors-allow-origin": "cors",
}


def table() -> dict[str, Any]:
    data: dict[str, Any] = mappings.table("haproxy")
    assert data["prefix"] == PREFIX
    assert data["prefixes"] == ["haproxy.org", "haproxy.com", "ingress.kubernetes.io"]
    return data


def rows(section: str = "annotations") -> dict[str, dict[str, Any]]:
    return {str(r["key"]): r for r in table()[section]}


def catalogue() -> dict[str, dict[str, Any]]:
    entries = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    return {e["annotation"].removeprefix(PREFIX + "/"): e for e in entries if e.get("controller") == CONTROLLER}


def catalogue_sources(entry: dict[str, Any]) -> set[str]:
    scope = str(entry["scope"])
    return {"configmap"} if scope == "ConfigMap only" else {s.strip() for s in scope.split(",")}


def test_every_catalogue_key_has_a_row_and_every_row_is_documented_or_read() -> None:
    expected = set(catalogue())
    assert len(expected) == 83, "the catalogue's HAProxy keys changed: review the table"
    assert not SOURCE_ONLY_KEYS & expected
    assert set(rows()) == expected | SOURCE_ONLY_KEYS


def test_sources_match_the_documentation_except_where_the_source_differs() -> None:
    for key, entry in catalogue().items():
        if key in ("ingress.class",):  # removed: only listed for completeness
            continue
        want = SOURCES_DIFFER.get(key, catalogue_sources(entry))
        assert set(rows()[key]["sources"]) == want, key


def test_sources_are_in_precedence_order() -> None:
    # the controller always looks at the Service, then the Ingress, then the ConfigMap (H-A2)
    for key, row in rows().items():
        order = [HAPROXY_SOURCES.index(s) for s in row["sources"]]
        assert order == sorted(order), key


def test_scope_follows_the_sources() -> None:
    for key, row in rows().items():
        sources, scope = row["sources"], row["scope"]
        if scope == "global":
            assert sources == ["configmap"], key
        elif scope == "backend":
            assert sources[0] == "service", key
        else:
            assert scope == "frontend" and ("ingress" in sources or sources == ["service"]), key
    assert rows()["route-acl"]["sources"] == ["service"]
    assert rows()["cookie-persistence"]["sources"] == ["service", "configmap"]


def test_defaults_match_the_documentation_except_where_the_controller_differs() -> None:
    def norm(v: Any) -> Any:
        return None if v in (None, "", "none") else str(v).strip('"')
    for key, entry in catalogue().items():
        want = DEFAULTS_DIFFER.get(key, norm(entry.get("default")))
        assert norm(rows()[key]["default"]) == want, (key, rows()[key]["default"], entry.get("default"))


def test_every_documented_flag_has_a_row() -> None:
    assert len(DOCUMENTED_FLAGS) == 42
    assert set(rows("flags")) == DOCUMENTED_FLAGS | EXTRA_FLAGS
    assert not any("sources" in r for r in rows("flags").values())


def test_security_relevant_rows_are_flagged_and_never_ignored() -> None:
    must = [k for k in rows() if any(re.fullmatch(p, k) for p in SECURITY_PATTERNS)]
    assert len(must) > 30
    for key in must:
        row = rows()[key]
        assert row["status"] != "ignored", key
        if row["status"] != "converted":
            assert row["security"] is True, key
    for key in ("disable-config-snippets", "configmap-patternfiles", "custom-validation-rules",
                "enable-custom-annotations-on-ingress", "disable-service-external-name"):
        assert rows("flags")[key]["security"] is True, key


def test_the_same_purpose_carries_the_same_intent() -> None:
    for key, intent in EXPECTED_INTENTS.items():
        assert rows()[key].get("intent") == intent, key
    # the same intent as the Traefik Middleware with the same purpose
    traefik = {str(r["key"]): r for r in mappings.table("traefik")["middlewares"]}
    assert rows()["allow-list"]["intent"] == traefik["ipAllowList"]["intent"]
    assert rows()["rate-limit-requests"]["intent"] == traefik["rateLimit"]["intent"]
    assert rows()["auth-type"]["intent"] == traefik["basicAuth"]["intent"]


def test_the_keys_the_brief_named_have_rows() -> None:
    named = ["path-rewrite", "set-host", "request-set-header", "response-set-header", "ssl-redirect",
             "ssl-redirect-code", "ssl-redirect-port", "request-redirect", "allow-list", "deny-list", "whitelist",
             "blacklist", "rate-limit-requests", "auth-type", "cors-enable", "timeout-server", "load-balance",
             "cookie-persistence", "server-ssl", "server-ca", "server-crt", "backend-config-snippet",
             "frontend-config-snippet", "global-config-snippet", "route-acl"]
    assert set(named) <= set(rows())


def test_docs_point_at_the_reference_commit() -> None:
    for section in ("annotations", "flags"):
        for key, row in rows(section).items():
            assert row["docs"].startswith("https://github.com/haproxytech/kubernetes-ingress/blob/"
                                          "fc1206761aa7948e051eebd56c736802e1d7e226/"), (section, key)


def test_no_translator_handler_exists_yet() -> None:
    assert not [k for s in ("annotations", "flags") for k, r in rows(s).items() if r.get("handler")]


def test_rendered_tables_list_every_row_with_its_sources() -> None:
    text = support_table.render_markdown("haproxy")
    lines = [ln for ln in text.splitlines() if ln.startswith("| `")]
    assert len(lines) == len(rows()) + len(rows("flags"))
    assert "| `route-acl` | partial |" in text and lines[0].endswith("| service, ingress, configmap |")
    assert "Annotation keys are under `haproxy.org/`, `haproxy.com/` or `ingress.kubernetes.io/`." in text


def test_readme_support_table_is_up_to_date() -> None:
    block = support_table.readme_block((REPO / "README.md").read_text(encoding="utf-8"), "haproxy")
    assert block is not None, "README.md has no support-table:haproxy block: run `python -m ing2gw.support_table`"
    assert block == support_table.render_markdown("haproxy"), (
        "README.md's HAProxy tables differ from mappings/haproxy.yaml: run `python -m ing2gw.support_table`")
