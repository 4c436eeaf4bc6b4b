"""Controller detection (ing2gw/providers/detect.py): the table, the evidence, the verdicts.

Real-world Ingresses of other controllers must never be translated with ingress-nginx's
semantics; an Ingress of ingress-nginx must still be translated; a verdict that refuses names
each piece of evidence and the way out.
"""

from __future__ import annotations

import dataclasses
import glob
import json
from pathlib import Path
from typing import Any

import pytest
from datapaths import CASES, CATALOGUE, DETECT
from ruamel.yaml import YAML

from ing2gw import mappings
from ing2gw.errors import UsageError
from ing2gw.findings import Severity
from ing2gw.load import Manifest, load
from ing2gw.model.inputs import Inputs, classify
from ing2gw.options import Options
from ing2gw.origin import Origin
from ing2gw.providers import PROVIDERS
from ing2gw.providers.detect import (
    ControllerTable,
    Verdict,
    check_controller,
    default_table,
    detect,
    parse_class_options,
    unused_class_options,
)

TABLE = default_table()


def ingress(name: str = "web", ns: str = "shop", cls: str | None = None,
            annotations: dict[str, str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"rules": [{"host": f"{name}.example.com", "http": {"paths": [
        {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": name, "port": {"number": 80}}}}]}}]}
    if cls is not None:
        spec["ingressClassName"] = cls
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": ns, "annotations": dict(annotations or {})}, "spec": spec}


def ingress_class(name: str, controller: str, default: bool = False) -> dict[str, Any]:
    md: dict[str, Any] = {"name": name}
    if default:
        md["annotations"] = {"ingressclass.kubernetes.io/is-default-class": "true"}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": md,
            "spec": {"controller": controller}}


def inputs_of(*objs: dict[str, Any]) -> Inputs:
    return classify([Manifest(o, Origin("test.yaml", 1, i)) for i, o in enumerate(objs)])


def verdict(obj: dict[str, Any], *others: dict[str, Any], options: Options | None = None,
            table: ControllerTable | None = None) -> Verdict:
    inputs = inputs_of(obj, *others)
    ing = next(i for i in inputs.ingresses if i.name == obj["metadata"]["name"])
    return detect(ing, inputs, options or Options(), table)


def file_verdicts(name: str, options: Options | None = None) -> dict[str, Verdict]:
    inputs = classify(load([str(DETECT / name)]))
    return {i.key: detect(i, inputs, options or Options()) for i in inputs.ingresses}


# ---------------------------------------------------------------------------------------------
# The table


def test_translated_controllers_are_the_registered_providers() -> None:
    assert TABLE.translated == set(PROVIDERS)


def test_table_refuses_a_reference_to_an_undeclared_controller() -> None:
    data = dict(mappings.table("controllers"))
    data["class_names"] = {**data["class_names"], "contour-internal": "countour"}
    with pytest.raises(ValueError, match="class_names\\[contour-internal\\] names controller 'countour'"):
        ControllerTable.from_data(data)
    data = dict(mappings.table("controllers"))
    data["annotations"] = [*data["annotations"], {"match": "example.com/sub/", "controllers": ["kong"]}]
    with pytest.raises(ValueError, match="a prefix is a domain followed by '/'"):
        ControllerTable.from_data(data)


@pytest.mark.parametrize("value, expected", [
    ("k8s.io/ingress-nginx", "ingress-nginx"),
    ("haproxy.org/ingress-controller", "haproxy"),
    ("haproxy.org/ingress-controller/haproxy", "haproxy"),
    ("haproxy.org/ingress-controllerx", None),
    ("webapprouting.kubernetes.azure.com/nginx/internal", "ingress-nginx"),
    ("nginx.org/ingress-controller", "f5-nginx"),
    ("example.com/ingress-nginx", None),
])
def test_ingress_class_controller_values(value: str, expected: str | None) -> None:
    assert TABLE.controller_of_ingress_class(value) == expected


def _catalogue_controller(name: str) -> str | None:
    return {"ingress-nginx": "ingress-nginx", "traefik": "traefik", "haproxy-kubernetes-ingress": "haproxy",
            "haproxy-ingress (jcmoraisjr)": "haproxy-ingress", "aws-load-balancer-controller": "aws-alb",
            "gce-ingress (GKE)": "gke", "kong": "kong"}.get(name)


def test_every_catalogued_annotation_points_to_its_controller() -> None:
    """The annotation catalogue (gathered from each controller's docs) against the table: a key of
    controller C is evidence for C; cert-manager, external-dns and the common keys are none."""
    rows = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    checked = 0
    for row in rows:
        key = row["annotation"]
        if "/" not in key or " " in key or "|" in key or key == "kubernetes.io/ingress.class":
            continue  # CRD fields ("Middleware:StripPrefix"), key families, the class itself
        says = TABLE.annotation_controllers(key)
        ctl = _catalogue_controller(row["controller"])
        if row["controller"] in ("cert-manager", "external-dns", "common (all controllers)"):
            assert says is None, f"{key} ({row['controller']}) must not count as evidence"
        elif ctl is not None and not key.startswith("cloud.google.com/"):  # Service annotations
            assert says is not None and ctl in says, f"{key}: {says}, catalogue says {row['controller']}"
        checked += 1
    assert checked > 400


def test_neutral_tools_are_never_evidence() -> None:
    """What mappings/common-annotations.yaml, cert-manager.yaml and external-dns.yaml handle
    for any controller never decides one."""
    keys = [str(r["key"]) for r in mappings.table("cert-manager")["annotations"]]
    keys += [f"{p}/hostname" for p in mappings.table("external-dns")["prefixes"]]
    keys += [str(r["match"]).rstrip("*") + ("x" if str(r["match"]).endswith("/") else "")
             for r in mappings.table("common-annotations")["annotations"] if r["match"] != "*"]
    keys += ["kubernetes.io/tls-acme", "acme.cert-manager.io/http01-edit-in-place"]
    assert len(keys) > 30
    assert {k: TABLE.annotation_controllers(k) for k in keys if TABLE.annotation_controllers(k)} == {}


def test_a_whole_key_row_beats_its_prefix() -> None:
    assert TABLE.annotation_controllers("ingress.kubernetes.io/url-map") == ("gke",)
    assert set(TABLE.annotation_controllers("ingress.kubernetes.io/ssl-redirect") or ()) == \
        {"haproxy", "haproxy-ingress", "kong", "traefik"}
    assert TABLE.annotation_controllers("nginx.ingress.kubernetes.io/rewrite-target") == ("ingress-nginx",)
    assert TABLE.annotation_controllers("team.example.com/owner") is None


# ---------------------------------------------------------------------------------------------
# The real-world cases of issue 18


def test_traefik_without_class_goes_to_the_traefik_provider_not_nginx() -> None:
    # Traefik is translated (providers/traefik): its annotations send the Ingress there
    [v] = file_verdicts("traefik-router-tls.yaml").values()
    assert (v.translated, v.controller) == (True, "traefik")
    assert "traefik.ingress.kubernetes.io/router.tls" in v.how


def test_alb_without_class_is_refused() -> None:
    [v] = file_verdicts("alb-scheme.yaml").values()
    assert (v.translated, v.controller, v.code) == (False, "aws-alb", "ING2GW-CORE-001")
    assert "alb.ingress.kubernetes.io/scheme" in v.message
    # the external-dns annotation beside them is no evidence
    assert "external-dns" not in v.message


def test_gke_static_ip_is_refused() -> None:
    [v] = file_verdicts("gke-static-ip.yaml").values()
    assert (v.translated, v.controller, v.code) == (False, "gke", "ING2GW-CORE-001")
    assert "kubernetes.io/ingress.global-static-ip-name" in v.message


def test_haproxy_annotations_go_to_the_haproxy_provider() -> None:
    [v] = file_verdicts("haproxy-path-rewrite.yaml").values()
    assert (v.translated, v.controller) == (True, "haproxy")
    assert any("haproxy.org/path-rewrite" in e.keys for e in v.evidence)


def test_jcmoraisjr_haproxy_ingress_is_reported_not_translated() -> None:
    # the other HAProxy controller (haproxy-ingress.github.io/) is named, with its evidence
    [v] = file_verdicts("haproxy-ingress-jcmoraisjr.yaml").values()
    assert (v.translated, v.controller, v.code) == (False, "haproxy-ingress", "ING2GW-CORE-001")
    assert "haproxy-ingress.github.io/ssl-redirect" in v.message


def test_no_haproxy_case_is_translated_as_another_controller() -> None:
    """The HAProxy behaviour cases: an Ingress with haproxy.org/ annotations or the haproxy class
    goes to the HAProxy provider, never to ingress-nginx's."""
    seen = 0
    for name, inputs in _case_ingresses("haproxy"):
        for ing in inputs.ingresses:
            v = detect(ing, inputs, Options())
            own = [k for k in ing.annotations if "haproxy" in (TABLE.annotation_controllers(k) or ())]
            if v.translated and (own or ing.spec.ingress_class_name == "haproxy"):
                seen += 1
                assert v.controller == "haproxy", (name, ing.key, v.message)
    assert seen > 50


def test_f5_annotations_on_class_nginx_disagree() -> None:
    [v] = file_verdicts("f5-rewrites-class-nginx.yaml").values()
    assert (v.translated, v.code, v.status) == (False, "ING2GW-DETECT-001", "conflict")
    assert "ingressClassName nginx: ingress-nginx" in v.message
    assert "nginx.org/path-regex, nginx.org/redirect-to-https, nginx.org/rewrites: f5-nginx" in v.message
    # per controller, what makes the evidence agree
    assert "if ingress-nginx serves it, remove nginx.org/path-regex" in v.suggestion
    assert "if f5-nginx serves it, convert it by hand" in v.suggestion


def test_class_without_ingressclass_is_refused_with_the_way_out() -> None:
    [v] = file_verdicts("with-tls-class.yaml").values()
    assert (v.translated, v.code, v.class_name) == (False, "ING2GW-DETECT-002", "with-tls")
    assert "no IngressClass object named with-tls" in v.message
    # the annotations say which controller to name
    assert "nginx.ingress.kubernetes.io/proxy-body-size" in v.message and "ingress-nginx" in v.message
    assert "--class with-tls=ingress-nginx" in v.suggestion


def test_class_option_decides_an_unknown_class() -> None:
    [v] = file_verdicts("with-tls-class.yaml", Options(classes=(("with-tls", "ingress-nginx"),))).values()
    assert (v.translated, v.controller, v.class_name, v.code) == (True, "ingress-nginx", "with-tls", None)
    assert "--class with-tls=ingress-nginx" in v.how


def test_mixed_input_translates_only_the_nginx_ingress() -> None:
    verdicts = file_verdicts("mixed.yaml")
    assert {k: (v.translated, v.code) for k, v in verdicts.items()} == {
        "shop/shop": (True, None),
        "shop/tea": (False, "ING2GW-DETECT-001"),
        "apps/whoami": (True, None),  # Traefik's: translated by its provider
        "apps/portal": (False, "ING2GW-CORE-001"),
    }
    assert verdicts["apps/portal"].controller == "azure-agic"
    assert "IngressClass nginx (controller k8s.io/ingress-nginx): ingress-nginx" in verdicts["shop/tea"].message


# ---------------------------------------------------------------------------------------------
# The rules


def test_ingress_class_object_decides_over_the_name() -> None:
    # F5 NGINX's chart names its class `nginx`: the object tells
    v = verdict(ingress(cls="nginx"), ingress_class("nginx", "nginx.org/ingress-controller"))
    assert (v.controller, v.translated, v.how) == ("f5-nginx", False, "IngressClass nginx (controller "
                                                                     "nginx.org/ingress-controller)")


def test_class_option_overrides_the_ingress_class_object_and_says_so() -> None:
    ic = ingress_class("internal", "example.com/internal-nginx")
    refused = verdict(ingress(cls="internal"), ic)
    assert (refused.code, refused.translated) == ("ING2GW-DETECT-004", False)
    assert "--class internal=" in refused.suggestion and "kubectl get ingressclass" not in refused.suggestion
    v = verdict(ingress(cls="internal"), ic, options=Options(classes=(("internal", "ingress-nginx"),)))
    assert (v.controller, v.translated) == ("ingress-nginx", True)
    assert "over IngressClass internal's controller example.com/internal-nginx" in v.how
    # and over ing2gw's table of names
    v = verdict(ingress(cls="traefik"), options=Options(classes=(("traefik", "ingress-nginx"),)))
    assert (v.controller, v.translated) == ("ingress-nginx", True)


def test_class_option_does_not_silence_other_controllers_annotations() -> None:
    v = verdict(ingress(cls="nginx", annotations={"nginx.org/rewrites": "serviceName=web rewrite=/"}),
                options=Options(classes=(("nginx", "ingress-nginx"),)))
    assert (v.code, v.translated) == ("ING2GW-DETECT-001", False)


def test_no_class_and_no_evidence_is_assumed_with_an_info() -> None:
    v = verdict(ingress(annotations={"owner": "team-a", "cert-manager.io/cluster-issuer": "le"}))
    assert (v.controller, v.translated, v.status, v.code, v.severity) == \
        ("ingress-nginx", True, "assumed", "ING2GW-DETECT-003", Severity.INFO)
    assert v.class_name == "nginx" and v.how == "no class on the Ingress: --controller ingress-nginx"
    # --controller names another controller: refused
    v = verdict(ingress(), options=Options(controller="aws-alb"))
    assert (v.controller, v.translated, v.code) == ("aws-alb", False, "ING2GW-CORE-001")


def test_no_class_with_nginx_annotations_is_detected_without_finding() -> None:
    v = verdict(ingress(annotations={"nginx.ingress.kubernetes.io/rewrite-target": "/"}))
    assert (v.controller, v.translated, v.status, v.code) == ("ingress-nginx", True, "detected", None)
    assert v.how == "no class on the Ingress; annotation nginx.ingress.kubernetes.io/rewrite-target"


def test_default_ingress_class_counts_for_an_ingress_without_class() -> None:
    v = verdict(ingress(), ingress_class("alb", "ingress.k8s.aws/alb", default=True))
    assert (v.controller, v.translated, v.class_name) == ("aws-alb", False, "alb")
    v = verdict(ingress(), ingress_class("nginx", "k8s.io/ingress-nginx", default=True))
    assert (v.controller, v.translated, v.code) == ("ingress-nginx", True, None)


def test_legacy_annotation_values() -> None:
    v = verdict(ingress(annotations={"kubernetes.io/ingress.class": "gce"}))
    assert (v.controller, v.translated) == ("gke", False)
    v = verdict(ingress(annotations={"kubernetes.io/ingress.class": "internal"}),
                options=Options(ingress_class="internal"))
    assert (v.controller, v.translated, v.class_name) == ("ingress-nginx", True, "internal")
    assert "ingress-nginx --ingress-class=internal" in v.how
    # the annotation and the field naming two controllers
    v = verdict(ingress(cls="nginx", annotations={"kubernetes.io/ingress.class": "alb"}))
    assert v.code == "ING2GW-DETECT-001"
    assert "if ingress-nginx serves it, pass --class alb=ingress-nginx" in v.suggestion


def test_shared_prefix_alone_does_not_decide() -> None:
    anns = {"ingress.kubernetes.io/ssl-redirect": "true"}
    v = verdict(ingress(annotations=anns))
    assert (v.code, v.translated, v.controller) == ("ING2GW-DETECT-005", False, "unknown")
    assert "haproxy or haproxy-ingress or kong or traefik" in v.message
    v = verdict(ingress(annotations=anns), options=Options(controller="kong"))
    assert (v.controller, v.code) == ("kong", "ING2GW-CORE-001")
    # with a class that reads it, the class decides
    assert verdict(ingress(cls="haproxy", annotations=anns)).controller == "haproxy"
    # a prefix ingress-nginx stopped reading is a stray annotation on an nginx Ingress
    assert verdict(ingress(cls="nginx", annotations=anns)).code == "ING2GW-DETECT-001"


def test_annotations_prefix_option_is_ingress_nginx_evidence() -> None:
    anns = {"custom.io/rewrite-target": "/"}
    assert verdict(ingress(cls="traefik", annotations=anns)).controller == "traefik"
    v = verdict(ingress(cls="traefik", annotations=anns), options=Options(annotations_prefix="custom.io"))
    assert v.code == "ING2GW-DETECT-001"
    v = verdict(ingress(annotations=anns), options=Options(annotations_prefix="custom.io"))
    assert (v.controller, v.status) == ("ingress-nginx", "detected")


def test_detection_does_not_hard_code_the_translated_controllers() -> None:
    table = dataclasses.replace(TABLE, translated=TABLE.translated | {"traefik"})
    v = verdict(ingress(annotations={"traefik.ingress.kubernetes.io/router.tls": "true"}), table=table)
    assert (v.controller, v.translated, v.class_name, v.code) == ("traefik", True, "traefik", None)
    v = verdict(ingress(annotations={"traefik.ingress.kubernetes.io/router.tls": "true"}),
                table=dataclasses.replace(TABLE, translated=frozenset()))
    assert v.translated is False and "ing2gw translates no controller yet, so" in v.message


def test_verdict_finding_carries_the_ingress() -> None:
    inputs = classify(load([str(DETECT / "alb-scheme.yaml")]))
    ing = inputs.ingresses[0]
    f = detect(ing, inputs, Options()).finding(ing)
    assert f is not None and f.subject == "Ingress game-2048/game-2048" and f.origin is not None
    assert f.origin.file.endswith("alb-scheme.yaml") and f.suggestion


def test_unused_class_option_is_reported() -> None:
    inputs = inputs_of(ingress(cls="with-tls"))
    found = unused_class_options(inputs.ingresses, inputs, Options(classes=(("with-tsl", "ingress-nginx"),
                                                                             ("with-tls", "ingress-nginx"))))
    assert [(f.code, f.severity) for f in found] == [("ING2GW-DETECT-006", Severity.INFO)]
    assert "with-tsl" in found[0].message and "did you mean with-tls?" in found[0].message


# ---------------------------------------------------------------------------------------------
# --class values


def test_parse_class_options() -> None:
    assert parse_class_options(["b=ingress-nginx", "a=traefik", "b=ingress-nginx"]) == \
        (("a", "traefik"), ("b", "ingress-nginx"))
    assert parse_class_options({"with-tls": "ingress-nginx"}) == (("with-tls", "ingress-nginx"),)


@pytest.mark.parametrize("values, message", [
    (["with-tls"], "--class 'with-tls': expected CLASS=CONTROLLER"),
    (["with-tls=ngnix"], "unknown controller 'ngnix' — did you mean ingress-nginx?"),
    (["a=nginx-inc"], "did you mean f5-nginx?"),
    (["=traefik"], "the class name is empty"),
    (["a="], "name the controller that serves class a"),
    (["a=traefik", "a=ingress-nginx"], "class a is given two controllers (traefik and ingress-nginx)"),
])
def test_parse_class_options_errors(values: list[str], message: str) -> None:
    with pytest.raises(UsageError) as exc:
        parse_class_options(values)
    assert message in str(exc.value)


def test_check_controller_lists_the_known_ones() -> None:
    assert check_controller("traefik") is None
    problem = check_controller("envoy")
    assert problem is not None and "known: apisix, aws-alb" in problem


# ---------------------------------------------------------------------------------------------
# Every behaviour case of the other controllers


_OTHER_CONTROLLERS = {"traefik": "traefik", "aws-alb": "aws-alb", "gke": "gke", "f5-nginx": "f5-nginx",
                      "istio": "istio"}


def _case_ingresses(folder: str) -> list[tuple[str, Inputs]]:
    out = []
    yaml = YAML(typ="safe")
    for path in sorted(glob.glob(str(CASES / folder / "*.yaml"))):
        case = yaml.load(Path(path).read_text(encoding="utf-8"))
        objs = [o for o in case.get("objects") or [] if isinstance(o, dict)]
        try:
            out.append((Path(path).name, classify([Manifest(o, Origin(path, 0, i)) for i, o in enumerate(objs)])))
        except Exception:  # cases of objects the API server rejects
            continue
    return out


@pytest.mark.parametrize("folder", sorted(_OTHER_CONTROLLERS))
def test_no_ingress_of_another_controller_is_translated(folder: str) -> None:
    """The other controllers' behaviour cases: an Ingress is translated only when nothing but
    ingress-nginx evidence (or none at all) speaks for it; one carrying that controller's
    annotations, or whose class is that controller's, never is."""
    ctl = _OTHER_CONTROLLERS[folder]
    refused = translated = 0
    for name, inputs in _case_ingresses(folder):
        for ing in inputs.ingresses:
            v = detect(ing, inputs, Options())
            own = [k for k in ing.annotations if ctl in (TABLE.annotation_controllers(k) or ())]
            if v.translated and v.controller == ctl and ctl in TABLE.translated:
                translated += 1  # the controller's own provider translates it
                continue
            if v.translated:
                translated += 1
                assert not own, f"{name} {ing.key}: translated although it carries {own}"
                assert all(e.says == ("ingress-nginx",) for e in v.evidence), (name, ing.key, v.evidence)
            else:
                refused += 1
                assert v.severity is Severity.ERROR and v.code and v.message and v.suggestion
    assert ctl in TABLE.translated or refused > translated, (refused, translated)


def test_every_ingress_nginx_case_is_still_translated() -> None:
    for name, inputs in _case_ingresses("ingress-nginx"):
        for ing in inputs.ingresses:
            v = detect(ing, inputs, Options())
            assert v.translated and v.controller == "ingress-nginx", (name, ing.key, v.message)
