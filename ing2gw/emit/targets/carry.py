"""Does target T carry intent I (with these parameters)? The one place that answers it.

A provider says what an Ingress *wants* in the vocabulary of `mappings/intents.yaml` (an intent
and its parameters); the answer comes from the target's table (`mappings/targets/<t>.yaml`):
an intent is carried when its row is marked `generated` (an emitter in this package writes
that policy) and the parameters are within what the emitter can express (`LIMITS`). A provider
never names a target's resources itself, and the tables are never keyed by annotation.

This module reads only the tables and the IR vocabulary, so providers may ask it (the one
import from `emit` that tests/test_layers.py allows them) without building anything.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from ing2gw import mappings

#: intent parameters as a provider passes them (name -> value)
Params = Mapping[str, str]
#: a limit of one target for one intent: the reason the parameters cannot be carried, or None
Limit = Callable[[Params], "str | None"]


@dataclass(frozen=True)
class Verdict:
    """The answer for one intent: whether the target's policy is written, as what, and why not."""

    target: str
    intent: str
    carried: bool
    #: the resources that carry it ("SecurityPolicy", ...), from the table; "" when not carried
    becomes: str = ""
    #: why it is not carried (parameters out of reach, or no generated row); "" when carried
    why_not: str = ""
    #: what stays lost although the policy is written (the table's `lost`), for the findings
    lost: str = ""

    def __bool__(self) -> bool:
        return self.carried


def _basic_auth_eg(params: Params) -> str | None:
    if params.get("type", "basic") != "basic":
        return f"auth-type {params.get('type')!r}: Envoy Gateway's basicAuth checks Basic credentials only"
    if params.get("secret-type", "auth-file") != "auth-file":
        return (f"a credentials Secret of type {params.get('secret-type')!r} (a key per user) cannot be referenced: "
                "Envoy Gateway reads one htpasswd file under the key .htpasswd")
    if not params.get("secret"):
        return "no credentials Secret is named"
    if params.get("cross-namespace"):
        return ("the credentials Secret is in another namespace: the policy would need a ReferenceGrant there, which "
                "ing2gw does not write (it would open that namespace's Secret to the route's namespace)")
    return None


def _external_auth_eg(params: Params) -> str | None:
    if params.get("signin"):
        return "auth-signin (a redirect to a sign-in page instead of the 401) has no extAuth counterpart"
    if not params.get("service"):
        return (f"the auth URL {params.get('url', '')!r} is not a cluster Service (http://NAME.NAMESPACE.svc/path "
                "without a query): extAuth.http calls a backendRef (a Backend object for an external host, by hand)")
    if params.get("scheme") != "http":
        return "an https auth URL needs TLS settings for the auth Service that ing2gw does not write"
    if params.get("service-namespace") != params.get("namespace"):
        return ("the auth Service is in another namespace: the policy would need a ReferenceGrant there, which "
                "ing2gw does not write")
    return None


def _rate_limit_eg(params: Params) -> str | None:
    for key in ("per-second", "per-minute"):
        v = params.get(key)
        if v is not None and (not v.isdigit() or int(v) < 1 or int(v) > 2 ** 32 - 1):
            return f"a limit of {v!r} requests is not a positive whole number"
    if params.get("exempt"):
        return ("limit-allowlist exempts client ranges from the limit; the local rate limit rules ing2gw writes "
                "count every client")
    return None


def _body_size_eg(params: Params) -> str | None:
    if "invalid" in params:
        return f"{params['invalid']!r} is not a size"
    return None  # 0 (no limit) is carried by writing no policy at all


def _session_affinity_eg(params: Params) -> str | None:
    if params.get("type") != "cookie" or not params.get("cookie"):
        return f"affinity {params.get('type')!r}: only cookie affinity has a consistent-hash counterpart"
    if "invalid" in params:
        return f"{params['invalid']} is not a number of seconds Envoy Gateway's cookie ttl can hold"
    return None


def _load_balancing_eg(params: Params) -> str | None:
    if "algorithm" in params and "hash" not in params:
        return f"load-balance {params['algorithm']!r}: ing2gw writes Envoy Gateway consistent hashes only"
    if params.get("overridden"):
        return "affinity is set too, and nginx's sticky balancer replaces the hash (the affinity policy is written)"
    if params.get("subset"):
        return "upstream-hash-by-subset hashes onto a subset of endpoints and balances inside it; a consistent hash " \
               "picks one endpoint"
    if params.get("hash") not in ("source-ip", "header", "cookie", "query"):
        return (f"the hash key {params.get('key', '')!r} is not one client address, header, cookie or query "
                "parameter variable: Envoy Gateway hashes on those only")
    return None


def _regex_rewrite_eg(params: Params) -> str | None:
    target = params.get("target", "")
    if "?" in target:
        return "a target with a query string (nginx replaces the arguments; the filter rewrites the path only)"
    if re.search(r"\$(?![1-9])", target):
        return "a target with nginx variables other than capture groups ($1..$9)"
    try:
        groups = re.compile(params.get("pattern", "")).groups
    except re.error:
        return "a pattern ing2gw cannot read"
    if any(int(n) > groups for n in re.findall(r"\$([1-9])", target)):
        return "a target naming capture groups the path does not have"
    return None


def _regex_rewrite_kgateway(params: Params) -> str | None:
    # TrafficPolicy urlRewrite.pathRegex is Envoy's regex_rewrite, as Envoy Gateway's filter; its
    # CRD caps pattern and substitution at 1024 characters (the pattern written is `(?i)^<path>.*`)
    if len(params.get("pattern", "")) > 1000 or len(params.get("target", "")) > 1000:
        return "a pattern or target longer than the TrafficPolicy's 1024 characters"
    if not params.get("target"):
        return "an empty target (urlRewrite.pathRegex.substitution must not be empty)"
    return _regex_rewrite_eg(params)


def _client_certificate_eg(params: Params) -> str | None:
    if not params.get("secret"):
        return "no CA Secret is named"
    if params.get("verify") not in ("on", "optional"):
        return (f"auth-tls-verify-client {params.get('verify')!r}: only on (RequireAndVerify) and optional "
                "(VerifyIfGiven) are written")
    return None


def _certificate_forwarding_eg(params: Params) -> str | None:
    if not params.get("ca"):
        return ("without auth-tls-secret ingress-nginx verifies no client certificate and sends no ssl-client-cert "
                "header: there is nothing to forward")
    return None


def _timeout_eg(params: Params) -> str | None:
    v = params.get("connect", "")
    if not v.isdigit() or int(v) < 1:
        return f"proxy-connect-timeout {v!r} is not a positive number of seconds"
    if int(v) > 99999 * 3600:
        return f"proxy-connect-timeout {v} s is longer than a Gateway duration can say"
    return None


#: proxy_next_upstream conditions -> Envoy Gateway retryOn triggers (an HTTP status: retriable-status-codes)
RETRY_TRIGGERS = {"error": ("connect-failure", "reset"), "timeout": ("connect-failure", "reset")}


def _retry_eg(params: Params) -> str | None:
    words = params.get("conditions", "").split()
    tries = params.get("tries", "3")
    if not tries.isdigit():
        return f"proxy-next-upstream-tries {tries!r} is not a number"
    if "off" in words or tries == "1":
        return None  # no retry, which is Envoy Gateway's default: no policy is written
    if tries == "0":
        return "proxy-next-upstream-tries 0 means unlimited tries; Envoy Gateway's numRetries is a number"
    other = [w for w in words if w not in RETRY_TRIGGERS and w != "non_idempotent"
             and not (w.startswith("http_") and w[5:] in ("500", "502", "503", "504", "403", "404", "429"))]
    if other:
        return f"the condition {other[0]!r} has no retry trigger"
    if "non_idempotent" not in words:
        return ("Envoy Gateway's retry has no method condition: it would retry POST, LOCK and PATCH requests, "
                "which nginx never passes to another server unless non_idempotent is listed")
    return None


def _basic_auth_kgateway(params: Params) -> str | None:
    if params.get("type", "basic") != "basic":
        return f"auth-type {params.get('type')!r}: kgateway's basicAuth checks Basic credentials only"
    if params.get("secret-type", "auth-file") != "auth-file":
        return (f"a credentials Secret of type {params.get('secret-type')!r} (a key per user) cannot be referenced: "
                "kgateway reads one htpasswd file from one key")
    if not params.get("secret"):
        return "no credentials Secret is named"
    if params.get("cross-namespace"):
        return ("the credentials Secret is in another namespace: the policy would need a ReferenceGrant there, which "
                "ing2gw does not write")
    return None


def _body_size_kgateway(params: Params) -> str | None:
    if params.get("bytes") == "0":
        return "a size of 0 means no limit, which needs no policy"
    reason = _body_size_eg(params)
    if reason is None and int(params.get("bytes", "0")) >= 4 * 1024 ** 3:
        return "kgateway's buffer.maxRequestSize must stay below 4Gi"
    return reason


def nginx_size(n: int) -> str | None:
    """`n` bytes spelled exactly in NGINX Gateway Fabric's size syntax (`^\\d{1,4}(k|m|g)?$`, the
    largest unit that divides it), or None when no spelling is exact."""
    if n == 0:
        return "0"  # no limit
    for unit, factor in (("g", 1024 ** 3), ("m", 1024 ** 2), ("k", 1024), ("", 1)):
        if n % factor == 0 and n // factor < 10000:
            return f"{n // factor}{unit}"
    return None


def _body_size_ngf(params: Params) -> str | None:
    if "invalid" in params:
        return f"{params['invalid']!r} is not a size"
    if nginx_size(int(params.get("bytes", "0"))) is None:
        return (f"{params.get('quantity')} has no exact spelling in ClientSettingsPolicy's size syntax (at most four "
                "digits, then k, m or g)")
    return None


def _basic_auth_ngf(params: Params) -> str | None:
    if params.get("type", "basic") != "basic":
        return f"auth-type {params.get('type')!r}: an AuthenticationFilter of type Basic checks Basic credentials only"
    if params.get("secret-type", "auth-file") != "auth-file":
        return (f"a credentials Secret of type {params.get('secret-type')!r} (a key per user) cannot be referenced: "
                "the AuthenticationFilter reads one htpasswd file under the key auth")
    if not params.get("secret"):
        return "no credentials Secret is named"
    if params.get("cross-namespace"):
        return "the credentials Secret is in another namespace: an AuthenticationFilter references its own namespace only"
    return None


def _rate_limit_ngf(params: Params) -> str | None:
    for key in ("per-second", "per-minute"):
        v = params.get(key)
        if v is not None and (not v.isdigit() or int(v) < 1):
            return f"a limit of {v!r} requests is not a positive whole number"
    if params.get("exempt"):
        return ("limit-allowlist exempts client ranges from the limit; a RateLimitPolicy key cannot leave clients "
                "out (ingress-nginx uses a geo map)")
    return None


def _session_affinity_istio(params: Params) -> str | None:
    if params.get("type") != "cookie" or not params.get("cookie"):
        return f"affinity {params.get('type')!r}: only cookie affinity has a consistentHash.httpCookie counterpart"
    if "invalid" in params:
        return f"{params['invalid']} is not a number of seconds a DestinationRule cookie ttl can hold"
    return None


#: ingress-nginx's load-balance -> DestinationRule loadBalancer.simple (EWMA has no Envoy
#: counterpart; LEAST_REQUEST, which also prefers the endpoint with fewer requests in flight, is
#: the closest: ING2GW-TARGET-026 says so)
ISTIO_SIMPLE = {"round_robin": "ROUND_ROBIN", "ewma": "LEAST_REQUEST"}


def _load_balancing_istio(params: Params) -> str | None:
    if params.get("overridden"):
        return "affinity is set too, and nginx's sticky balancer replaces it (the affinity policy is written)"
    if "hash" not in params and "algorithm" in params:
        if params["algorithm"] not in ISTIO_SIMPLE:
            return f"load-balance {params['algorithm']!r} is not round_robin or ewma"
        return None
    if params.get("subset"):
        return "upstream-hash-by-subset hashes onto a subset of endpoints and balances inside it; a consistent hash " \
               "picks one endpoint"
    if params.get("hash") not in ("source-ip", "header", "cookie", "query"):
        return (f"the hash key {params.get('key', '')!r} is not one client address, header, cookie or query "
                "parameter variable: a DestinationRule consistentHash takes one of those")
    return None


def _external_auth_istio(params: Params) -> str | None:
    if params.get("signin"):
        return "auth-signin (a redirect to a sign-in page instead of the 401) has no envoyExtAuthzHttp counterpart"
    if not params.get("service"):
        return (f"the auth URL {params.get('url', '')!r} is not a cluster Service (http://NAME.NAMESPACE.svc/path "
                "without a query): a mesh extension provider names a Service")
    if params.get("scheme") != "http":
        return "an https auth URL needs TLS origination to the auth Service (a DestinationRule) that ing2gw does not write"
    return None


def _load_balancing_ngf(params: Params) -> str | None:
    if params.get("overridden"):
        return "affinity is set too, and nginx's sticky balancer replaces the hash and the algorithm"
    if "hash" not in params and "algorithm" in params:
        if params["algorithm"] != "round_robin":
            return (f"load-balance {params['algorithm']!r}: NGINX Open Source has no latency-weighted balancer "
                    "(least_time needs NGINX Plus)")
        return None
    if params.get("subset"):
        return "upstream-hash-by-subset hashes onto a subset of endpoints; nginx's hash picks one endpoint"
    if params.get("hash") not in ("source-ip", "header", "cookie", "query") or \
            not re.fullmatch(r"\$[a-z_]+", params.get("key", "")):
        return (f"the hash key {params.get('key', '')!r} is not one nginx variable of lower-case letters and '_' "
                "(UpstreamSettingsPolicy hashMethodKey)")
    return None


def _snippet_ngf(params: Params) -> str | None:
    if params.get("context") not in ("http.server.location", "http.server"):
        return f"a snippet for nginx context {params.get('context')!r} has no SnippetsFilter place ing2gw writes"
    if not params.get("accepted"):
        return (f"a SnippetsFilter passes the text to NGF's nginx unreviewed: ing2gw writes it only when the loss is "
                f"accepted with --allow-weakened {params.get('key', 'KEY')}")
    return None


def _basic_auth_traefik(params: Params) -> str | None:
    if params.get("type", "basic") != "basic":
        return f"auth-type {params.get('type')!r}: Traefik's basicAuth checks Basic credentials only"
    if params.get("secret-type", "auth-file") != "auth-file":
        return (f"a credentials Secret of type {params.get('secret-type')!r} (a key per user) cannot be referenced: "
                "Traefik's basicAuth reads htpasswd lines from a Secret's single key")
    if not params.get("secret"):
        return "no credentials Secret is named"
    if params.get("cross-namespace"):
        return "the credentials Secret is in another namespace: a Middleware reads Secrets of its own namespace only"
    return None


#: the longest lb_cookie stickiness an ALB target group takes (stickiness.lb_cookie.duration_seconds)
ALB_STICKINESS_MAX = 604800


def _session_affinity_aws(params: Params) -> str | None:
    if params.get("type") != "cookie":
        return f"affinity {params.get('type')!r}: only cookie affinity has a target group stickiness counterpart"
    if "invalid" in params:
        return f"{params['invalid']} is not a number of seconds"
    seconds = params.get("max-age") or params.get("expires")
    if seconds is not None and not 1 <= int(seconds) <= ALB_STICKINESS_MAX:
        return (f"a cookie lifetime of {seconds}s: the ALB's stickiness cookie lasts between 1 second and 7 days "
                f"({ALB_STICKINESS_MAX}s)")
    return None


#: GKE's GCPBackendPolicy sessionAffinity.cookieTtlSec range (the v1.4.0 CRD: 0 = a session cookie)
GKE_MAX_COOKIE_TTL = 1209600


def _session_affinity_gke(params: Params) -> str | None:
    if params.get("type") != "cookie":
        return f"affinity {params.get('type')!r}: only cookie affinity has a GENERATED_COOKIE counterpart"
    if "invalid" in params:
        return f"{params['invalid']} is not a number of seconds"
    ttl = params.get("max-age") or params.get("expires") or "0"
    if int(ttl) > GKE_MAX_COOKIE_TTL:
        return (f"a cookie lifetime of {ttl} s is longer than GKE's cookieTtlSec allows ({GKE_MAX_COOKIE_TTL} s, "
                "two weeks)")
    return None


def _timeout_gke(params: Params) -> str | None:
    if "connect" in params:
        # the rule's read/send timeouts reach GKE as the rule timeout (ir.Rule.timeouts), not as
        # this intent; the intent is proxy-connect-timeout's, which GKE has no field for
        return ("GKE's GCPBackendPolicy timeoutSec bounds the whole backend response; it has no connect "
                "timeout")
    return None


def _load_balancing_gke(params: Params) -> str | None:
    if params.get("overridden"):
        return "affinity is set too, and nginx's sticky balancer replaces the hash (the affinity policy is written)"
    if params.get("subset"):
        return "upstream-hash-by-subset hashes onto a subset of endpoints; CLIENT_IP affinity picks one endpoint"
    if params.get("hash") != "source-ip":
        return (f"the hash key {params.get('key', '')!r} is not the client address: GKE's GCPBackendPolicy "
                "sessionAffinity hashes on the client address (CLIENT_IP) or its own cookie only")
    return None


#: target -> intents its emitter is given although it does not carry them, to name in an error
#: finding exactly what the user must create by hand (GKE: the Cloud Armor policy of a rate limit,
#: which lives in the Google Cloud project and can only be referenced by name)
REPORTS: dict[str, frozenset[str]] = {
    "gke": frozenset({"rate-limit"}),
}


def reports(target: str | None, intent: str) -> bool:
    """True when `target`'s emitter wants `intent` although it does not carry it (REPORTS)."""
    return intent in REPORTS.get(target or "", frozenset())
def _rate_limit_traefik(params: Params) -> str | None:
    if not any(k in params for k in ("per-second", "per-minute")):
        return "no per-second or per-minute limit is given (a Traefik rateLimit is not re-written from its own fields)"
    for key in ("per-second", "per-minute"):
        v = params.get(key)
        if v is not None and (not v.isdigit() or int(v) < 1 or int(v) > 2 ** 31 - 1):
            return f"a limit of {v!r} requests is not a positive whole number"
    if params.get("exempt"):
        return ("limit-allowlist exempts client ranges from the limit; a rateLimit Middleware counts every client "
                "(sourceCriterion picks the key, not who is counted)")
    return None


def _external_auth_traefik(params: Params) -> str | None:
    if params.get("signin"):
        return "auth-signin redirects a 401 to a sign-in page; forwardAuth returns the auth service's answer as it is"
    url = params.get("url", "")
    if "$" in url:
        return f"the auth URL {url!r} holds nginx variables; forwardAuth calls one fixed address"
    if not params.get("service"):
        return (f"the auth URL {url!r} is not a cluster Service (http://NAME.NAMESPACE.svc/path without a query), "
                "whose address Traefik reaches as nginx did")
    if params.get("scheme") != "http":
        return ("an https auth URL: nginx does not verify the auth service's certificate and forwardAuth does; "
                "ing2gw does not write forwardAuth.tls")
    return None


def _regex_rewrite_traefik(params: Params) -> str | None:
    if "target" not in params:
        return "a Traefik replacePathRegex read from the source is not re-written (its place among the middlewares)"
    return _regex_rewrite_eg(params)


#: proxy_next_upstream conditions Traefik's retry Middleware has: a connection that fails before
#: the request is sent (error, and timeout of the connect), and response statuses
TRAEFIK_RETRY_STATUS = ("500", "502", "503", "504", "403", "404", "429")


def _retry_traefik(params: Params) -> str | None:
    words = params.get("conditions", "").split()
    tries = params.get("tries", "3")
    if not tries.isdigit():
        return f"proxy-next-upstream-tries {tries!r} is not a number"
    if "off" in words or tries == "1":
        return None  # no retry, Traefik's default: no Middleware is written
    if tries == "0":
        return "proxy-next-upstream-tries 0 means unlimited tries; Traefik's retry attempts is a number"
    other = [w for w in words if w not in ("error", "timeout", "non_idempotent")
             and not (w.startswith("http_") and w[5:] in TRAEFIK_RETRY_STATUS)]
    if other:
        return f"the condition {other[0]!r} has no counterpart in Traefik's retry Middleware"
    if not [w for w in words if w not in ("non_idempotent",)]:
        return "no condition to retry on"
    return None


def _external_auth_kgateway(params: Params) -> str | None:
    if params.get("signin"):
        return "auth-signin (a redirect to a sign-in page instead of the 401) has no extAuth counterpart"
    if not params.get("service"):
        return (f"the auth URL {params.get('url', '')!r} is not a cluster Service (http://NAME.NAMESPACE.svc/path "
                "without a query): a GatewayExtension's httpService calls a backendRef")
    if params.get("scheme") != "http":
        return "an https auth URL needs TLS settings for the auth Service that ing2gw does not write"
    if params.get("service-namespace") != params.get("namespace"):
        return ("the auth Service is in another namespace: the GatewayExtension would need a ReferenceGrant there, "
                "which ing2gw does not write")
    return None


def _session_affinity_kgateway(params: Params) -> str | None:
    if params.get("type") != "cookie" or not params.get("cookie"):
        return f"affinity {params.get('type')!r}: only cookie affinity has a ring-hash counterpart"
    if "invalid" in params:
        return f"{params['invalid']} is not a number of seconds a cookie ttl can hold"
    return None


def _load_balancing_kgateway(params: Params) -> str | None:
    if params.get("hash") == "query":
        return f"the hash key {params.get('key', '')!r} is a query parameter: kgateway hashes on headers, cookies " \
               "and the client address only"
    return _load_balancing_eg(params)


def _backend_tls_common(params: Params) -> str | None:
    if params.get("verify") != "false":
        return "only TLS without verification is this intent's (a verifying one is a standard BackendTLSPolicy)"
    if params.get("client-secret"):
        return (f"proxy-ssl-secret {params['client-secret']} makes ingress-nginx present a client certificate to the "
                "backend; ing2gw does not write a client certificate for TLS without verification")
    if params.get("sni") == "$proxy_host":
        return ("proxy-ssl-server-name on without proxy-ssl-name sends nginx's generated upstream name as SNI, "
                "which no target can reproduce")
    return None


def _backend_tls_kgateway(params: Params) -> str | None:
    return _backend_tls_common(params)


def _backend_tls_istio(params: Params) -> str | None:
    return _backend_tls_common(params)


def _backend_tls_aws(params: Params) -> str | None:
    if params.get("protocol") != "https":
        return ("GRPCS: ing2gw writes the target group protocol HTTPS for HTTP/1 backends only (a gRPC target group "
                "needs protocolVersion GRPC, which the ALB serves behind an HTTPS listener only)")
    if params.get("client-secret"):
        return (f"proxy-ssl-secret {params['client-secret']} makes ingress-nginx present a client certificate to the "
                "backend; the ALB presents none to its targets")
    if params.get("sni"):
        return "proxy-ssl-server-name sends an SNI name; the ALB's connection to a target has no settable SNI"
    return _backend_tls_common(params)


#: (target, intent) -> the limits of that target's emitter; a row not listed takes any parameters
def _external_backend_eg(params: Params) -> str | None:
    """Envoy Gateway accepts a Backend's FQDN endpoint only for a DNS name of two labels or more
    that is not an IP address (internal/gatewayapi/backend.go, validateHostname)."""
    host = params.get("host", "")
    if not params.get("port"):
        return "the Ingress names a Service port the ExternalName Service does not list"
    if re.fullmatch(r"[0-9.]+|[0-9a-f:]*:[0-9a-f:.]*", host):
        return f"the external name {host!r} is an IP address, which an FQDN endpoint refuses"
    if "." not in host:
        return (f"the external name {host!r} is a single label, which Envoy Gateway refuses as an FQDN endpoint "
                "(it wants a domain with at least two segments)")
    return None


def external_backend_name(service: str, port: int) -> str:
    """The name of the Backend object a target's emitter writes for one port of an ExternalName
    Service (in the Service's namespace); providers name it in their findings."""
    return f"{service[:253 - 6]}-{port}"


def _external_backend_kgateway(params: Params) -> str | None:
    if not params.get("port"):
        return "the Ingress names a Service port the ExternalName Service does not list"
    return None


def _client_ip_xff_or_proxy(params: Params) -> str | None:
    """client-ip for a target whose setting takes trusted ranges and recursion, or the PROXY
    protocol: not a custom header (Envoy Gateway's customHeader trusts it from any peer and takes
    one address), and the PROXY protocol only while every IPv4 peer is trusted (nginx uses the
    peer's address when the load balancer is not in proxy-real-ip-cidr)."""
    if not params.get("trusted"):
        return "proxy-real-ip-cidr holds no range nginx can read"
    if params.get("source") == "header":
        return (f"forwarded-for-header {params.get('header')!r}: a custom header is trusted from every peer and read "
                "as one address, where nginx trusts it from proxy-real-ip-cidr and walks its list")
    if params.get("source") == "proxy-protocol" and "0.0.0.0/0" not in params.get("trusted", "").split(","):
        return ("use-proxy-protocol with proxy-real-ip-cidr narrower than 0.0.0.0/0: nginx keeps the load balancer's "
                "address when it is not trusted, the Gateway always takes the PROXY header's")
    return None


def _client_ip_ngf(params: Params) -> str | None:
    """client-ip on NGINX Gateway Fabric: its NginxProxy renders the same realip directives, for
    X-Forwarded-For or the PROXY protocol only."""
    if not params.get("trusted"):
        return "proxy-real-ip-cidr holds no range nginx can read"
    if params.get("source") == "header":
        return (f"forwarded-for-header {params.get('header')!r}: rewriteClientIP reads X-Forwarded-For or the PROXY "
                "protocol only")
    return None


def _listener_tls_eg(params: Params) -> str | None:
    """ClientTrafficPolicy tls takes a version range and BoringSSL suite names
    (emit/targets/listener_tls.py)."""
    if params.get("ciphers-unmodelled"):
        return (f"the cipher string {params['ciphers-unmodelled']!r} uses OpenSSL keywords, which ing2gw does not "
                "expand into suite names")
    if params.get("protocols-unmodelled"):
        return f"ssl-protocols {params['protocols-unmodelled']!r} names a protocol nginx does not know"
    versions = [v for v in params.get("versions", "").split(",") if v]
    if params.get("scope") == "gateway" and not versions:
        return "no TLS version is left that nginx can negotiate"
    order = ["1.0", "1.1", "1.2", "1.3"]
    if versions and versions != order[order.index(versions[0]):order.index(versions[0]) + len(versions)]:
        return f"the versions {', '.join(versions)} are not a range (minVersion/maxVersion express ranges only)"
    # `boringssl`: the suites of the list BoringSSL implements (providers normalise it)
    if params.get("ciphers") and not params.get("boringssl"):
        return f"none of the suites {params['ciphers']} is one BoringSSL implements"
    return None


def _listener_tls_kgateway(params: Params) -> str | None:
    """The Gateway listeners' tls.options (kgateway_listener.py): the ConfigMap's settings only."""
    if params.get("scope") == "host":
        return ("ing2gw writes kgateway's listener tls.options for the ConfigMap's settings only, not for one host's "
                "listener")
    return _listener_tls_eg(params)


def _health_check_kgateway(params: Params) -> str | None:
    if params.get("type") != "http":
        return "kgateway's healthCheck probes over HTTP or gRPC only: a TCP connect check has no form there"
    return None


def _health_check_gke(params: Params) -> str | None:
    if params.get("type") == "http" and params.get("method") != "GET":
        return (f"Google's HTTP health check sends GET only; HAProxy sent {params.get('method')} (check-http without "
                "a method sends OPTIONS)")
    for key in ("interval-ms", "read-timeout-ms"):
        ms = int(params.get(key, "1000"))
        if ms % 1000 or not 1000 <= ms <= 300000:
            return f"{ms} ms is not a whole number of seconds from 1 to 300, which HealthCheckPolicy takes"
    if int(params.get("read-timeout-ms", "0")) > int(params.get("interval-ms", "0")):
        return "timeout-check is longer than check-interval, which Google health checks refuse"
    return None


def _health_check_aws(params: Params) -> str | None:
    if params.get("type") != "http" or params.get("method") != "GET":
        return ("an Application Load Balancer's target group health check is an HTTP GET: HAProxy's "
                + ("TCP connect check" if params.get("type") != "http" else f"{params.get('method')} request")
                + " has no form there (check-http without a method sends OPTIONS)")
    interval, timeout = int(params.get("interval-ms", "0")), int(params.get("read-timeout-ms", "-1"))
    if interval % 1000 or not 5000 <= interval <= 300000:
        return f"check-interval {interval} ms is not a whole number of seconds from 5 to 300 (the ALB's interval)"
    if timeout < 0:
        return ("without timeout-check HAProxy's check timeout is the interval; the ALB's timeout must be shorter "
                "than its interval")
    if timeout % 1000 or not 2000 <= timeout < interval or timeout > 120000:
        return (f"timeout-check {timeout} ms is not a whole number of seconds from 2 to 120 shorter than the "
                "interval (the ALB's timeout)")
    return None


LIMITS: dict[tuple[str, str], Limit] = {
    ("envoy-gateway", "listener-tls"): _listener_tls_eg,
    ("kgateway", "listener-tls"): _listener_tls_kgateway,
    ("aws", "health-check"): _health_check_aws,
    ("gke", "health-check"): _health_check_gke,
    ("kgateway", "health-check"): _health_check_kgateway,
    ("envoy-gateway", "external-backend"): _external_backend_eg,
    ("kgateway", "external-backend"): _external_backend_kgateway,
    ("envoy-gateway", "client-ip"): _client_ip_xff_or_proxy,
    ("nginx-gateway-fabric", "client-ip"): _client_ip_ngf,
    ("kgateway", "client-ip"): _client_ip_xff_or_proxy,
    ("envoy-gateway", "basic-auth"): _basic_auth_eg,
    ("envoy-gateway", "external-auth"): _external_auth_eg,
    ("envoy-gateway", "rate-limit"): _rate_limit_eg,
    ("envoy-gateway", "body-size-limit"): _body_size_eg,
    ("envoy-gateway", "session-affinity"): _session_affinity_eg,
    ("envoy-gateway", "load-balancing"): _load_balancing_eg,
    ("envoy-gateway", "regex-rewrite"): _regex_rewrite_eg,
    ("envoy-gateway", "client-certificate"): _client_certificate_eg,
    ("envoy-gateway", "retry"): _retry_eg,
    ("envoy-gateway", "client-certificate-forwarding"): _certificate_forwarding_eg,
    ("envoy-gateway", "timeout"): _timeout_eg,
    ("istio", "session-affinity"): _session_affinity_istio,
    ("istio", "backend-tls"): _backend_tls_istio,
    ("kgateway", "backend-tls"): _backend_tls_kgateway,
    ("aws", "backend-tls"): _backend_tls_aws,
    ("istio", "load-balancing"): _load_balancing_istio,
    ("istio", "external-auth"): _external_auth_istio,
    ("kgateway", "basic-auth"): _basic_auth_kgateway,
    ("kgateway", "body-size-limit"): _body_size_kgateway,
    ("kgateway", "external-auth"): _external_auth_kgateway,
    ("kgateway", "session-affinity"): _session_affinity_kgateway,
    ("kgateway", "load-balancing"): _load_balancing_kgateway,
    ("kgateway", "retry"): _retry_eg,
    ("nginx-gateway-fabric", "body-size-limit"): _body_size_ngf,
    ("nginx-gateway-fabric", "rate-limit"): _rate_limit_ngf,
    ("nginx-gateway-fabric", "basic-auth"): _basic_auth_ngf,
    ("nginx-gateway-fabric", "snippet"): _snippet_ngf,
    ("nginx-gateway-fabric", "load-balancing"): _load_balancing_ngf,
    ("traefik", "basic-auth"): _basic_auth_traefik,
    ("traefik", "body-size-limit"): _body_size_eg,
    ("aws", "session-affinity"): _session_affinity_aws,
    ("gke", "session-affinity"): _session_affinity_gke,
    ("gke", "timeout"): _timeout_gke,
    ("gke", "load-balancing"): _load_balancing_gke,
    ("traefik", "rate-limit"): _rate_limit_traefik,
    ("traefik", "external-auth"): _external_auth_traefik,
    ("traefik", "regex-rewrite"): _regex_rewrite_traefik,
    ("kgateway", "regex-rewrite"): _regex_rewrite_kgateway,
    ("traefik", "retry"): _retry_traefik,
}


#: targets that try every RegularExpression path match after the Exact ones and before every
#: PathPrefix, longer patterns first and routes in order on ties (Envoy Gateway v1.9:
#: internal/gatewayapi/sort.go sorts each listener's routes Exact > RegularExpression >
#: PathPrefix, then by the pattern's length, with sort.Stable), so a catch-all regex rule of a
#: host whose paths are all regexes is tried last, as nginx's root location `~* ^/` is. NGINX
#: Gateway Fabric v2 renders every rule of a host into one nginx server whose path rules it sorts
#: longest path first (internal/controller/state/dataplane/sort.go sortPathRules: "critical for
#: regex locations where NGINX uses config-file order"); nginx tries `location =` first and its
#: regex locations in that order, so the catch-all `(?i)^/.*`, shorter than any other pattern of
#: the host, is tried last there too (ties, which it never has, go by path text, not route order)
REGEX_BY_LENGTH: frozenset[str] = frozenset({"envoy-gateway", "nginx-gateway-fabric"})


#: targets that cannot answer without a backend but whose route authentication runs before a
#: rule without backendRefs (which Gateway API answers 500): for a basic-auth host's root
#: location (providers/ingress_nginx/features.py) they get that rule, so unmatched paths still
#: ask for credentials (the 500 after valid ones is ING2GW-TARGET-024's for Traefik,
#: ING2GW-TARGET-079's for NGINX Gateway Fabric). NGF v2 proxies a rule without valid backends to
#: its `invalid-backend-ref` upstream, a server answering 500 (internal/controller/nginx/config/
#: split_clients.go backendGroupName, upstreams.go): proxy_pass runs in nginx's content phase,
#: after the location's auth_basic (access phase), so a request without credentials gets 401
ROOT_WITHOUT_BACKEND: frozenset[str] = frozenset({"traefik", "nginx-gateway-fabric"})


@functools.cache
def generated(target: str) -> frozenset[str]:
    """The intents whose policies ing2gw writes for `target` (rows marked `generated`)."""
    return mappings.generated_intents(target)


#: an address list is one IR intent kind, `source-range`, whose `action` parameter names the
#: table row (deny-all: an allow list of nobody)
LIST_ROWS = {"allow": "client-allow-list", "deny": "client-deny-list", "deny-all": "client-allow-list"}


def row_of(kind: str, params: Iterable[tuple[str, str]] = ()) -> str | None:
    """The target table row of an IR intent of `kind` (None: an address list with an unknown action)."""
    if kind == "source-range":
        return LIST_ROWS.get(dict(params).get("action", ""))
    return kind


def verdict(target: str | None, intent: str | None, params: Params | Iterable[tuple[str, str]] = ()) -> Verdict:
    """Whether `target` carries `intent` with `params`, as what, and if not, why not."""
    t, i = target or "", intent or ""
    if not t or not i or i not in generated(t):
        return Verdict(t, i, False, why_not=f"ing2gw does not write {t or 'a'} policy for {i or 'this setting'}")
    p = dict(params)
    limit = LIMITS.get((t, i))
    reason = limit(p) if limit is not None else None
    row = mappings.target_rows(t)[i]
    kinds = ", ".join(dict.fromkeys(str(r["kind"]) for r in row.get("resources") or []))
    if reason is not None:
        return Verdict(t, i, False, becomes=kinds, why_not=reason)
    return Verdict(t, i, True, becomes=kinds, lost=str(row.get("lost") or ""))


def carries(target: str | None, intent: str | None, params: Params | Iterable[tuple[str, str]] = ()) -> bool:
    """True when ing2gw writes `target`'s policy for `intent` with `params`."""
    return verdict(target, intent, params).carried


__all__ = ["ALB_STICKINESS_MAX", "LIST_ROWS", "row_of", "external_backend_name", "ISTIO_SIMPLE", "LIMITS", "REGEX_BY_LENGTH", "REPORTS", "ROOT_WITHOUT_BACKEND", "Verdict",
           "carries", "generated", "nginx_size", "reports", "verdict"]
