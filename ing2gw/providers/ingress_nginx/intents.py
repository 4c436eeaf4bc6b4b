"""What an Ingress's ingress-nginx annotations ask for, in the intent vocabulary of the targets.

Each reader turns the annotations of one intent into parameters (names the target side knows,
never annotation keys): `emit/targets/carry.py` decides from them whether the target carries
the intent, and the emitter builds its policy from them. `CONSUMED` lists, per intent, the keys
whose effect the parameters carry; the other keys of the intent's rows are reported as not
carried even when the policy is written (nothing is claimed that is not emitted).

Facts (ingress-nginx v1.12, internal/ingress/annotations/):
* auth: `auth-type` basic|digest, `auth-secret` "name" or "namespace/name", `auth-secret-type`
  auth-file (an htpasswd file under the key `auth`, the default) or auth-map (a key per user).
* authreq: `auth-url` is called by an nginx auth_request subrequest at exactly that URL (the
  original URI travels in X-Original-URL); 2xx lets the request through, 401/403 go back to the
  client; `auth-response-headers` copies headers of the auth answer upstream; `auth-signin`
  redirects a 401 to a sign-in page.
* ratelimit: `limit-rps` / `limit-rpm` create limit_req zones keyed by $binary_remote_addr
  (per client address), burst = limit x `limit-burst-multiplier` (5), nodelay; `limit-allowlist`
  exempts client ranges.
* proxy-body-size: client_max_body_size, sizes with k/m/g suffixes (1024-based), 0 = no limit.
* sessionaffinity: `affinity: cookie` (the only type) makes the upstream's balancer sticky
  (rootfs/etc/nginx/lua/balancer/sticky*.lua): a cookie `session-cookie-name` (INGRESSCOOKIE)
  set when the request has none, Path `session-cookie-path` or else the location's path,
  Max-Age / Expires from `session-cookie-max-age` / `session-cookie-expires` (seconds; neither:
  a session cookie), SameSite and Domain when given, always HttpOnly; `affinity-mode` balanced
  (the cookie's value is hashed onto a consistent-hash ring) or persistent (the value names
  the endpoint).
* authtls: `auth-tls-secret` ("name" or "namespace/name", key ca.crt) turns on client-certificate
  verification for the whole server (host) (`ssl_client_certificate`, `ssl_verify_client`,
  `ssl_verify_depth` in the server block); `auth-tls-verify-client` on (the default: a missing
  or invalid certificate gets 400), optional (an invalid one gets 400), optional_no_ca, off;
  `auth-tls-verify-depth` 1 by default.
* proxy: `proxy-next-upstream` (`proxy_next_upstream`: error, timeout, invalid_header, http_500,
  http_502, http_503, http_504, http_403, http_404, http_429, non_idempotent, or off; the
  ConfigMap's default is "error timeout") and `proxy-next-upstream-tries` (tries in all, 3 by
  default, 0 = unlimited); nginx passes a request to the next server on those conditions, never
  a POST, LOCK or PATCH unless non_idempotent is listed.
* upstream-hash-by: `hash <key> consistent` on the upstream (Ketama); the key is any nginx
  variable expression; ignored when `affinity` is set (the sticky balancer wins).
* backend-tls (backend-protocol HTTPS/GRPCS while proxy-ssl-verify is not on; with it on the
  standard BackendTLSPolicy is written, backend.py): nginx speaks TLS to the upstream without
  checking its certificate. The proxyssl parser reads the other proxy-ssl-* keys only when
  proxy-ssl-secret names a Secret (mappings/ingress-nginx.yaml, proxy-ssl-secret); the template
  then presents that Secret's tls.crt/tls.key as a client certificate (proxy_ssl_certificate)
  and sends SNI only with proxy-ssl-server-name on (nginx's proxy_ssl_server_name is off by
  default; the name is proxy-ssl-name, else $proxy_host, the upstream's generated name).
* load-balance: the Lua balancer of the upstream, round_robin (the default) or ewma; the hash
  of upstream-hash-by and the sticky balancer of affinity replace it (rootfs/etc/nginx/lua/
  balancer.lua picks chash or sticky first).
"""

from __future__ import annotations

import re
from typing import Callable, Mapping
from urllib.parse import urlsplit

from ing2gw.providers.values import BadValue, parse_size

#: intent -> the annotation keys whose effect the intent's parameters carry
CONSUMED: dict[str, frozenset[str]] = {
    "basic-auth": frozenset({"auth-type", "auth-secret", "auth-secret-type"}),
    "external-auth": frozenset({"auth-url", "auth-response-headers"}),
    "rate-limit": frozenset({"limit-rps", "limit-rpm"}),
    "body-size-limit": frozenset({"proxy-body-size"}),
    "session-affinity": frozenset({"affinity", "session-cookie-name", "session-cookie-path", "session-cookie-max-age",
                                   "session-cookie-expires", "session-cookie-samesite", "session-cookie-domain"}),
    "load-balancing": frozenset({"upstream-hash-by", "load-balance"}),
    "client-certificate": frozenset({"auth-tls-secret", "auth-tls-verify-client"}),
    "retry": frozenset({"proxy-next-upstream", "proxy-next-upstream-tries"}),
    "client-certificate-forwarding": frozenset({"auth-tls-pass-certificate-to-upstream"}),
    "timeout": frozenset({"proxy-connect-timeout"}),
    "backend-tls": frozenset({"backend-protocol", "proxy-ssl-verify"}),
    "listener-tls": frozenset({"ssl-ciphers"}),
}

#: (target, intent) -> further keys whose effect that target's policy carries (from the parameters)
CONSUMED_BY_TARGET: dict[tuple[str, str], frozenset[str]] = {
    ("nginx-gateway-fabric", "basic-auth"): frozenset({"auth-realm"}),
    ("traefik", "rate-limit"): frozenset({"limit-burst-multiplier"}),
}

#: (target, intent) -> keys of CONSUMED whose effect that target's policy cannot carry (GKE's
#: generated cookie has Google's name and no settable Path, Domain or SameSite)
NOT_CONSUMED_BY_TARGET: dict[tuple[str, str], frozenset[str]] = {
    ("gke", "session-affinity"): frozenset({"session-cookie-name", "session-cookie-path", "session-cookie-samesite",
                                            "session-cookie-domain"}),
    # the ALB's stickiness cookie is AWSALB with the ALB's own Path, Domain and SameSite
    ("aws", "session-affinity"): frozenset({"session-cookie-name", "session-cookie-path", "session-cookie-samesite",
                                            "session-cookie-domain"}),
}


def consumed_keys(target: str | None, intent: str) -> frozenset[str]:
    """The annotation keys whose effect `target`'s policy for `intent` carries."""
    t = target or ""
    return (CONSUMED.get(intent, frozenset()) | CONSUMED_BY_TARGET.get((t, intent), frozenset())) \
        - NOT_CONSUMED_BY_TARGET.get((t, intent), frozenset())
#: snippet annotation -> the nginx context ingress-nginx puts it in (SnippetsFilter's context names):
#: configuration-snippet into each location of the Ingress, server-snippet into the host's server
SNIPPET_CONTEXTS: dict[str, str] = {"configuration-snippet": "http.server.location", "server-snippet": "http.server"}

#: the key a finding about the written policy names (basic auth: the Secret the user must check)
LEAD: dict[str, str] = {"basic-auth": "auth-secret", "external-auth": "auth-url", "rate-limit": "limit-rps",
                        "body-size-limit": "proxy-body-size", "session-affinity": "affinity",
                        "load-balancing": "upstream-hash-by", "client-certificate": "auth-tls-secret",
                        "retry": "proxy-next-upstream",
                        "client-certificate-forwarding": "auth-tls-pass-certificate-to-upstream",
                        "timeout": "proxy-connect-timeout", "backend-tls": "backend-protocol",
                        "listener-tls": "ssl-ciphers"}

#: http://NAME.NAMESPACE[.svc[.cluster.local]][:port]: a Service of the cluster
#: upstream-hash-by keys a consistent-hash policy can hash on: one variable, nothing around it
_HASH_KEY = re.compile(r"^\$(remote_addr|binary_remote_addr|http_[a-z0-9_]+|cookie_[A-Za-z0-9_]+|arg_[A-Za-z0-9_]+)$")
_SERVICE_HOST = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.svc(\.cluster\.local)?)?$")


def intent_params(annotations: Mapping[str, str], prefix: str, namespace: str,
                  intent: str | None, paths: tuple[str, ...] = ()) -> dict[str, str] | None:
    """The parameters of `intent` for an Ingress in `namespace` (whose rules have `paths`), or
    None when it does not ask for it."""
    def get(key: str) -> str | None:
        v = annotations.get(f"{prefix}/{key}")
        return None if v is None else v.strip()

    if intent == "basic-auth":
        kind = get("auth-type")
        if not kind:
            return None
        secret = get("auth-secret") or ""
        ns, _, name = secret.rpartition("/")
        out = {"type": kind.lower(), "secret-type": (get("auth-secret-type") or "auth-file").lower(),
               "secret": name, "secret-namespace": ns or namespace}
        if ns and ns != namespace:
            out["cross-namespace"] = "true"
        realm = get("auth-realm")
        if realm:
            out["realm"] = realm  # the challenge's realm, for targets that can set it
        return out
    if intent == "external-auth":
        url = get("auth-url")
        if not url:
            return None
        return _auth_url(url, namespace, get("auth-response-headers"), get("auth-signin"))
    if intent == "rate-limit":
        out = {}
        for key, unit in (("limit-rps", "Second"), ("limit-rpm", "Minute")):
            v = get(key)
            if v is not None:
                out[f"per-{unit.lower()}"] = v
        if not out:
            return None
        allow = get("limit-allowlist") or get("limit-whitelist")
        if allow:
            out["exempt"] = allow
        mult = get("limit-burst-multiplier")
        if mult is not None:
            out["burst-multiplier"] = mult  # burst = limit x this (5 by default); targets with a burst read it
        return out
    if intent == "body-size-limit":
        v = get("proxy-body-size")
        if v is None:
            return None
        try:
            size = parse_size(v)  # client_max_body_size as ingress-nginx validates the annotation
        except BadValue:
            return {"invalid": v}
        return {"bytes": str(size.bytes), "quantity": size.quantity}
    if intent == "session-affinity":
        return _affinity(get, paths)
    if intent == "backend-tls":
        return _backend_tls(get, namespace)
    if intent == "retry":
        conditions, tries = get("proxy-next-upstream"), get("proxy-next-upstream-tries")
        if conditions is None and tries is None:
            return None
        return {"conditions": " ".join((conditions or "error timeout").split()).lower(), "tries": tries or "3"}
    if intent == "timeout":
        # only the connect phase: proxy-read/send-timeout stay the strict translation's
        # HTTPRoute timeouts (features._timeouts)
        v = get("proxy-connect-timeout")
        return None if v is None else {"connect": v}
    if intent == "client-certificate-forwarding":
        # ingress-nginx's bool (strconv.ParseBool); its template sets ssl-client-cert only inside
        # the server's client-certificate block, so without auth-tls-secret nothing is sent
        if (get("auth-tls-pass-certificate-to-upstream") or "").lower() not in ("true", "1", "t"):
            return None
        return {"pass": "true", "ca": get("auth-tls-secret") or ""}
    if intent == "listener-tls":
        # ssl-ciphers: the host's ssl_ciphers (server block; annotations/sslcipher); versions
        # stay the ConfigMap's (ssl_protocols is http-level)
        ciphers = get("ssl-ciphers")
        return None if not ciphers else listener_tls_ciphers(ciphers) | {"scope": "host"}
    if intent == "client-certificate":
        ca = get("auth-tls-secret")
        if not ca:
            return None
        ns, _, name = ca.rpartition("/")
        return {"secret": name, "secret-namespace": ns or namespace,
                "verify": (get("auth-tls-verify-client") or "on").lower(), "depth": get("auth-tls-verify-depth") or "1"}
    if intent == "load-balancing":
        hash_key = get("upstream-hash-by")
        if not hash_key:
            algorithm = (get("load-balance") or "").lower()
            if not algorithm:
                return None
            out = {"algorithm": algorithm}
            if (get("affinity") or "").lower() == "cookie":
                out["overridden"] = "affinity"
            return out
        out = {"key": hash_key}
        m = _HASH_KEY.match(hash_key)
        if m is not None:
            var = m.group(1)
            if var in ("remote_addr", "binary_remote_addr"):
                out["hash"] = "source-ip"
            else:
                what, _, name = var.partition("_")
                # nginx's $http_x_user is the header X-User (lower case, '_' for '-')
                out["hash"] = {"http": "header", "cookie": "cookie", "arg": "query"}[what]
                out["name"] = name.replace("_", "-") if what == "http" else name
        if (get("upstream-hash-by-subset") or "").lower() == "true":
            out["subset"] = "true"
        if (get("affinity") or "").lower() == "cookie":
            out["overridden"] = "affinity"
        return out
    return None


def _affinity(get: Callable[[str], str | None], paths: tuple[str, ...]) -> dict[str, str] | None:
    kind = get("affinity")
    if not kind:
        return None
    out = {"type": kind.lower(), "cookie": get("session-cookie-name") or "INGRESSCOOKIE",
           "mode": (get("affinity-mode") or "balanced").lower()}
    path = get("session-cookie-path")
    if path:
        out["path"] = path
    elif len(set(paths)) == 1:
        out["path"] = paths[0]
    else:  # one cookie per location path in nginx; the policy has one for the whole route
        out["paths"] = ",".join(sorted(set(paths)))
    for key in ("max-age", "expires"):
        v = get(f"session-cookie-{key}")
        if v:
            out[key] = v
            if not v.isdigit() or int(v) > 99999 * 3600:
                out["invalid"] = f"session-cookie-{key} {v!r}"
    for key in ("samesite", "domain"):
        v = get(f"session-cookie-{key}")
        if v:
            out[key] = v
    return out


def _backend_tls(get: Callable[[str], str | None], namespace: str) -> dict[str, str] | None:
    """TLS to the backend without verification (None: not TLS, or verified by BackendTLSPolicy)."""
    proto = (get("backend-protocol") or "HTTP").upper()
    if proto not in ("HTTPS", "GRPCS") or (get("proxy-ssl-verify") or "off").lower() == "on":
        return None
    out = {"verify": "false", "protocol": proto.lower()}
    secret = get("proxy-ssl-secret")
    if secret:  # without it ingress-nginx reads no other proxy-ssl-* key
        ns, _, name = secret.rpartition("/")
        out["client-secret"] = f"{ns or namespace}/{name}"
        if (get("proxy-ssl-server-name") or "off").lower() == "on":
            out["sni"] = (get("proxy-ssl-name") or "").lower() or "$proxy_host"
    return out


def _auth_url(url: str, namespace: str, headers: str | None, signin: str | None) -> dict[str, str]:
    out = {"url": url, "namespace": namespace}
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return out
    host = parts.hostname or ""
    m = _SERVICE_HOST.match(host)
    if parts.scheme in ("http", "https") and m and not parts.query and not parts.fragment and "$" not in url:
        out.update({"service": m.group(1), "service-namespace": m.group(3),
                    "port": str(port or (443 if parts.scheme == "https" else 80)), "path": parts.path or "/",
                    "scheme": parts.scheme})
    if headers:
        out["response-headers"] = ",".join(h.strip() for h in headers.split(",") if h.strip())
    if signin:
        out["signin"] = signin
    return out


def listener_tls_ciphers(text: str) -> dict[str, str]:
    """The `listener-tls` parameters of an OpenSSL cipher string: `ciphers` (the suites it names,
    colon-separated, in order), `boringssl` (those BoringSSL implements) and `seclevel`, or `ciphers-unmodelled` (the string, when it uses
    OpenSSL keywords ing2gw does not expand: model/tls_suites.py)."""
    from ing2gw.model.tls_suites import BY_OPENSSL, parse_openssl_ciphers

    parsed = parse_openssl_ciphers(text)
    if parsed is None:
        return {"ciphers-unmodelled": " ".join(text.split())}
    out = {"ciphers": ":".join(parsed.suites),
           # the suites BoringSSL (Envoy-based targets) implements too
           "boringssl": ":".join(s for s in parsed.suites if BY_OPENSSL[s].boringssl),
           # the same suites by their IANA names (targets that read those: kgateway's cipher-suites)
           "iana": ",".join(BY_OPENSSL[s].iana for s in parsed.suites if BY_OPENSSL[s].boringssl)}
    if parsed.seclevel is not None:
        out["seclevel"] = str(parsed.seclevel)
    return out
