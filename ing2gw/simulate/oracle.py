"""Stand-ins the equivalence check consults the same way on both sides: the external auth service,
and valid Basic credentials.

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

Valid Basic credentials are the same kind of stand-in. The check never knows a password (it
never reads one, and a Secret is rarely in the input), so without this every request behind
basic auth was either refused on both sides (no or wrong credentials) or "not modelled", and
where the requests go once authenticated was never compared: a translation that sent them to
the wrong backend, or lost the authentication, passed. A request with
`Authorization: Basic base64("ing2gw-valid-user:<namespace>/<secret>")` stands for a user whose
right password is in the htpasswd file of that Secret, and of no other: every model of basic
authentication lets it through exactly where it reads its users from that Secret (whatever key
or hash format it reads, which their own findings cover), and refuses it (401, as for a wrong
password) elsewhere.
"""

from __future__ import annotations

import base64
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


#: the user name of the check's valid Basic credentials (its password names the Secret)
VALID_USER = "ing2gw-valid-user"


def valid_basic_header(secret: str) -> tuple[str, str]:
    """The header of a probe carrying valid Basic credentials for the htpasswd Secret `secret`
    (`namespace/name`)."""
    token = base64.b64encode(f"{VALID_USER}:{secret}".encode()).decode()
    return ("Authorization", f"Basic {token}")


def valid_for(user: str, password: str, secret: str | None) -> bool | None:
    """Are these the check's valid credentials for Secret `secret` (`namespace/name`; None: the
    proxy reads its users from no Secret)? None when they are not the check's credentials at all
    (the proxy's own htpasswd check decides)."""
    if user != VALID_USER:
        return None
    return secret is not None and password == secret
