"""Stand-ins the equivalence check consults the same way on both sides: the external auth service.

An external authorization service (ingress-nginx's auth-url, an implementation's ext-auth
policy) decides outside both configurations, so neither simulator can know its answer. The
check's probes make that answer known: a request whose Authorization header is
`Bearer ing2gw-auth-answers-<status>` is answered by the modelled auth service with <status>.
Every ext-auth protocol passes Authorization to the service (nginx's auth_request subrequest
copies the client's headers; Envoy's HTTP ext_authz always sends Host, Method, Path,
Content-Length and Authorization; Traefik's forwardAuth sends every header), so both sides
consult the oracle with the same request. Any other request is not decided here: its answer
stays "not modelled" as before.

What each proxy does with the service's answer is the proxy's own and lives in its model.
"""

from __future__ import annotations

import re

#: the token of an oracle probe (`Authorization: Bearer <prefix><status>`)
AUTH_TOKEN_PREFIX = "ing2gw-auth-answers-"
#: the auth service's answers the probes ask for: refusals every proxy passes to the client as
#: they are (nginx auth_request: 401 and 403; Envoy ext_authz: any status below 500; Traefik
#: forwardAuth: any non-2xx), and an error, which each proxy handles its own way (nginx: 500;
#: Envoy: status_on_error, 403 unless set; Traefik: passed on)
AUTH_PROBE_STATUSES = (401, 403, 500)

_TOKEN = re.compile(r"^Bearer\s+" + re.escape(AUTH_TOKEN_PREFIX) + r"([1-5][0-9][0-9])$", re.IGNORECASE)


def auth_header(status: int) -> tuple[str, str]:
    """The header of a probe the modelled auth service answers with `status`."""
    return ("Authorization", f"Bearer {AUTH_TOKEN_PREFIX}{status}")


def auth_service_answer(authorization: str | None) -> int | None:
    """The status the modelled auth service answers for a request with this Authorization
    header, or None when the request is not an oracle probe (the answer is not known)."""
    if authorization is None:
        return None
    m = _TOKEN.match(authorization.strip())
    return int(m.group(1)) if m else None
