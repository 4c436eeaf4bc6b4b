"""The Gateway API router against the upstream conformance suite (v1.6.1), as extracted in
`tests/data/cases/gateway-api-conformance/` (its README.md describes the format).

One pytest parameter per request expectation and per status expectation. Comparison follows
the upstream rules (`CompareRoundTrip`): the backend is checked for 2xx only, by pod-name prefix;
redirect parts default as in `setRedirectRequestDefaults`; CORS header values ignore whitespace.

The conformance backends are echo servers whose behaviour the tests steer with query
parameters (`?delay=1s`, `?responseCode=500&succeedAfter=2`). The router cannot know backend
latency or failures, so it reports timeouts and retries in `unmodelled` and exposes the
configured policy on `Decision`; `_EchoBackend` below plays the echo server's part, as the real
test does. Every other answer must have an empty `unmodelled`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from datapaths import CASES as DATA_CASES
import yaml  # type: ignore[import-untyped]

from ing2gw.load import Manifest
from ing2gw.origin import Origin
from ing2gw.simulate.gateway import Decision, GatewayRouter
from ing2gw.simulate.request import ClusterContext, Request

CASES = DATA_CASES / "gateway-api-conformance"
GATEWAY_IP = "192.0.2.10"
#: The README: Services without a selector whose EndpointSlices the test patches to these pods.
MANUAL_ENDPOINTS = {"manual-endpointslices": "infra-backend-v1",
                    "headless-manual-endpointslices": "infra-backend-v1"}
#: Only the Services in the case exist (the suite installs exactly those).
CONTEXT = ClusterContext(services="input")
#: Expectations that cannot pass, with the reason (none at the moment; keep it that way).
SKIPS: dict[str, str] = {}
#: Unmodelled entries a case is allowed to produce: its subject is backend behaviour.
ALLOWED_UNMODELLED = {"HTTPRouteTimeoutRequest": "timeouts.request", "HTTPRouteTimeoutBackendRequest":
                      "timeouts.backendRequest", "HTTPRouteRetry": "retry"}


def _case_files() -> list[Path]:
    index = json.loads((CASES / "index.json").read_text())
    return [CASES / c["file"] for c in index["cases"]]


_LOADED: dict[Path, dict[str, Any]] = {}


def _case(path: Path) -> dict[str, Any]:
    if path not in _LOADED:
        _LOADED[path] = yaml.safe_load(path.read_text())
    return _LOADED[path]


def _params() -> list[Any]:
    out = []
    for path in _case_files():
        case = _case(path)
        for i, e in enumerate(case.get("expectations") or []):
            label = e.get("name") or f"{i}"
            if e.get("step"):
                label = f"{e['step']}-{label}"
            pid = f"{case['test']}[{i}]-{label}".replace(" ", "_")
            out.append(pytest.param(path, i, id=pid))
    return out


def _status_params() -> list[Any]:
    out = []
    for path in _case_files():
        case = _case(path)
        for i, _ in enumerate(case.get("status_expectations") or []):
            out.append(pytest.param(path, i, id=f"{case['test']}-status[{i}]"))
    return out


_ROUTERS: dict[tuple[Path, str | None], GatewayRouter] = {}


def _router(path: Path, step: str | None) -> GatewayRouter:
    key = (path, step)
    if key not in _ROUTERS:
        case = _case(path)
        docs = case["manifests"]
        if step == "after_delete_referencegrant":
            docs = [d for d in docs if not (d["kind"] == "ReferenceGrant" and d["metadata"]["name"] == "reference-grant"
                                            and d["metadata"]["namespace"] == "gateway-conformance-web-backend")]
        manifests = [Manifest(d, Origin(str(path), 0, i)) for i, d in enumerate(docs)]
        _ROUTERS[key] = GatewayRouter(manifests, CONTEXT)
    return _ROUTERS[key]


def _request(r: dict[str, Any]) -> Request:
    port = int(r["port"])
    host = r.get("host") or f"{GATEWAY_IP}:{port}"  # Go's client sends the gateway address
    headers = tuple((str(k), str(v)) for k, v in (r.get("headers") or {}).items())
    return Request(method=r["method"], scheme=r["scheme"], host=host, port=port, target=r["path"],
                   headers=headers, sni=r.get("sni"))


def _pods(case: dict[str, Any], namespace: str, service: str) -> str:
    """The pod-name prefix behind a Service (what the echo server reports)."""
    for d in case["manifests"]:
        if d["kind"] == "Service" and d["metadata"]["name"] == service and d["metadata"].get("namespace") == namespace:
            app = ((d.get("spec") or {}).get("selector") or {}).get("app")
            if app:
                return str(app)
    return MANUAL_ENDPOINTS.get(service, service)


class _EchoBackend:
    """The conformance echo server's reaction to its query parameters, given the rule's policy."""

    @staticmethod
    def status(decision: Decision, request: Request) -> int:
        answer = decision.answer
        if answer.status != 200 or decision.rule is None:
            return answer.status
        params = dict(parse_qsl(request.query or ""))
        timeouts = dict(decision.timeouts)
        if "delay" in params:
            delay = _ms(params["delay"])
            for key in ("request", "backendRequest"):
                limit = _ms(timeouts[key]) if key in timeouts else 0
                if limit and delay > limit:
                    return 504
        if "responseCode" in params:
            code = int(params["responseCode"])
            fails = int(params.get("succeedAfter", "1000000"))
            attempts, codes = decision.retry or (0, ())
            tries = 1 + (attempts if code in codes else 0)
            return 200 if fails < tries else code
        return 200


def _ms(text: str) -> int:
    from ing2gw.simulate.gateway_objects import duration_ms
    return duration_ms(text)


def _one_of(expected: Any) -> list[int]:
    return [int(x) for x in expected] if isinstance(expected, list) else [int(expected)]


def _norm(value: str, ignore_ws: bool) -> str:
    return "".join(value.split()) if ignore_ws else value


@pytest.mark.parametrize("path,index", _params())
def test_conformance_expectation(path: Path, index: int) -> None:
    case = _case(path)
    exp = case["expectations"][index]
    pid = f"{case['test']}[{index}]"
    if pid in SKIPS:
        pytest.skip(SKIPS[pid])
    r, want = exp["request"], exp["expect"]
    router = _router(path, exp.get("step"))
    request = _request(r)
    gateway = (r["gateway"]["namespace"], r["gateway"]["name"])
    backend_headers = tuple((str(k), str(v)) for k, v in (want.get("backend_sets_response_headers") or {}).items())
    decision = router.decide(request, gateway, backend_response_headers=backend_headers)
    answer = decision.answer
    context = f"{request.describe()} -> {json.dumps(answer.to_dict())}"

    allowed = ALLOWED_UNMODELLED.get(case["test"])
    unexpected = [u for u in answer.unmodelled if not (allowed and allowed in u)]
    assert not unexpected, f"unmodelled behaviour in a conformance answer: {unexpected}\n{context}"

    status = _EchoBackend.status(decision, request)
    assert status in _one_of(want["status"]), context

    if status in (200, 204) and not want.get("preflight_answered_by_gateway"):
        assert answer.backend is not None, context
        if want.get("backend"):
            assert _pods(case, answer.backend.namespace, answer.backend.name).startswith(want["backend"]), context
        if want.get("namespace"):
            assert answer.backend.namespace == want["namespace"], context

    if "backend_request" in want:
        br = want["backend_request"]
        assert answer.upstream_path == br.get("path", r["path"]), context
        assert answer.upstream_host == br.get("host", request.host), context
        if "method" in br:
            assert request.method == br["method"]
        got = dict(answer.upstream_headers)
        for name, value in (br.get("headers") or {}).items():
            assert got.get(name.lower()) == value, f"upstream header {name}\n{context}"
        for name in br.get("absent_headers") or []:
            assert name.lower() not in got, f"upstream header {name} should be absent\n{context}"

    if "redirect" in want:
        assert answer.redirect is not None and answer.redirect.status == status, context
        loc = urlsplit(answer.redirect.location)
        rd = want["redirect"]
        assert loc.scheme == rd.get("scheme", r["scheme"]), context
        if "host" in rd:
            assert loc.hostname == rd["host"], context
        assert loc.path == rd.get("path", r["path"].split("?")[0]), context
        if "port" in rd:
            assert str(loc.port) == str(rd["port"]), context
        else:
            assert loc.port in (None, 80 if loc.scheme == "http" else 443), context

    ignore_ws = bool(want.get("ignore_whitespace_in_header_values"))
    response = {k: v for k, v in answer.response_headers}
    for name, value in (want.get("response_headers") or {}).items():
        assert name.lower() in response, f"response header {name} missing\n{context}"
        assert _norm(response[name.lower()], ignore_ws) == _norm(str(value), ignore_ws), context
    for name, values in (want.get("response_headers_one_of") or {}).items():
        assert name.lower() in response, f"response header {name} missing\n{context}"
        assert _norm(response[name.lower()], ignore_ws) in [_norm(str(v), ignore_ws) for v in values], context
    for name in want.get("response_absent_headers") or []:
        assert name.lower() not in response, f"response header {name} should be absent\n{context}"

    if want.get("preflight_answered_by_gateway"):
        assert answer.generated_by == "cors-preflight", context

    if "mirrored_to" in want:
        mirrors = {(b.namespace, b.name): frac for b, frac in decision.mirrors}
        assert len(mirrors) == len(want["mirrored_to"]), context
        for m in want["mirrored_to"]:
            frac = mirrors.get((m["namespace"], m["backend"]))
            assert frac is not None, f"not mirrored to {m}\n{context}"
            assert frac == pytest.approx(m.get("percent", 100) / 100), context

    if "weights" in want:
        shares: dict[str, float] = {}
        for s in answer.backends:
            assert s.backend is not None and s.status is None, context
            shares[s.backend.name] = shares.get(s.backend.name, 0.0) + s.weight
        for name, fraction in want["weights"].items():
            assert shares.get(name, 0.0) == pytest.approx(fraction, abs=0.01), context

    if want.get("invariant"):
        # backendRef-level filters apply only to the backend that serves the request
        assert len(answer.backends) > 1, context
        for s in answer.backends:
            assert s.backend is not None
            view = router.decide(request, gateway, for_backend=s.backend).answer
            assert dict(view.upstream_headers).get("backend") == s.backend.name, context


@pytest.mark.parametrize("path,index", _status_params())
def test_conformance_status(path: Path, index: int) -> None:
    case = _case(path)
    want = case["status_expectations"][index]
    report = _router(path, None).status()
    if "route" in want:
        rt, parent, cond = want["route"], want["parent"], want["condition"]
        entries = report.route_parent(rt["kind"], rt["namespace"], rt["name"], parent["namespace"], parent["name"])
        assert entries, f"no status for {rt} on {parent}"
        got = [e.condition(cond["type"]) for e in entries]
        assert any(c is not None and (c.status, c.reason) == (cond["status"], cond["reason"]) for c in got), got
    elif "gateway_attached_routes" in want:
        g = want["gateway_attached_routes"]
        assert sum(report.attached_routes(g["namespace"], g["gateway"]).values()) == g["total"]
    elif "listener_attached_routes" in want:
        g = want["listener_attached_routes"]
        counts = report.attached_routes(g["namespace"], g["gateway"])
        for name, n in g["listeners"].items():
            assert counts.get(name) == n, counts
    else:  # pragma: no cover - a new kind of expectation must be handled here
        pytest.fail(f"unknown status expectation {want}")


def test_every_case_file_is_used() -> None:
    """The index lists every case file, and the suite has the size the README states."""
    files = {p.name for p in CASES.glob("*.yaml")}
    listed = {p.name for p in _case_files()}
    assert files == listed
    assert sum(len(_case(p).get("expectations") or []) for p in _case_files()) == 351
    assert sum(len(_case(p).get("status_expectations") or []) for p in _case_files()) == 17
