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
"""

from __future__ import annotations

import re
from typing import Mapping
from urllib.parse import urlsplit

#: intent -> the annotation keys whose effect the intent's parameters carry
CONSUMED: dict[str, frozenset[str]] = {
    "basic-auth": frozenset({"auth-type", "auth-secret", "auth-secret-type"}),
    "external-auth": frozenset({"auth-url", "auth-response-headers"}),
    "rate-limit": frozenset({"limit-rps", "limit-rpm"}),
    "body-size-limit": frozenset({"proxy-body-size"}),
}

#: (target, intent) -> further keys whose effect that target's policy carries (from the parameters)
CONSUMED_BY_TARGET: dict[tuple[str, str], frozenset[str]] = {
    ("nginx-gateway-fabric", "basic-auth"): frozenset({"auth-realm"}),
}

#: the key a finding about the written policy names (basic auth: the Secret the user must check)
LEAD: dict[str, str] = {"basic-auth": "auth-secret", "external-auth": "auth-url", "rate-limit": "limit-rps",
                        "body-size-limit": "proxy-body-size"}

#: client_max_body_size as ingress-nginx validates the annotation
_SIZE = re.compile(r"(?i)^(\d+)([bkmg]?)$")
_SIZE_UNIT = {"": "", "b": "", "k": "Ki", "m": "Mi", "g": "Gi"}
#: http://NAME.NAMESPACE[.svc[.cluster.local]][:port]: a Service of the cluster
_SERVICE_HOST = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.svc(\.cluster\.local)?)?$")


def intent_params(annotations: Mapping[str, str], prefix: str, namespace: str,
                  intent: str | None) -> dict[str, str] | None:
    """The parameters of `intent` for an Ingress in `namespace`, or None when it does not ask for it."""
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
        return out
    if intent == "body-size-limit":
        v = get("proxy-body-size")
        if v is None:
            return None
        m = _SIZE.match(v)
        if m is None:
            return {"invalid": v}
        n, unit = int(m.group(1)), m.group(2).lower()
        return {"bytes": str(n * {"": 1, "b": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}[unit]),
                "quantity": f"{n}{_SIZE_UNIT[unit]}"}
    return None


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
