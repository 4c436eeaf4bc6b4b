"""Validating objects and files: what the API server does with each object on create.

Order (apiextensions-apiserver's customresource strategy): the version must be served; metadata
is checked; a status is dropped when the version has a status subresource; unknown fields are
pruned, non-nullable nulls dropped, defaults applied; then the OpenAPI value validations and the
list-type uniqueness checks; the CEL rules run only if none of those errors is blocking
(Unsupported/Required/TooLong/TooMany/TypeInvalid), as hasBlockingErr decides.

One lint goes beyond the API server and says so: an IP address as an HTTPRoute/GRPCRoute or
listener hostname (forbidden by the Gateway API spec, not enforced by these CRDs) is a warning.
"""

from __future__ import annotations

import ipaddress
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .crds import Registry
from .findings import Finding
from .gostd import go_quote
from .objectmeta import check_metadata
from .rules import Converter, RuleBook, run_rules
from .structural import blocking, list_type_errors, normalize, schema_errors
from .yamlio import InputError, as_json, expand, input_files, load_documents

DATA = Path(__file__).resolve().parents[1] / "data" / "gateway-api"
STANDARD_CRDS = DATA / "crds" / "standard"
EXPERIMENTAL_CRDS = DATA / "crds" / "experimental"
IMPLEMENTATIONS = DATA / "implementations"


def implementation_crd_folders() -> list[Path]:
    """Every implementations/<name>/crds folder (Envoy Gateway, kgateway, Istio, ...)."""
    return sorted(IMPLEMENTATIONS.glob("*/crds"))


@dataclass(frozen=True)
class Record:
    """A finding about one object of one file."""

    file: str
    doc: str
    object: str
    finding: Finding

    def line(self) -> str:
        f = self.finding
        prefix = "" if f.severity == "error" else f"{f.severity}: "
        return f"{self.file}:{self.doc} {self.object}: {prefix}{f.line()}"

    def as_dict(self) -> dict[str, Any]:
        f = self.finding
        return {"file": self.file, "doc": self.doc, "object": self.object, "severity": f.severity,
                "path": f.path, "message": f.message, **({"rule": f.rule} if f.rule else {})}


@dataclass
class Report:
    """Everything one run found."""

    records: list[Record] = field(default_factory=list)
    input_errors: list[str] = field(default_factory=list)
    objects: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def count(self, severity: str) -> int:
        return sum(r.finding.severity == severity for r in self.records)

    def ok(self) -> bool:
        """No errors, no unevaluated rules, no unreadable input."""
        return not (self.count("error") or self.count("unevaluated") or self.input_errors)


class Validator:
    """Validates Kubernetes objects against the CRDs of a registry."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.book = RuleBook()

    def validate_object(self, raw: dict[str, Any]) -> list[Finding]:
        """The findings for one object (not mutated: a JSON copy is validated)."""
        obj = as_json(raw)
        group, _, version = str(obj.get("apiVersion", "")).rpartition("/")
        kind = str(obj.get("kind", ""))
        versions = self.registry.kinds.get((group, kind), {})
        v = versions.get(version)
        if v is None or not v.served:
            served = ", ".join(f"{group}/{n}" for n, x in sorted(versions.items()) if x.served)
            return [Finding("error", "apiVersion", f"no matches for kind {go_quote(kind)} in version "
                            f"{go_quote(str(obj.get('apiVersion')))}"
                            + (f" (served: {served})" if served else " (no CRD of this kind is loaded)"), "NotFound")]
        out: list[Finding] = []
        if v.deprecated:
            out.append(Finding("warning", "apiVersion", v.deprecation_warning or f"{v.api_version} {kind} is deprecated"))
        out += check_metadata(obj, v.namespaced)
        if v.status_subresource and obj.pop("status", None) is not None:
            out.append(Finding("warning", "status", "status is ignored on create (the kind has a status subresource)"))
        normalize(obj, v.schema, "", out, root=True)
        schema = schema_errors(v.validator, obj)
        out += schema
        out += list_type_errors(obj, v.schema, "")
        out += _ip_hostnames(obj)
        if blocking(schema):
            out.append(Finding("note", "", "CEL rules not evaluated: the errors above are blocking "
                                           "(the API server skips the rules too)"))
        else:
            run_rules(obj, v.schema, "", self.book, Converter(), out, root=True)
        return out

    def validate_files(self, paths: list[Path], report: Report | None = None) -> Report:
        """Validate every object of every file under these paths (objects of groups no loaded
        CRD defines are skipped and counted)."""
        report = report or Report()
        start = time.perf_counter()
        for path in input_files(paths):
            try:
                docs = load_documents(path)
            except InputError as e:
                report.input_errors.append(str(e))
                continue
            for i, (doc, dups) in enumerate(docs):
                for dup, line in dups:
                    report.records.append(Record(str(path), str(i), "-", Finding(
                        "warning", f"line {line}", f"duplicate key {dup!r}: the last one is used here, "
                                                   "but YAML parsers disagree (kubectl may refuse the file)")))
                for docid, obj in expand(doc, str(i)):
                    self._one(path, docid, obj, report)
        report.seconds += time.perf_counter() - start
        return report

    def _one(self, path: Path, docid: str, obj: Any, report: Report) -> None:
        if not (isinstance(obj, dict) and isinstance(obj.get("apiVersion"), str) and isinstance(obj.get("kind"), str)):
            report.skipped["(not a Kubernetes object)"] += 1
            return
        api = obj["apiVersion"]
        if api.rpartition("/")[0] not in self.registry.groups:
            report.skipped[f"{api}/{obj['kind']}"] += 1
            return
        report.objects += 1
        meta = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
        ident = f"{obj['kind']}/{meta.get('namespace') or ''}/{meta.get('name') or '?'}"
        for f in self.validate_object(obj):
            report.records.append(Record(str(path), docid, ident, f))


def _ip_hostnames(obj: dict[str, Any]) -> list[Finding]:
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    assert isinstance(spec, dict)
    found: list[tuple[str, Any]] = []
    if obj.get("kind") in ("HTTPRoute", "GRPCRoute") and isinstance(spec.get("hostnames"), list):
        found += [(f"spec.hostnames[{i}]", h) for i, h in enumerate(spec["hostnames"])]
    for i, listener in enumerate(spec.get("listeners") or [] if obj.get("kind") in ("Gateway", "ListenerSet") else []):
        if isinstance(listener, dict):
            found.append((f"spec.listeners[{i}].hostname", listener.get("hostname")))
    out = []
    for path, host in found:
        try:
            ipaddress.ip_address(host)
        except (ValueError, TypeError):
            continue
        out.append(Finding("warning", path, f"IP address {host!r} as hostname: forbidden by the Gateway API spec but "
                                            "not by the CRD (lint, not an API server check)"))
    return out
