"""Implementation objects as the Gateway API router reads them: policies and their targets,
filters referenced by ExtensionRef, and the Secrets and ConfigMaps they read.

Nothing here knows an implementation's semantics: `read_store` sorts the input's objects by API
group, keeps every object that has `spec.targetRef(s)` or `spec.targetSelectors` (a policy, known
or not), and decodes Secret and ConfigMap data. The target modules interpret what they own.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from ing2gw.errors import Problem
from ing2gw.load import Manifest
from ing2gw.simulate.gateway_objects import GW_GROUP, Selector, age_key

#: API groups that are Gateway API's own (read by `gateway_read`)
GATEWAY_API_GROUPS = frozenset({GW_GROUP, "gateway.networking.x-k8s.io"})


@dataclass(frozen=True, slots=True)
class TargetRef:
    """A policy's targetRef: group, kind, name and optional sectionName (same namespace)."""

    group: str
    kind: str
    name: str
    section: str | None = None

    def label(self) -> str:
        s = f" sectionName {self.section}" if self.section else ""
        return f"{self.kind} {self.name}{s}"


@dataclass(frozen=True, slots=True)
class TargetSelector:
    """A policy's targetSelectors entry: objects of `kind` in the policy's namespace whose labels
    match. `unmodelled` says what of the selector the model does not read."""

    group: str
    kind: str
    selector: Selector
    section: str | None = None
    unmodelled: str | None = None


@dataclass(frozen=True)
class PolicyObject:
    """One implementation object (a policy, a filter, a backend, parameters)."""

    group: str
    version: str
    kind: str
    namespace: str
    name: str
    age: tuple[int, float]
    spec: Mapping[str, Any]
    origin: Any
    annotations: Mapping[str, str] = field(default_factory=dict)
    target_refs: tuple[TargetRef, ...] = ()
    selectors: tuple[TargetSelector, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)

    def label(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"

    def sort_key(self) -> tuple[tuple[int, float], str, str]:
        """Oldest first, then namespace/name: the tie-break every implementation documents."""
        return (self.age, self.namespace, self.name)

    @property
    def is_policy(self) -> bool:
        return bool(self.target_refs or self.selectors)


@dataclass
class Store:
    """The implementation objects of an input, and what they read.

    `objects`: (group, kind) -> objects; `secrets` / `configmaps`: (namespace, name) -> decoded
    data (a Secret's value is None when it is not valid base64); `labels`: (kind, namespace, name)
    -> labels of Gateway API objects (for targetSelectors); `classes`: GatewayClass name ->
    (controllerName, parametersRef (group, kind, namespace, name) or None)."""

    objects: dict[tuple[str, str], list[PolicyObject]] = field(default_factory=dict)
    secrets: dict[tuple[str, str], dict[str, str | None]] = field(default_factory=dict)
    configmaps: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    secret_types: dict[tuple[str, str], str] = field(default_factory=dict)
    labels: dict[tuple[str, str, str], dict[str, str]] = field(default_factory=dict)
    annotations: dict[tuple[str, str, str], dict[str, str]] = field(default_factory=dict)
    classes: dict[str, tuple[str, tuple[str, str, str, str] | None]] = field(default_factory=dict)
    gateway_params: dict[tuple[str, str], tuple[str, str, str]] = field(default_factory=dict)
    #: (namespace, Gateway, listener name) -> the listener's tls.options (implementation-specific keys)
    listener_options: dict[tuple[str, str, str], dict[str, str]] = field(default_factory=dict)
    _index: dict[tuple[str, str, str], list[PolicyObject]] | None = field(default=None, repr=False)
    _selector_policies: list[PolicyObject] = field(default_factory=list, repr=False)

    def of(self, group: str, kind: str) -> list[PolicyObject]:
        return self.objects.get((group, kind), [])

    def get(self, group: str, kind: str, namespace: str, name: str) -> PolicyObject | None:
        for o in self.objects.get((group, kind), ()):
            if o.namespace == namespace and o.name == name:
                return o
        return None

    def attached(self, kind: str, namespace: str, name: str, section: str | None,
                 test: Callable[[PolicyObject], bool]) -> list[PolicyObject]:
        """The policies whose targetRefs (or targetSelectors) reach (kind, namespace, name) at
        `section`, each once: the targetRef index first, then the selector policies, both
        confirmed by `test` (the exact attachment rule)."""
        if self._index is None:
            self._index = {}
            self._selector_policies = []
            for p in self.policies():
                for r in p.target_refs:
                    self._index.setdefault((r.kind, p.namespace, r.name), []).append(p)
                if p.selectors:
                    self._selector_policies.append(p)
        out: list[PolicyObject] = []
        seen: set[int] = set()
        for p in self._index.get((kind, namespace, name), []) + self._selector_policies:
            if id(p) not in seen and test(p):
                seen.add(id(p))
                out.append(p)
        return out

    def groups(self) -> set[str]:
        return {g for g, _ in self.objects}

    def policies(self) -> Iterable[PolicyObject]:
        for objs in self.objects.values():
            for o in objs:
                if o.is_policy:
                    yield o


def _text_map(raw: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def _refs(spec: Mapping[str, Any]) -> tuple[TargetRef, ...]:
    raw: list[Any] = []
    if isinstance(spec.get("targetRef"), dict):
        raw.append(spec["targetRef"])
    if isinstance(spec.get("targetRefs"), list):
        raw.extend(spec["targetRefs"])
    out = []
    for r in raw:
        if isinstance(r, dict) and r.get("kind") and r.get("name"):
            section = r.get("sectionName")
            out.append(TargetRef(str(r.get("group") or ""), str(r["kind"]), str(r["name"]),
                                 str(section) if section else None))
    return tuple(out)


def _selectors(spec: Mapping[str, Any]) -> tuple[TargetSelector, ...]:
    out = []
    for s in spec.get("targetSelectors") or () if isinstance(spec.get("targetSelectors"), list) else ():
        if not isinstance(s, dict) or not s.get("kind"):
            continue
        labels = _text_map(s.get("matchLabels"))
        exprs = []
        for e in s.get("matchExpressions") or ():
            if isinstance(e, dict) and e.get("key") and e.get("operator"):
                exprs.append((str(e["key"]), str(e["operator"]), tuple(str(v) for v in e.get("values") or ())))
        why = None
        if s.get("namespaces") is not None:
            why = "targetSelectors.namespaces (selection in other namespaces) is not modelled"
        section = s.get("sectionName")
        out.append(TargetSelector(str(s.get("group") or GW_GROUP), str(s["kind"]),
                                  Selector(tuple(sorted(labels.items())), tuple(exprs)),
                                  str(section) if section else None, why))
    return tuple(out)


def _secret_data(obj: Mapping[str, Any]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    data = obj.get("data")
    if isinstance(data, dict):
        for k, v in data.items():
            try:
                out[str(k)] = base64.b64decode(str(v), validate=True).decode("utf-8", "replace")
            except (binascii.Error, ValueError):
                out[str(k)] = None
    string_data = obj.get("stringData")
    if isinstance(string_data, dict):
        # the API server merges stringData into data, stringData winning
        out.update({str(k): str(v) for k, v in string_data.items()})
    return out


def read_store(manifests: Iterable[Manifest]) -> tuple[Store, list[Problem]]:
    """Sort the input's implementation objects, Secrets and ConfigMaps into a Store."""
    store = Store()
    problems: list[Problem] = []
    for m in manifests:
        kind, group = m.kind, m.group
        md = m.obj.get("metadata") if isinstance(m.obj.get("metadata"), dict) else {}
        assert isinstance(md, dict)
        ns = str(md.get("namespace") or "default")
        name = str(md.get("name") or "")
        if group == "":
            if kind == "Secret":
                store.secrets[(ns, name)] = _secret_data(m.obj)
                store.secret_types[(ns, name)] = str(m.obj.get("type") or "Opaque")
            elif kind == "ConfigMap":
                store.configmaps[(ns, name)] = _text_map(m.obj.get("data"))
            continue
        if group in GATEWAY_API_GROUPS:
            labels = _text_map(md.get("labels"))
            store.labels[(kind, ns, name)] = labels
            store.annotations[(kind, ns, name)] = _text_map(md.get("annotations"))
            spec = m.obj.get("spec") if isinstance(m.obj.get("spec"), dict) else {}
            assert isinstance(spec, dict)
            if kind == "GatewayClass":
                pref = spec.get("parametersRef")
                params = None
                if isinstance(pref, dict) and pref.get("kind") and pref.get("name"):
                    params = (str(pref.get("group") or ""), str(pref["kind"]), str(pref.get("namespace") or ""),
                              str(pref["name"]))
                store.classes[name] = (str(spec.get("controllerName") or ""), params)
                continue
            if kind == "Gateway":
                infra = spec.get("infrastructure") if isinstance(spec.get("infrastructure"), dict) else {}
                assert isinstance(infra, dict)
                pref = infra.get("parametersRef")
                if isinstance(pref, dict) and pref.get("kind") and pref.get("name"):
                    store.gateway_params[(ns, name)] = (str(pref.get("group") or ""), str(pref["kind"]),
                                                        str(pref["name"]))
                for li in spec.get("listeners") or []:
                    tls = li.get("tls") if isinstance(li, dict) else None
                    if isinstance(tls, dict) and isinstance(tls.get("options"), dict):
                        store.listener_options[(ns, name, str(li.get("name") or ""))] = _text_map(tls["options"])
            if not (_refs(spec) or _selectors(spec)) or kind == "BackendTLSPolicy":
                continue  # Gateway API's own kinds, read by gateway_read
        spec = m.obj.get("spec")
        if spec is not None and not isinstance(spec, dict):
            problems.append(Problem(m.origin.file, m.origin.line, f"{kind} {ns}/{name}: spec must be a mapping"))
            continue
        spec = spec or {}
        version = m.api_version.rpartition("/")[2]
        obj = PolicyObject(group, version, kind, ns, name, age_key(md.get("creationTimestamp")), spec, m.origin,
                           _text_map(md.get("annotations")), _refs(spec), _selectors(spec))
        store.objects.setdefault((group, kind), []).append(obj)
    for objs in store.objects.values():
        objs.sort(key=PolicyObject.sort_key)
    return store, problems
