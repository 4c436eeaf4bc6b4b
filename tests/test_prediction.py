"""Predictions of finding codes (ing2gw/prediction.py) and how verify applies them
(ing2gw/verify_explain.py): a difference is explained only when a prediction of an applicable
finding names every differing field."""

from __future__ import annotations

import pytest

from ing2gw.findings import Finding, Severity, codes
from ing2gw.equivalence.prediction import parse, path_matches, paths_detail, paths_match, same_but
from ing2gw.simulate.compare import Difference
from ing2gw.simulate.request import Answer, BackendRef, Redirect, Request, Share
from ing2gw.equivalence.explain import FindingIndex, KnownHosts, Probe, explain, unverified


def test_every_declared_prediction_is_valid_and_names_compared_fields() -> None:
    predicting = {c: i.predicts for c, i in codes().items() if i.predicts}
    assert "ING2GW-CORE-016" in predicting and "ING2GW-NGINX-012" not in predicting
    assert "ING2GW-NGINX-013" not in predicting and "ING2GW-NGINX-030" not in predicting
    for code, preds in predicting.items():
        for p in preds:
            assert p.fields, code


@pytest.mark.parametrize("raw, message", [
    ({"fields": ["statuss"]}, "fields must name compared fields"),
    ({"fields": ["status"], "where": ["host"]}, "where must be among"),
    ({"fields": ["status"], "when": {"scheme": "ftp"}}, "when.scheme"),
    ({"fields": ["status"], "when": {"new": "gone"}}, "when.new"),
    ({"fields": ["status"], "change": {"backend": "removed"}}, "names a field not in fields"),
    ({"fields": ["redirect.location"], "change": {"redirect.location": "shuffled"}}, "change.redirect.location"),
    ({"fields": ["status"], "extra": 1}, "keys are fields"),
])
def test_invalid_predictions_are_refused_with_the_code(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message) as e:
        parse("ING2GW-TEST-001", [raw])
    assert "ING2GW-TEST-001" in str(e.value)


def test_path_specs() -> None:
    assert path_matches("segment:/api", "/api") and path_matches("segment:/api", "/api/x")
    assert not path_matches("segment:/api", "/apix")
    assert path_matches("prefix:/api", "/apix")
    assert path_matches("case-variant:/api", "/API/x") and not path_matches("case-variant:/api", "/api/x")
    assert path_matches("exact:/a", "/a") and not path_matches("exact:/a", "/a/")
    assert path_matches("regex:(?i)^/v[12].*", "/V2/x")
    ties = ["tie:(?i)^/a.*", "tie:(?i)^/a/b.*"]
    assert paths_match(ties, "/a/b/c") and not paths_match(ties, "/a/x")
    assert paths_detail([("regex", "/a|/b,c"), ("exact", "/x")]) == "regex:/a|/b,c\nexact:/x"


def test_url_changes() -> None:
    assert same_but("https://h/docs", "https://h/docs/", ("trailing-slash",))
    assert not same_but("https://h/docs", "https://h/doc/", ("trailing-slash",))
    assert same_but("https://h/p?x=1", "https://h/p", ("query",))
    assert same_but("http://h:8080/p", "http://h/p?q", ("port", "query"))
    assert not same_but("http://h:8080/p", "http://h/p?q", ("port",))


def _req(url: str, *headers: tuple[str, str]) -> Request:
    return Request.from_url("GET", url, headers)


def _probe(req: Request, old: Answer, new: Answer, diffs: list[Difference], ingresses: set[str] = set(),
           known: tuple[str, ...] = ("shop.example.com",)) -> Probe:
    host = (req.host or "").split(":")[0].lower()
    return Probe(req, old, new, diffs, host, set(ingresses), KnownHosts(known))


def _f(code: str, subject: str = "", **details: str) -> Finding:
    return Finding(Severity.INFO, code, "m", subject=subject, details=tuple(sorted(details.items())))


SLASH = Difference("redirect.location", "https://shop.example.com/docs", "https://shop.example.com/docs/")


def test_a_finding_explains_only_what_it_predicts() -> None:
    old = Answer(308, redirect=Redirect("https://shop.example.com/docs", 308))
    new = Answer(308, redirect=Redirect("https://shop.example.com/docs/", 308))
    p = _probe(_req("http://shop.example.com/docs/"), old, new, [SLASH])
    slash = _f("ING2GW-CORE-016", "Ingress shop/web", hosts="shop.example.com")
    assert explain(p, [slash]) == (["ING2GW-CORE-016"], [])
    # another host, another scheme, another change: not predicted
    assert explain(_probe(_req("http://api.example.com/docs/"), old, new, [SLASH]), [slash])[0] == []
    assert explain(_probe(_req("https://shop.example.com/docs/"), old, new, [SLASH]), [slash])[0] == []
    moved = Difference("redirect.location", "https://shop.example.com/docs", "https://shop.example.com/other")
    assert explain(_probe(_req("http://shop.example.com/docs/"), old, new, [moved]), [slash]) == ([], ["redirect.location"])
    # a lossy annotation finding of the Ingress involved explains nothing (no fallback)
    lossy = Finding(Severity.WARNING, "ING2GW-NGINX-012", "partly converted", subject="Ingress shop/web",
                    status="partial")
    assert explain(_probe(_req("http://shop.example.com/docs/"), old, new, [moved], {"shop/web"}), [lossy]) == \
        ([], ["redirect.location"])


def test_every_differing_field_needs_a_prediction() -> None:
    be = BackendRef("shop", "web", 80)
    old = Answer(200, backend=be, backends=(Share(be, 1.0),),
                 response_headers=(("strict-transport-security", "max-age=1"),))
    new = Answer(404, generated_by="no-route")
    diffs = [Difference("status", 200, 404), Difference("backend", "shop/web:80", None),
             Difference("response_headers.strict-transport-security", "max-age=1", None)]
    p = _probe(_req("https://shop.example.com/x"), old, new, diffs)
    hsts = _f("ING2GW-CORE-023", "Gateway gw/gw")
    assert explain(p, [hsts]) == ([], ["status", "backend"])
    case = _f("ING2GW-NGINX-023", "Ingress shop/web", hosts="shop.example.com", paths="case-variant:/x")
    assert explain(p, [hsts, case])[1] == ["status", "backend"]  # /x is no case variant of /x
    p2 = _probe(_req("https://shop.example.com/X"), old, new, diffs)
    # NGINX-023 predicts every field here, so it is named alone (the fewest findings that cover)
    assert explain(p2, FindingIndex([hsts, case])) == (["ING2GW-NGINX-023"], [])
    backend_only = Finding(Severity.INFO, "ING2GW-CORE-011", "m", subject="Ingress shop/web",
                           details=(("change", "*>shop/web:80"), ("services", "shop/web")))
    assert explain(p2, [hsts, backend_only])[1] == ["status", "backend"]


def test_unnamed_hosts_and_header_values() -> None:
    be = BackendRef("shop", "web", 80)
    old = Answer(404)
    new = Answer(0, generated_by="tls-no-listener")
    diffs = [Difference("status", 404, 0)]
    unknown = _f("ING2GW-CORE-018", "Gateway gw/gw", hosts="*")
    assert explain(_probe(_req("https://other.example.org/"), old, new, diffs), [unknown])[0] == ["ING2GW-CORE-018"]
    assert explain(_probe(_req("https://shop.example.com/"), old, new, diffs), [unknown])[0] == []
    lost = _f("ING2GW-NGINX-044", "Ingress shop/web", headers="Origin=null")
    got = Answer(200, backend=be, backends=(Share(be, 1.0),), response_headers=(("access-control-allow-origin", "null"),))
    none = Answer(200, backend=be, backends=(Share(be, 1.0),))
    d = [Difference("response_headers.access-control-allow-origin", "null", None)]
    ok = _probe(_req("http://shop.example.com/", ("Origin", "null")), got, none, d, {"shop/web"})
    assert explain(ok, [lost])[0] == ["ING2GW-NGINX-044"]
    other = _probe(_req("http://shop.example.com/", ("Origin", "https://a.example")), got, none, d, {"shop/web"})
    assert explain(other, [lost])[0] == []


def test_unverified_only_for_fields_unmodelled_behaviour_can_change() -> None:
    be = BackendRef("shop", "web", 80)
    refuse = Answer(200, backend=be, backends=(Share(be, 1.0),),
                    unmodelled=("nginx.ingress.kubernetes.io/whitelist-source-range (shop/web): client address lists "
                                "can refuse the request (403)",))
    snippet = Answer(200, backend=be, backends=(Share(be, 1.0),),
                     unmodelled=("nginx.ingress.kubernetes.io/configuration-snippet (shop/web): raw nginx "
                                 "configuration can do anything",))
    other = Answer(200, backend=BackendRef("shop", "api", 80), backends=(Share(BackendRef("shop", "api", 80), 1.0),))
    req = _req("http://shop.example.com/")
    assert not unverified(_probe(req, refuse, other, []), ["backend"])
    assert unverified(_probe(req, snippet, other, []), ["backend"])
    # a Gateway-side list whose client address is not known lets the request through in the
    # model: in truth it can only refuse, so the backend the route chose is still compared
    allowed = Answer(200, backend=be, backends=(Share(be, 1.0),),
                     unmodelled=("Middleware shop/admin-allow ipAllowList: the client address is not known "
                                 "(modelled as allowed)",))
    assert not unverified(_probe(req, other, allowed, []), ["backend"])
    # an external authorization that lets a request through may add headers upstream: those stay
    # unverified, where the request goes does not
    ext = Answer(200, backend=be, backends=(Share(be, 1.0),),
                 unmodelled=("SecurityPolicy shop/a: external authorization (auth) decides whether the request "
                             "passes (not modelled; modelled as allowed)",))
    assert unverified(_probe(req, other, ext, []), ["upstream_headers.x-user"])
    assert not unverified(_probe(req, other, ext, []), ["backend"])
