"""The pieces every emitter module shares: the output, object names, limits, and `_build`
(every object is made there, validated through the strict models when VALIDATE_OUTPUT is set).

A leaf of `emit/`: `gateway` (routes, policies, the `emit` entry point), `listeners` (Gateways,
listeners, certificates) and `listenersets` import it, and it imports none of them, so the
package has no import cycle (tests/test_layers.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from ing2gw.findings import Finding

SOURCE_ANNOTATION = "ing2gw.io/source-ingress"
GATEWAY_API_VERSION = "gateway.networking.k8s.io/v1"  # model/gateway.py's, which tests/test_emit.py compares
#: the API server's limit on all annotations of an object (keys and values, bytes)
ANNOTATIONS_MAX_BYTES = 256 * 1024
#: validate every emitted object through the strict Gateway API models: set by the CLI when
#: $ING2GW_VALIDATE_OUTPUT is 1, and by the test suite (tests/conftest.py)
VALIDATE_OUTPUT = False
#: on Gateways: the IngressClass(es) whose Ingresses they replace (read by the equivalence check)
CLASS_ANNOTATION = "ing2gw.io/ingress-class"
MAX_RULES = 16
MAX_HOSTNAMES = 16
MAX_MATCHES = 128
MAX_LISTENERS = 64
NAME_MAX = 253


class EmitError(Exception):
    """The IR would produce an invalid object: a translator bug, reported with its context."""


def _short_hash(text: str) -> str:
    import hashlib  # on first use: most runs hash no name, and it costs ~3 % of a small run

    return hashlib.sha256(text.encode()).hexdigest()[:6]


def host_slug(host: str | None) -> str:
    """A DNS-1123-friendly rendering of a host: `*.a.com` -> `wildcard.a.com`, None -> `default`."""
    if host is None:
        return "default"
    return "wildcard." + host[2:] if host.startswith("*.") else host


def _fit(name: str, identity: str, limit: int = NAME_MAX) -> str:
    if len(name) <= limit:
        return name
    h = _short_hash(identity)
    return name[: limit - 7].rstrip("-.") + "-" + h


def allocate(wanted: Sequence[tuple[str, str]]) -> dict[str, str]:
    """identity -> unique name. `wanted` holds (identity, desired name) pairs.

    Names that would collide all get a short hash of their identity appended, so the result
    depends only on the set of identities, never on their order.
    """
    by_name: dict[str, list[str]] = defaultdict(list)
    for identity, name in wanted:
        by_name[_fit(name, identity)].append(identity)
    out: dict[str, str] = {}
    taken = set(by_name)
    for name, ids in sorted(by_name.items()):
        if len(set(ids)) == 1:
            for i in ids:
                out[i] = name
            continue
        for i in sorted(set(ids)):
            candidate = _fit(f"{name}-{_short_hash(i)}", i)
            while candidate in taken:
                candidate = _fit(f"{candidate}-{_short_hash(candidate)}", i)
            taken.add(candidate)
            out[i] = candidate
    return out


@dataclass
class Output:
    """Emitted objects as plain dicts, split by owner."""

    platform: list[dict[str, Any]] = field(default_factory=list)
    apps: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def all_objects(self) -> list[dict[str, Any]]:
        out = list(self.platform)
        for ns in sorted(self.apps):
            out.extend(self.apps[ns])
        return out


@dataclass(frozen=True)
class ClassSpec:
    """A GatewayClass to write (only for a known target or on request)."""

    name: str
    controller_name: str
    description: str | None = None


#: where a route finds a listener: (parent kind, namespace, name, sectionName)
Section = tuple[str, str, str, str]


@dataclass(frozen=True)
class EarlierGateways:
    """The Gateways an earlier run wrote (`migrate` reads them from the platform folder).

    Each hostname stays on the Gateway it was on, and the listeners that routes kept from that
    run attach to (`kept`: namespace, Gateway name, sectionName — None for a parentRef without
    one, which attaches to every listener) keep their room: `migrate` adds them back to the
    Gateway after the translation, which must leave space for them (at most 64 listeners). A
    resumed or repeated run then splits the hosts exactly as the earlier run did.
    """

    gateways: tuple[Mapping[str, Any], ...] = ()
    kept: frozenset[tuple[str, str, str | None]] = frozenset()


def _build(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """`data` as a Gateway API object of `kind`, validated through the strict model when
    VALIDATE_OUTPUT is set ($ING2GW_VALIDATE_OUTPUT=1 on the command line).

    The dicts built here are already in API shape (names, order, no None values) and valid by
    construction; the strict models (`model/gateway.py`, pydantic) are the proof of that, run by
    the test suite on every object it emits (tests/conftest.py sets the variable) and by
    tests/test_gwvalidate.py against the CRDs. A run does not pay for them by default: importing
    pydantic and building the models cost a one-Ingress `convert` more than all its other work,
    and ~40 % of the translation at 10,000 Ingresses (docs/performance.md).
    """
    data = {"apiVersion": GATEWAY_API_VERSION, "kind": kind, **data}
    if VALIDATE_OUTPUT:
        validate_built(data)
    return data


def validate_built(data: dict[str, Any]) -> None:
    """Validate an emitted object through its strict model; EmitError if ing2gw built it wrong."""
    from pydantic import ValidationError

    from ing2gw.model import gateway as gw

    try:
        getattr(gw, data["kind"]).model_validate(data)
    except ValidationError as exc:
        md = data.get("metadata", {})
        raise EmitError(f"internal error: ing2gw built an invalid {data['kind']} {md.get('namespace', '')}/"
                        f"{md.get('name', '')}: {exc}. Please report this with the input.") from exc
