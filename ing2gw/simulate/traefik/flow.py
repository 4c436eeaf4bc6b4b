"""A request on its way through Traefik: the URL, Host and headers middlewares change, and what
the proxy adds to the response.

Headers follow Go's `http.Header`: names are canonical (`X-Forwarded-Prefix`), a name holds a
list of values, `Set` replaces them, `Add` appends, `Del` removes. The Host header is not among
them (Go keeps it in `Request.Host`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ing2gw.simulate.request import Redirect
from ing2gw.simulate.traefik.gourl import GoURL
from ing2gw.simulate.traefik.rules import canonical_header_key


class Headers:
    """Go http.Header with first-appearance order kept for output."""

    __slots__ = ("_d",)

    def __init__(self, pairs: tuple[tuple[str, str], ...] = ()) -> None:
        self._d: dict[str, list[str]] = {}
        for k, v in pairs:
            self._d.setdefault(canonical_header_key(k), []).append(v)

    def get(self, name: str) -> str:
        vals = self._d.get(canonical_header_key(name))
        return vals[0] if vals else ""

    def values(self, name: str) -> list[str]:
        return list(self._d.get(canonical_header_key(name), ()))

    def has(self, name: str) -> bool:
        return canonical_header_key(name) in self._d

    def set(self, name: str, value: str) -> None:
        self._d[canonical_header_key(name)] = [value]

    def add(self, name: str, value: str) -> None:
        self._d.setdefault(canonical_header_key(name), []).append(value)

    def delete(self, name: str) -> None:
        self._d.pop(canonical_header_key(name), None)

    def names(self) -> list[str]:
        return list(self._d)

    def as_dict(self) -> dict[str, list[str]]:
        return self._d

    def pairs(self) -> tuple[tuple[str, str], ...]:
        """(lower-case name, value) for every value, as answers carry them."""
        return tuple((k.lower(), v) for k, vals in self._d.items() for v in vals)


@dataclass
class Response:
    """An answer a middleware (or Traefik itself) gives instead of proxying."""

    status: int
    generated_by: str
    redirect: Redirect | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    decided_by: tuple[str, str] | None = None


@dataclass(slots=True)
class Flow:
    """The request as the middlewares see and change it."""

    url: GoURL
    request_uri: str
    host: str
    method: str
    tls: bool
    headers: Headers
    client_ip: str | None
    port: int
    #: response header changes, in middleware order: (op "set"/"del", name, value)
    response_ops: list[list[tuple[str, str, str]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unmodelled: list[str] = field(default_factory=list)
    upstream_status: int | None = None

    def response_headers(self, base: list[tuple[str, str]] | None = None) -> tuple[tuple[str, str], ...]:
        """The headers the proxy adds to a response: modifiers of inner middlewares run first."""
        out: dict[str, str] = {}
        for name, value in base or ():
            out[name.lower()] = value
        for ops in reversed(self.response_ops):
            for op, name, value in ops:
                if op == "del":
                    if out.pop(name.lower(), None) is None:
                        self.notes.append(f"a middleware removes the response header {name} if the backend sets it")
                else:
                    out[name.lower()] = value
        return tuple(out.items())
