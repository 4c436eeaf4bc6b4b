"""Which findings explain a difference of the equivalence check: their predictions, checked.

A finding explains a differing probe only when, for *every* field that differs, a prediction
of that finding (or of another finding that applies to the same request) names the field and
its `where`/`when`/`change` hold for this request and these answers (`ing2gw.equivalence.prediction`). A
finding whose code predicts nothing explains nothing: there is no fallback to "some finding
about the same Ingress", which would excuse a translation bug on any Ingress carrying one lossy
annotation.

A difference nothing predicts is *unverified* rather than unexplained only when every
unexplained field is one that a behaviour the simulators report as not modelled could have
changed (a snippet can change anything; an allow-list or authentication only refuses requests,
which the simulated answers do not show, so it changes none of the compared fields).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Iterable, Sequence

from ing2gw.findings import Finding, codes
from ing2gw.equivalence.prediction import Prediction, below_wildcard, covers, paths_match, same_but
from ing2gw.simulate.compare import Difference, absolute_location, normalise_location
from ing2gw.simulate.request import Answer, Request

#: the `hosts` value for "a host that no Ingress rule names" (ingress-nginx's catch-all server)
ANY_OTHER_HOST = "*"


class KnownHosts:
    """The hosts the Ingress side names (exact and `*.d` one-label wildcards)."""

    def __init__(self, hosts: Iterable[str]) -> None:
        self.exact: set[str] = set()
        self.wild: set[str] = set()
        for h in hosts:
            h = h.lower()
            if h.startswith("*."):
                self.wild.add(h[1:])
            elif h:
                self.exact.add(h)

    def names(self, host: str) -> bool:
        if host in self.exact:
            return True
        dot = host.find(".")
        return dot > 0 and host[dot:] in self.wild


@dataclass
class Probe:
    """One differing probe, with what explanations look at."""

    request: Request
    old: Answer
    new: Answer
    diffs: list[Difference]
    host: str
    ingresses: set[str]
    known: KnownHosts | None = None

    @property
    def other_host(self) -> bool:
        """The request's host is one no Ingress rule names."""
        return self.known is not None and not self.known.names(self.host)


def host_of(r: Request) -> str:
    """The request's host, lower case, without port and trailing dot."""
    h = (r.host or "").lower()
    if h.startswith("["):
        return h
    return h.rsplit(":", 1)[0].rstrip(".") if ":" in h else h.rstrip(".")


def subject_key(f: Finding) -> str | None:
    if f.subject.startswith("IngressRoute "):
        return "IngressRoute/" + f.subject[len("IngressRoute "):]
    return f.subject[len("Ingress "):] if f.subject.startswith("Ingress ") else None


def detail(f: Finding, key: str) -> list[str]:
    """A list-valued detail: `paths` one per line, the others comma-separated."""
    sep = "\n" if key == "paths" else ","
    for k, v in f.details:
        if k == key:
            return [x.strip() if sep == "," else x for x in v.split(sep) if x.strip()]
    return []


@functools.lru_cache(maxsize=1 << 16)
def _values(f: Finding, key: str) -> frozenset[str]:
    return frozenset(detail(f, key))


def on_hosts(f: Finding, p: Probe) -> bool:
    """The probe's host is one the finding names (`*.d`: one label under d; `*`: an unnamed host)."""
    hosts = _values(f, "hosts")
    if not hosts:
        return False
    h = p.host
    if h in hosts:
        return True
    dot = h.find(".")
    if dot >= 0 and "*" + h[dot:] in hosts:
        return True
    return ANY_OTHER_HOST in hosts and p.other_host


def _services(a: Answer) -> set[str]:
    out = {f"{s.backend.namespace}/{s.backend.name}" for s in a.backends if s.backend is not None}
    if a.backend is not None:
        out.add(f"{a.backend.namespace}/{a.backend.name}")
    return out


def _answer_is(a: Answer, kind: str) -> bool:
    if kind == "no-response":
        return a.status == 0
    if kind == "redirect":
        return a.redirect is not None
    if kind == "proxied":
        return a.backend is not None
    if kind == "not-found":
        return a.status == 404 and a.backend is None
    if kind == "server-error":
        return a.status >= 500
    if kind == "refused":
        return a.status in (401, 403) and a.backend is None and a.redirect is None
    if kind == "too-large":
        return a.status == 413 and a.backend is None
    if kind == "tls-refused":
        return a.status == 0 and a.generated_by == "tls-refused"
    if kind == "auth-denied":
        return a.backend is None and a.generated_by == "external-auth-denied"
    if kind == "no-client-cert":
        # the simulators name this refusal (nginx's 400 or error-page redirect, a listener's
        # failed handshake): a 400 for another reason must not count
        return a.backend is None and a.generated_by in ("client-certificate-required", "client-certificate-error-page")
    return False


def _where(f: Finding, key: str, p: Probe) -> bool:
    if key == "ingress":
        k = subject_key(f)
        return k is not None and k in p.ingresses
    if key == "ingresses":
        return bool(_values(f, "ingresses") & set(p.ingresses))
    if key == "hosts":
        return on_hosts(f, p)
    if key == "wildcard":
        # deeper names that some rule names have listeners of their own
        return p.other_host and any(below_wildcard(p.host, w) for w in _values(f, "wildcard"))
    if key == "paths":
        return paths_match(_values(f, "paths"), p.request.path)
    if key == "suites":
        return p.request.tls_cipher is not None and p.request.tls_cipher in _values(f, "suites")
    if key == "services":
        wanted = _values(f, "services")
        return bool(wanted & (_services(p.old) | _services(p.new)))
    if key == "headers":
        for want in _values(f, "headers"):
            name, eq, value = want.partition("=")
            if any(k.lower() == name.lower() and (not eq or v == value) for k, v in p.request.headers):
                return True
        return False
    if key == "cookies":
        return bool(set(p.request.cookies()) & _values(f, "cookies"))
    if key == "methods":
        return p.request.method in _values(f, "methods")
    return False


def _when(key: str, value: str, p: Probe) -> bool:
    if key == "scheme":
        return p.request.scheme == value
    if key == "method":
        return p.request.method == value
    if key == "host":
        if value == "missing":
            return p.request.host is None
        if value == "empty":
            return not p.request.host
        return (p.request.host or "").split(":")[0].endswith(".")
    if key == "without-header":
        return p.request.header(value) is None
    if key == "old":
        return _answer_is(p.old, value)
    if key == "new":
        return _answer_is(p.new, value)
    return False


def applies(pred: Prediction, f: Finding, p: Probe) -> bool:
    """The prediction's where and when hold for this probe."""
    return all(_when(k, v, p) for k, v in pred.when) and all(_where(f, w, p) for w in pred.where)


def _location(value: object, p: Probe) -> str | None:
    if not isinstance(value, str):
        return None
    return normalise_location(absolute_location(value, p.request))


def _change_ok(values: tuple[str, ...], d: Difference, f: Finding, p: Probe) -> bool:
    if "details" in values:
        values = tuple(detail(f, "change"))
        if not values:
            return False
    if "removed" in values or "added" in values:
        return ("removed" in values and d.old is not None and d.new is None) or \
            ("added" in values and d.old is None and d.new is not None)
    pairs = [v for v in values if ">" in v]
    if pairs:
        def value(text: str) -> str | None:
            return p.request.header(text[len("request:"):]) if text.startswith("request:") else text
        return any(v.split(">", 1)[0] in ("*", str(d.old)) and str(d.new) == value(v.split(">", 1)[1])
                   for v in pairs if not v.startswith("request:"))  # OLD `*`: any value
    old, new = d.old, d.new
    if d.field == "redirect.location":
        old, new = _location(old, p), _location(new, p)
    return isinstance(old, str) and isinstance(new, str) and same_but(old, new, values)


def _names(pred: Prediction, d: Difference) -> str | None:
    """The predicted field name that covers this differing field, or None."""
    for name in pred.fields:
        if name == "weights":
            if d.field == "backends" and isinstance(d.old, dict) and isinstance(d.new, dict) \
                    and set(d.old) == set(d.new):
                return name
        elif covers(d.field, name):
            return name
    return None


def predicts(pred: Prediction, d: Difference, f: Finding, p: Probe) -> bool:
    """The prediction names this differing field (and the change, when it says how)."""
    name = _names(pred, d)
    if name is None:
        return False
    how = dict(pred.change).get(name)
    return how is None or _change_ok(how, d, f, p)


def _aspects(pred: Prediction, d: Difference) -> tuple[str, ...]:
    """The URL aspects (trailing-slash, query, port) a prediction lets this field change."""
    name = _names(pred, d)
    how = dict(pred.change).get(name) if name is not None else None
    return tuple(a for a in how or () if a in ("trailing-slash", "query", "port"))


class FindingIndex:
    """Findings that predict something, arranged so that a probe only looks at those that can
    concern it: the ones of the Ingresses involved, the ones naming its host (or a wildcard
    above it), its Services, and the few without any of these. Findings whose code predicts
    nothing are left out: they cannot explain anything."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        self.by_ingress: dict[str, list[Finding]] = {}
        self.by_host: dict[str, list[Finding]] = {}
        self.by_service: dict[str, list[Finding]] = {}
        self.general: list[Finding] = []
        known = codes()
        for f in findings:
            preds = known[f.code].predicts
            if not preds:
                continue
            # a finding is reachable through any dimension all its predictions require
            needed = set.intersection(*(set(p.where) for p in preds))
            if "ingress" in needed and subject_key(f) is not None:
                self.by_ingress.setdefault(str(subject_key(f)), []).append(f)
            elif "ingresses" in needed:
                for key in detail(f, "ingresses"):
                    self.by_ingress.setdefault(key, []).append(f)
            elif "hosts" in needed or "wildcard" in needed:
                for h in detail(f, "hosts") + detail(f, "wildcard"):
                    self.by_host.setdefault(h, []).append(f)
            elif "services" in needed:
                for s in detail(f, "services"):
                    self.by_service.setdefault(s, []).append(f)
            else:
                self.general.append(f)

    def candidates(self, p: Probe) -> list[Finding]:
        out: list[Finding] = list(self.general)
        for key in p.ingresses:
            out += self.by_ingress.get(key, ())
        host = p.host
        out += self.by_host.get(host, ())
        labels = host.split(".")
        for i in range(1, len(labels)):
            out += self.by_host.get("*." + ".".join(labels[i:]), ())
        if p.other_host:
            out += self.by_host.get(ANY_OTHER_HOST, ())
        if self.by_service:
            for s in _services(p.old) | _services(p.new):
                out += self.by_service.get(s, ())
        return list({id(f): f for f in out}.values())


def explain(p: Probe, findings: "Sequence[Finding] | FindingIndex") -> tuple[list[str], list[str]]:
    """(codes of the fewest findings whose predictions together cover every differing field,
    sorted; fields no applicable prediction covers). Explained only when the second list is empty."""
    index = findings if isinstance(findings, FindingIndex) else FindingIndex(findings)
    known = codes()
    applicable = [(f, pred) for f in index.candidates(p) for pred in known[f.code].predicts if applies(pred, f, p)]
    covering: dict[str, set[str]] = {}  # field -> codes whose predictions cover it
    missing: list[str] = []
    for d in p.diffs:
        hit = [f.code for f, pred in applicable if predicts(pred, d, f, p)]
        if not hit and d.field == "redirect.location":
            # changes of different parts of a URL predicted by different findings compose: the
            # query dropped by one and the port changed by another
            parts = [(f.code, _aspects(pred, d)) for f, pred in applicable]
            parts = [(c, asp) for c, asp in parts if asp]
            union = tuple(sorted({x for _, asp in parts for x in asp}))
            if union and same_but(_location(d.old, p), _location(d.new, p), union):
                hit = [c for c, _ in parts]
        if hit:
            covering[d.field] = set(hit)
        else:
            missing.append(d.field)
    if missing:
        return [], missing
    # the fewest codes that cover every field (greedy, deterministic): a finding that predicts the
    # whole difference is named alone
    left = set(covering)
    used: list[str] = []
    while left:
        counts: dict[str, int] = {}
        for field_ in left:
            for c in covering[field_]:
                counts[c] = counts.get(c, 0) + 1
        best = min(counts, key=lambda c: (-counts[c], c))
        used.append(best)
        left = {x for x in left if best not in covering[x]}
    return sorted(used), []


# -- unmodelled behaviour --------------------------------------------------------------------

#: what a simulator reports as not modelled, by the phrase that says what it does, and the
#: compared fields it can change in the answers both simulators give (() = none: it can only
#: refuse a request, and the answers are those of a request it lets through). Anything not
#: listed may change every field.
_UNMODELLED_EFFECTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("authentication can refuse", ()),
    ("client-certificate checks can refuse", ()),
    ("client address lists can refuse", ()),
    ("rate limits can refuse", ()),
    # an implementation's external authorization (modelled as passing): when it lets a request
    # through it can only add the auth answer's headers upstream (headersToBackend); where the
    # request goes is the route's choice
    ("decides whether the request passes (not modelled", ("upstream_headers",)),
    ("the WAF can refuse", ()),
    ("CORS answers preflight OPTIONS itself and adds response headers",
     ("response_headers.access-control-", "@OPTIONS")),
    ("adds response headers", ("response_headers",)),
    # Gateway API side: latency and failure handling of the backend, TLS towards it
    ("(a slower backend gets 504; latency is not modelled)", ()),
    ("sessionPersistence (sticky backend choice", ()),
    (": retry up to ", ()),
    ("makes the gateway use TLS to Service", ()),
    ("session affinity on", ()),
    ("ResponseHeaderModifier on a redirecting rule", ("response_headers",)),
    # two routes tie and neither has a creationTimestamp: the model orders them by
    # namespace/name; ing2gw never emits such a tie (a conflict keeps only its winner), so a
    # difference there comes from the routes checked, not from the unknown creation order
    ("match with equal precedence and neither has a creationTimestamp", ()),
    # the implementation may refuse an ExternalName backendRef (500): when it accepts it, the
    # answer is the modelled one, so a difference there is real; equal answers prove nothing
    # (`undecided`)
    ("is ExternalName: support is implementation-specific", ()),
    # several RegularExpression rules match: the Gateway API model takes the longest pattern
    # first, the order ingress-nginx tries its regex locations in, which the translation relies
    # on (a finding says so); the answer is the one under that assumption
    ("also matches; the precedence of RegularExpression", ()),
    # a check that cannot be decided here and lets the request through (a client address lists
    # look at is not known, a Cloud Armor or AuthorizationPolicy condition not modelled): in
    # truth it can only refuse, and the answer compared is the one of a request it lets through.
    # Last, so that a phrase above that says more (an external authorization that adds headers)
    # is the one taken
    ("modelled as allowed)", ()),
)


def _may_change(note: str, field: str, request: Request) -> bool:
    for phrase, fields in _UNMODELLED_EFFECTS:
        if phrase in note:
            if "@OPTIONS" in fields and request.method == "OPTIONS":
                return True
            return any(field == f or field.startswith(f if f.endswith("-") else f + ".") for f in fields)
    return True


#: not-modelled behaviour that decides the whole answer: two answers that agree prove nothing
_DECISIVE = ("is ExternalName: support is implementation-specific",
             # an external authorization service decides: a policy that could refuse the request
             # is not proven equivalent by one request passing on both sides
             "decides whether the request passes (not modelled",)


def undecided(old: Answer, new: Answer) -> bool:
    """Does an answer depend on something that decides it entirely and is not modelled (a
    Gateway implementation may accept an ExternalName backendRef or refuse it)?"""
    return any(phrase in n for n in old.unmodelled + new.unmodelled for phrase in _DECISIVE)


def unverified(p: Probe, fields: Sequence[str]) -> bool:
    """Could behaviour a simulator does not model have changed every one of these fields?"""
    notes = p.old.unmodelled + p.new.unmodelled
    if not notes or not fields:
        return False
    return all(any(_may_change(n, f, p.request) for n in notes) for f in fields)
