"""Requests, answers and cluster facts shared by every simulator (the common JSON contract).

Both routers (ingress side and Gateway API side) take a `Request` and a `ClusterContext` and
return an `Answer`; the equivalence check compares two Answers. Nothing here knows about any
controller or about the translator.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field, replace
from types import EllipsisType
from typing import Any, Iterable, Literal, Mapping
from urllib.parse import urlsplit

from ing2gw.errors import InputError, Problem

DEFAULT_PORTS = {"http": 80, "https": 443}


class RequestError(ValueError):
    """A request line or URL that cannot be parsed."""


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request as a client sends it.

    `host` is the Host header exactly as sent (case, `:port` and a trailing dot kept), or None
    when the client sends none. `port` is the port the connection arrives on. `target` is the
    raw request-target (path plus optional `?query`), never normalised. `headers` are the other
    request headers, in order, names as given. `sni` is the TLS server name (https only).

    `client_ip` is the address the connection comes from (the TCP peer the proxy sees), in its
    normalised text form, or None when unknown. Allow- and deny-lists decide on it (after the
    proxy's own X-Forwarded-For / real-IP handling, which reads `headers`); an answer that
    depends on an unknown address says so in `unmodelled`. Credentials are ordinary headers
    (`Authorization`). In a request line it is written `| @client=203.0.113.7`, in a JSON
    request as `"client": "203.0.113.7"` (see `parse_line`). `no_client_cert`: the client
    presents no TLS client certificate (`| @no-client-cert`, JSON `"clientCert": false`).
    """

    method: str = "GET"
    scheme: str = "http"
    host: str | None = None
    port: int = 80
    target: str = "/"
    headers: tuple[tuple[str, str], ...] = ()
    sni: str | None = None
    client_ip: str | None = None
    #: the client presents no certificate when the server asks for one (`@no-client-cert`);
    #: otherwise a proxy that asks for one is modelled as getting a valid certificate
    no_client_cert: bool = False
    #: the client offers only this TLS version ("1.0".."1.3"; https only; `| @tls=1.1`, JSON
    #: `"tlsVersion"`); None: a modern client offering TLS 1.2 and 1.3 with common suites
    tls_version: str | None = None
    #: the client offers only this TLS 1.0-1.2 cipher suite, OpenSSL name (`| @cipher=NAME`, JSON
    #: `"tlsCipher"`; model/tls_suites.py); None: common suites
    tls_cipher: str | None = None

    @property
    def path(self) -> str:
        """The raw path, without the query."""
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> str | None:
        """The raw query string without '?', or None when the target has no '?'."""
        parts = self.target.split("?", 1)
        return parts[1] if len(parts) == 2 else None

    def header(self, name: str) -> str | None:
        """First value of a header (case-insensitive name), or None."""
        n = name.lower()
        for k, v in self.headers:
            if k.lower() == n:
                return v
        return None

    def header_values(self, name: str) -> list[str]:
        n = name.lower()
        return [v for k, v in self.headers if k.lower() == n]

    def cookies(self) -> dict[str, str]:
        """Cookies from every Cookie header (first occurrence of a name wins)."""
        out: dict[str, str] = {}
        for raw in self.header_values("cookie"):
            for part in raw.split(";"):
                if "=" in part:
                    k, v = part.split("=", 1)
                    out.setdefault(k.strip(), v.strip())
        return out

    def query_params(self) -> list[tuple[str, str]]:
        """Query parameters in order, names and values as sent (not decoded)."""
        q = self.query
        if not q:
            return []
        out = []
        for part in q.split("&"):
            if not part:
                continue
            k, _, v = part.partition("=")
            out.append((k, v))
        return out

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"method": self.method, "scheme": self.scheme, "host": self.host,
                             "port": self.port, "target": self.target}
        if self.headers:
            d["headers"] = [[k, v] for k, v in self.headers]
        if self.sni is not None:
            d["sni"] = self.sni
        if self.client_ip is not None:
            d["client"] = self.client_ip
        if self.no_client_cert:
            d["clientCert"] = False
        if self.tls_version is not None:
            d["tlsVersion"] = self.tls_version
        if self.tls_cipher is not None:
            d["tlsCipher"] = self.tls_cipher
        return d

    def url(self) -> str:
        """The request written as a URL (for messages and reports)."""
        return f"{self.scheme}://{self.host or ''}{self.target}"

    def describe(self) -> str:
        hs = "".join(f" | {k}: {v}" for k, v in self.headers)
        client = f" | @client={self.client_ip}" if self.client_ip is not None else ""
        cert = " | @no-client-cert" if self.no_client_cert else ""
        tls = (f" | @tls={self.tls_version}" if self.tls_version is not None else "") + \
            (f" | @cipher={self.tls_cipher}" if self.tls_cipher is not None else "")
        return f"{self.method} {self.url()}{hs}{client}{cert}{tls}"

    @classmethod
    def from_url(cls, method: str, url: str, headers: Iterable[tuple[str, str]] = (),
                 sni: str | None | EllipsisType = ..., port: int | None = None,
                 client_ip: str | None = None) -> "Request":
        """Build a request from 'https://Host:port/path?query'.

        A `Host` entry in `headers` overrides the Host header (the connection still goes to the
        URL's port). The SNI defaults to the URL host for https. `client_ip` is the connection's
        source address (see the class docstring); it must be an IPv4 or IPv6 address.
        """
        if not method or not method.replace("-", "").isalpha():
            raise RequestError(f"invalid HTTP method {method!r}")
        try:
            parts = urlsplit(url)
        except ValueError as exc:
            raise RequestError(f"cannot parse URL {url!r}: {exc}") from None
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise RequestError(f"URL {url!r} must start with http:// or https://")
        if not parts.netloc:
            raise RequestError(f"URL {url!r} has no host")
        authority = parts.netloc.rsplit("@", 1)[-1]
        try:
            url_port = parts.port
        except ValueError:
            raise RequestError(f"URL {url!r} has an invalid port") from None
        conn_port = port or url_port or DEFAULT_PORTS[scheme]
        # the raw target: everything after the authority, never normalised
        after = url.split("://", 1)[1]
        slash = min((i for i in (after.find("/"), after.find("?")) if i != -1), default=-1)
        target = after[slash:] if slash != -1 else "/"
        if target.startswith("?"):
            target = "/" + target
        if "#" in target:
            target = target.split("#", 1)[0]
        hdrs = []
        host: str | None = authority
        for k, v in headers:
            if not k or any(c in k for c in " :\t\r\n"):
                raise RequestError(f"invalid header name {k!r}")
            if k.lower() == "host":
                host = v
            else:
                hdrs.append((k, v))
        sni_v: str | None
        if isinstance(sni, EllipsisType):
            sni_v = (parts.hostname or None) if scheme == "https" else None
        else:
            sni_v = sni
        return cls(method=method.upper(), scheme=scheme, host=host, port=conn_port, target=target,
                   headers=tuple(hdrs), sni=sni_v, client_ip=parse_client(client_ip))

    @classmethod
    def parse_line(cls, line: str) -> "Request":
        """Parse 'METHOD URL | Name: value | ... | @client=ADDRESS' or a JSON object
        {"method", "url", "headers", "client"}.

        A part that starts with `@` is a property of the connection, not a header (no header
        name starts with `@`): `@client=ADDRESS` is the client address (`client_ip`).
        """
        line = line.strip()
        if line.startswith("{"):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise RequestError(f"invalid JSON request: {exc.msg}") from None
            except RecursionError:
                raise RequestError("invalid JSON request: nested too deeply") from None
            return cls.from_json(obj)
        head, *hparts = line.split(" | ")
        fields = head.split()
        if len(fields) == 1 and "://" in fields[0]:
            method, url = "GET", fields[0]
        elif len(fields) == 2:
            method, url = fields
        else:
            raise RequestError(f"expected 'METHOD URL', got {head!r}")
        hdrs: list[tuple[str, str]] = []
        client: str | None = None
        no_cert = False
        tls: dict[str, str] = {}
        for part in hparts:
            if part.lstrip().startswith("@"):
                key, sep, value = part.strip()[1:].partition("=")
                if key.strip() == "no-client-cert" and not sep:
                    no_cert = True
                    continue
                if key.strip() in ("tls", "cipher") and sep:
                    tls[key.strip()] = value.strip()
                    continue
                if key.strip() != "client" or not sep:
                    raise RequestError(f"unknown request property {part.strip()!r}; known: @client=ADDRESS, "
                                       "@no-client-cert, @tls=VERSION, @cipher=NAME")
                client = value.strip()
            else:
                hdrs.append(parse_header(part))
        req = cls.from_url(method, url, hdrs, client_ip=client)
        if no_cert:
            req = replace(req, no_client_cert=True)
        return _with_tls(req, tls.get("tls"), tls.get("cipher"))

    @classmethod
    def from_json(cls, obj: Any) -> "Request":
        if not isinstance(obj, dict) or "url" not in obj:
            raise RequestError('a JSON request needs at least {"url": ...}')
        raw_headers = obj.get("headers") or {}
        if isinstance(raw_headers, dict):
            hdrs = [(str(k), str(v)) for k, v in raw_headers.items()]
        elif isinstance(raw_headers, list):
            hdrs = [(str(k), str(v)) for k, v in raw_headers]
        else:
            raise RequestError("headers must be an object or a list of [name, value] pairs")
        kwargs: dict[str, Any] = {}
        if "sni" in obj:
            kwargs["sni"] = obj["sni"]
        if "port" in obj:
            kwargs["port"] = int(obj["port"])
        if obj.get("client") is not None:
            if not isinstance(obj["client"], str):
                raise RequestError('"client" must be an IP address string')
            kwargs["client_ip"] = obj["client"]
        req = cls.from_url(str(obj.get("method") or "GET"), str(obj["url"]), hdrs, **kwargs)
        if obj.get("clientCert") is False:
            req = replace(req, no_client_cert=True)
        version, cipher = obj.get("tlsVersion"), obj.get("tlsCipher")
        return _with_tls(req, None if version is None else str(version), None if cipher is None else str(cipher))


#: the TLS versions a request may offer (`Request.tls_version`)
TLS_VERSIONS = ("1.0", "1.1", "1.2", "1.3")


def _with_tls(req: Request, version: str | None, cipher: str | None) -> Request:
    """The request offering only that TLS version and cipher suite (https only)."""
    if version is None and cipher is None:
        return req
    if req.scheme != "https":
        raise RequestError("@tls and @cipher describe a TLS handshake: only for https:// requests")
    if version is not None and version not in TLS_VERSIONS:
        raise RequestError(f"@tls={version}: the version is one of {', '.join(TLS_VERSIONS)}")
    if cipher is not None and version == "1.3":
        raise RequestError("@cipher names a TLS 1.0-1.2 suite: not with @tls=1.3")
    return replace(req, tls_version=version if version is not None else ("1.2" if cipher else None), tls_cipher=cipher)


def parse_client(text: str | None) -> str | None:
    """A client address as the simulators compare it (`ipaddress` text form), or None."""
    if text is None:
        return None
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        raise RequestError(f"client address {text!r} is not an IPv4 or IPv6 address") from None


def parse_header(text: str) -> tuple[str, str]:
    """'Name: value' -> (name, value)."""
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise RequestError(f"expected a header 'Name: value', got {text!r}")
    return name.strip(), value.strip()


# ---------------------------------------------------------------------------------------------
# Answers


@dataclass(frozen=True, slots=True, order=True)
class BackendRef:
    """A Service port that receives traffic. `port` is a number, or a port name when unresolved."""

    namespace: str
    name: str
    port: int | str | None
    #: the DNS name (or address) of an upstream outside the cluster (an ExternalName Service, an
    #: implementation's Backend object): what the proxy connects to, whichever object named it;
    #: None for a Service with endpoints
    host: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"namespace": self.namespace, "name": self.name, "port": self.port}
        if self.host is not None:
            d["host"] = self.host
        return d

    def __str__(self) -> str:
        # an external upstream is the same upstream whichever object (Service, Backend) named it:
        # answers are compared by this text (simulate/compare.py)
        if self.host is not None:
            return f"external {self.host}:{self.port}"
        return f"{self.namespace}/{self.name}:{self.port}"


@dataclass(frozen=True, slots=True)
class Share:
    """A share of the traffic for this request: to a backend, or answered with an error status
    (`backend` None, `status` e.g. 500 for an invalid backendRef). `weight` is a fraction 0..1."""

    backend: BackendRef | None
    weight: float
    status: int | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = self.backend.to_dict() if self.backend else {"namespace": None, "name": None, "port": None}
        d["weight"] = round(self.weight, 6)
        if self.status is not None:
            d["status"] = self.status
        return d


@dataclass(frozen=True, slots=True)
class Redirect:
    location: str
    status: int

    def to_dict(self) -> dict[str, Any]:
        return {"location": self.location, "status": self.status}


#: how an `Answer.unmodelled` entry starts when the answer depends on who the client is, by a
#: setting the simulator does not model (the controller's allow-lists, authentication, firewall):
#: such an answer proves nothing, even when both sides agree (`depends_on_access`)
ACCESS_UNMODELLED = "access not modelled: "


def depends_on_access(answer: "Answer") -> bool:
    """Whether an answer depends on an access decision the simulator does not model."""
    return any(u.startswith(ACCESS_UNMODELLED) for u in answer.unmodelled)


@dataclass(frozen=True, slots=True)
class Answer:
    """What happens to one request.

    * `status`: the status the client gets (for a proxied request, 200 stands for "whatever the
      backend answers").
    * `backend`: the Service that receives the request (the largest share when traffic splits),
      or None when the proxy answers itself.
    * `backends`: every share, with weights; one entry when there is no split.
    * `redirect`: Location and status when the proxy redirects.
    * `upstream_path` / `upstream_host`: request-target and Host header the backend receives.
    * `upstream_headers`: request headers the backend sees after filters (lower-case names).
    * `response_headers`: headers the proxy adds to or sets on the response (lower-case names).
    * `generated_by`: why the proxy answered itself (e.g. `default-backend-404`, `redirect`,
      `ssl-redirect`, `no-route`, `invalid-backend`).
    * `decided_by`: which objects decided (gateway/listener/route/rule, or ingress/server/location).
    * `unmodelled`: behaviours this answer depends on that the simulator does not model; an
      answer with entries here is not a proof of anything.
    * `body`: the response body when the proxy answers with a configured one (a direct
      response), else None (in `to_dict` only when set).
    * `upstream_tls`: how the proxy reaches the backend of a proxied request, "tls" or "plain";
      None when the model does not know (compared only when both sides know; in `to_dict` only
      when set). ingress-nginx: backend-protocol; the Gateway: a BackendTLSPolicy or the
      implementation's own TLS setting for the Service port (gateway_policies Effects.tls).
    """

    status: int
    backend: BackendRef | None = None
    backends: tuple[Share, ...] = ()
    redirect: Redirect | None = None
    upstream_path: str | None = None
    upstream_host: str | None = None
    upstream_headers: tuple[tuple[str, str], ...] = ()
    response_headers: tuple[tuple[str, str], ...] = ()
    mirrored_to: tuple[BackendRef, ...] = ()
    generated_by: str | None = None
    decided_by: tuple[tuple[str, str], ...] = ()
    unmodelled: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    body: str | None = None
    upstream_tls: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "status": self.status,
            "backend": self.backend.to_dict() if self.backend else None,
            "backends": [s.to_dict() for s in self.backends],
            "redirect": self.redirect.to_dict() if self.redirect else None,
            "upstream_path": self.upstream_path,
            "upstream_host": self.upstream_host,
            "upstream_headers": dict(self.upstream_headers),
            "response_headers": dict(self.response_headers),
            "mirrored_to": [b.to_dict() for b in self.mirrored_to],
            "generated_by": self.generated_by,
            "decided_by": dict(self.decided_by),
            "unmodelled": list(self.unmodelled),
            "notes": list(self.notes),
        }
        if self.body is not None:
            d["body"] = self.body
        if self.upstream_tls is not None:
            d["upstream_tls"] = self.upstream_tls
        return d


def proxied(backends: Iterable[Share], **kwargs: Any) -> Answer:
    """An Answer for a proxied request: `backend` is the largest share (first on ties)."""
    shares = tuple(backends)
    best = shares[0] if len(shares) == 1 else max(shares, key=lambda s: s.weight, default=None)
    status = 200
    if best is not None and best.backend is None:
        status = best.status or 500
    return Answer(status=kwargs.pop("status", status), backend=best.backend if best else None,
                  backends=shares, **kwargs)


# ---------------------------------------------------------------------------------------------
# Cluster facts that manifests cannot carry


@dataclass(frozen=True, slots=True)
class SecretFact:
    """A TLS Secret that exists: the DNS names its certificate covers, or invalid (no cert/key)."""

    dns_names: tuple[str, ...] = ()
    invalid: bool = False


@dataclass(frozen=True)
class ClusterContext:
    """Facts about the cluster that the manifests do not carry.

    `services`: "assume" (default) — every Service a route or Ingress references exists and has
    `default_endpoints` ready endpoints, unless `endpoints` says otherwise; "input" — only the
    Services present in the input exist (with `default_endpoints` unless `endpoints` says
    otherwise). `secrets`: "assume" (default) — every referenced TLS Secret exists and covers the
    hosts it is listed for; "input" — only the Secrets in `secret_facts` exist.
    `nginx_flags` / `nginx_configmap`: ingress-nginx controller flags and ConfigMap values.
    `traefik`: Traefik's static configuration (see `simulate/traefik/static.py`).
    `haproxy_flags`: the HAProxy controller's arguments (None: its Helm chart's).
    """

    services: Literal["assume", "input"] = "assume"
    default_endpoints: int = 1
    endpoints: Mapping[str, int] = field(default_factory=dict)
    secrets: Literal["assume", "input"] = "assume"
    secret_facts: Mapping[str, SecretFact] = field(default_factory=dict)
    nginx_flags: tuple[str, ...] = ()
    nginx_configmap: Mapping[str, str] = field(default_factory=dict)
    traefik: Mapping[str, Any] = field(default_factory=dict)
    haproxy_flags: tuple[str, ...] | None = None

    def ready_endpoints(self, namespace: str, name: str, exists_in_input: bool) -> int | None:
        """Ready endpoints of a Service, or None when the Service does not exist."""
        key = f"{namespace}/{name}"
        if key in self.endpoints:
            return int(self.endpoints[key])
        if self.services == "input" and not exists_in_input:
            return None
        return self.default_endpoints

    def service_exists(self, namespace: str, name: str, exists_in_input: bool) -> bool:
        if exists_in_input:
            return True
        if self.services == "assume":
            return True
        return f"{namespace}/{name}" in self.endpoints

    def secret(self, namespace: str, name: str) -> SecretFact | None:
        """Facts about a Secret, or None when it does not exist.

        Under "assume", an unknown Secret exists with no recorded DNS names: callers treat it
        as covering the hosts it is used for.
        """
        key = f"{namespace}/{name}"
        if key in self.secret_facts:
            return self.secret_facts[key]
        return SecretFact() if self.secrets == "assume" else None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<context>") -> "ClusterContext":
        """Build from a context file's content (see `--context` in `ing2gw simulate --help`)."""
        known = {"services", "defaultEndpoints", "endpoints", "secrets", "nginx", "traefik", "haproxy"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError([Problem(source, 0, f"unknown context key(s): {', '.join(unknown)}; "
                                                 f"known: {', '.join(sorted(known))}")])
        services = data.get("services", "assume")
        if services not in ("assume", "input"):
            raise InputError([Problem(source, 0, "services must be 'assume' or 'input'")])
        raw_secrets = data.get("secrets", "assume")
        secrets_mode: Literal["assume", "input"] = "assume"
        facts: dict[str, SecretFact] = {}
        if isinstance(raw_secrets, dict):
            secrets_mode = "input"
            for k, v in raw_secrets.items():
                v = v or {}
                facts[str(k)] = SecretFact(dns_names=tuple(v.get("dnsNames") or ()), invalid=bool(v.get("invalid")))
        elif raw_secrets not in ("assume", "input"):
            raise InputError([Problem(source, 0, "secrets must be 'assume', 'input' or a mapping of Secrets")])
        else:
            secrets_mode = raw_secrets
        nginx = data.get("nginx") or {}
        haproxy = data.get("haproxy") or {}
        if not isinstance(haproxy, Mapping) or not isinstance(haproxy.get("flags") or [], list):
            raise InputError([Problem(source, 0, "haproxy must be a mapping with `flags`: the HAProxy controller's "
                                                 "arguments, e.g. {flags: [--ingress.class=haproxy]}")])
        traefik = data.get("traefik") or {}
        if not isinstance(traefik, Mapping):
            raise InputError([Problem(source, 0, "traefik must be a mapping: Traefik's static configuration "
                                                 "(entryPoints, providers, ...)")])
        return cls(
            services=services,
            default_endpoints=int(data.get("defaultEndpoints", 1)),
            endpoints={str(k): int(v) for k, v in (data.get("endpoints") or {}).items()},
            secrets=secrets_mode,
            secret_facts=facts,
            nginx_flags=tuple(str(f) for f in nginx.get("flags") or ()),
            nginx_configmap={str(k): str(v) for k, v in (nginx.get("configmap") or {}).items()},
            traefik=dict(traefik),
            haproxy_flags=tuple(str(f) for f in haproxy["flags"]) if haproxy.get("flags") else None,
        )
