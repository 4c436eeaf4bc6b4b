"""A router that follows only the Kubernetes Ingress specification (networking.k8s.io/v1).

What the spec defines is modelled: hosts (exact, or `*.` matching exactly one label, compared
case-insensitively without the port), `Exact` and element-wise `Prefix` paths with the longest
match winning (Exact before Prefix on equal length), and `defaultBackend` for requests that no
rule matches. What it leaves to the controller is answered with a stated assumption and flagged:

* a rule without host applies to every host, so the rules of all hosts that match the request
  (exact, wildcard, none) compete on path length; on equal length Exact beats Prefix, then the
  more specific host form, then the oldest Ingress (noted when this tie-break decides);
* `ImplementationSpecific` paths are matched as Prefix and reported in `unmodelled`;
* annotations change behaviour in every real controller: those of the deciding Ingress are
  reported in `unmodelled`;
* ties the spec does not order (same path in several Ingresses, several defaultBackends) go to
  the oldest Ingress (then namespace/name) with a note;
* a missing Service or one without ready endpoints answers 503, no match and no defaultBackend
  404 (what most controllers do), with a note.

No class filter is applied: every Ingress in the input is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Sequence

from ing2gw.load import Manifest
from ing2gw.simulate.ingress_objects import Backend, Ingress, read_ingress_inputs
from ing2gw.simulate.request import Answer, BackendRef, ClusterContext, Request, Share, proxied

#: Annotations that tools add and no controller reads.
HARMLESS_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/last-applied-configuration",
                                  "meta.helm.sh/release-name", "meta.helm.sh/release-namespace"})
_EPOCH = datetime(1, 1, 1, tzinfo=timezone.utc)
_SPECIFICITY = {"exact": 0, "wildcard": 1, "any": 2}


@dataclass(frozen=True, slots=True)
class _Path:
    ingress: Ingress
    order: int                 # position of the Ingress, oldest first
    host_form: str             # "exact", "wildcard" or "any" (rule without host)
    rule_host: str
    path: str
    path_type: str
    elements: tuple[str, ...]  # Prefix: the path split on '/', empty elements dropped
    backend: Backend

    def matches(self, req_path: str, req_elements: tuple[str, ...]) -> bool:
        if self.path_type == "Exact":
            return req_path == self.path
        return req_elements[:len(self.elements)] == self.elements

    @property
    def length(self) -> int:
        """The length the spec's "longest matching path" compares (trailing '/' ignored)."""
        return len(self.path.rstrip("/")) if self.path_type != "Exact" else len(self.path)


class GenericRouter:
    """The Ingress spec as a router: no controller-specific behaviour."""

    def __init__(self, manifests: Sequence[Manifest], context: ClusterContext) -> None:
        self.context = context
        inputs = read_ingress_inputs(manifests)
        self.services = inputs.services
        ings = sorted(sorted(inputs.ingresses, key=lambda i: i.key), key=lambda i: i.created or _EPOCH)
        self.by_exact: dict[str, list[_Path]] = {}
        self.by_wildcard: dict[str, list[_Path]] = {}
        self.hostless: list[_Path] = []
        self.defaults = [(i, i.default_backend) for i in ings if i.default_backend is not None]
        for order, ing in enumerate(ings):
            for rule in ing.rules:
                for p in rule.paths or ():
                    path = p.path or "/"
                    if rule.host.startswith("*."):
                        form, bucket = "wildcard", self.by_wildcard.setdefault(rule.host[2:], [])
                    elif rule.host:
                        form, bucket = "exact", self.by_exact.setdefault(rule.host, [])
                    else:
                        form, bucket = "any", self.hostless
                    elements = tuple(e for e in path.split("/") if e)
                    bucket.append(_Path(ing, order, form, rule.host or "*", path, p.path_type, elements, p.backend))

    def route(self, request: Request) -> Answer:
        """Where `request` goes under the Ingress spec."""
        notes: list[str] = []
        unmodelled: list[str] = []
        raw = request.host or ""
        host = (raw.split("]", 1)[0] + "]" if raw.startswith("[") else raw.split(":", 1)[0]).lower()
        req_path = request.path
        req_elements = tuple(e for e in req_path.split("/") if e)
        candidates = list(self.by_exact.get(host, ()))
        dot = host.find(".")
        if dot > 0:
            candidates += self.by_wildcard.get(host[dot + 1:], ())
        candidates += self.hostless
        if any(c.path_type == "ImplementationSpecific" for c in candidates):
            unmodelled.append("pathType ImplementationSpecific is matched as Prefix; its meaning is up to the "
                              "controller")
        matching = [c for c in candidates if c.matches(req_path, req_elements)]
        if matching:
            matching.sort(key=lambda c: (-c.length, c.path_type != "Exact", _SPECIFICITY[c.host_form], c.order))
            best = matching[0]
            rivals = [c for c in matching[1:] if c.length == best.length and
                      (c.path_type == "Exact") == (best.path_type == "Exact")]
            if rivals:
                notes.append(f"{len(rivals)} other rule(s) match with the same path length; the spec does not say "
                             f"which wins: the more specific host, then the oldest Ingress ({best.ingress.key}) "
                             "is assumed")
            self._annotations(best.ingress, unmodelled)
            decided: tuple[tuple[str, str], ...] = (("ingress", best.ingress.key), ("rule", best.rule_host),
                                                    ("path", f"{best.path_type} {best.path}"))
            return self._to_backend(request, best.ingress, best.backend, decided, notes, unmodelled)
        if self.defaults:
            ing, backend = self.defaults[0]
            if len(self.defaults) > 1:
                notes.append(f"{len(self.defaults)} Ingresses have a defaultBackend; the spec does not say which "
                             f"serves unmatched requests: the oldest ({ing.key}) is assumed")
            self._annotations(ing, unmodelled)
            assert backend is not None
            decided = (("ingress", ing.key), ("rule", "defaultBackend"))
            return self._to_backend(request, ing, backend, decided, notes, unmodelled)
        notes.append("no rule matches and no Ingress has a defaultBackend: the controller's own default backend "
                     "answers (404 assumed)")
        return Answer(404, generated_by="default-backend-404", unmodelled=tuple(unmodelled), notes=tuple(notes))

    @staticmethod
    def _annotations(ing: Ingress, unmodelled: list[str]) -> None:
        for k in sorted(ing.annotations):
            if k not in HARMLESS_ANNOTATIONS:
                unmodelled.append(f"annotation {k} ({ing.key}): its effect depends on the controller")

    def _to_backend(self, request: Request, ing: Ingress, backend: Backend, decided: tuple[tuple[str, str], ...],
                    notes: list[str], unmodelled: list[str]) -> Answer:
        svc = backend.service
        if svc is None:
            unmodelled.append(f"resource backend {backend.resource}: what it serves depends on the controller")
            return Answer(503, generated_by="resource-backend", decided_by=decided, unmodelled=tuple(unmodelled),
                          notes=tuple(notes))
        s = self.services.get(f"{ing.namespace}/{svc.name}")
        ready = self.context.ready_endpoints(ing.namespace, svc.name, s is not None)
        port: int | str = svc.port
        if s is not None and (sp := s.find_port(svc.port)) is not None:
            port = sp.port
        ref = BackendRef(ing.namespace, svc.name, port)
        if not ready:
            what = "does not exist" if ready is None else "has no ready endpoints"
            notes.append(f"Service {ing.namespace}/{svc.name} {what}: the spec does not say what happens "
                         "(503 assumed)")
            return Answer(503, generated_by="no-endpoints", decided_by=decided, unmodelled=tuple(unmodelled),
                          notes=tuple(notes))
        return proxied([Share(ref, 1.0)], upstream_path=request.target, upstream_host=request.host,
                       decided_by=decided, unmodelled=tuple(dict.fromkeys(unmodelled)), notes=tuple(notes))
