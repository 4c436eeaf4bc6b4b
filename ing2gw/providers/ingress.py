"""Plain Ingress semantics, the same for every controller: which rule hosts are valid, the hosts of
an Ingress in order, its paths with their place in the object, the TLS entry that names a host,
and whether a path or host can be a Gateway API value.

What a controller makes of them (which Ingress wins a host, what an invalid host costs, what a
TLS entry without a Secret means) stays in its provider. Imports only the input model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Literal

from ing2gw.model.ingress import HTTPIngressPath, Ingress, IngressTLS

_HOST = re.compile(r"(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_IPV4 = re.compile(r"\d{1,3}(\.\d{1,3}){3}\Z")
_PATH_CHARS = re.compile(r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+\Z")


def gateway_path_problem(path: str) -> str | None:
    """Why `path` cannot be an Exact/PathPrefix value in Gateway API (its CEL rules), or None."""
    if not path.startswith("/"):
        return "must start with '/'"
    for bad in ("//", "/./", "/../", "%2f", "%2F", "#"):
        if bad in path:
            return f"must not contain {bad!r}"
    if path.endswith("/..") or path.endswith("/."):
        return "must not end with '/.' or '/..'"
    if len(path) > 1024:
        return "longer than 1024 characters"
    if not _PATH_CHARS.match(path):
        bad_chars = sorted({c for c in path if not re.match(r"[-A-Za-z0-9/._~!$&'()*+,;=:@%]", c)})
        return f"contains characters Gateway API does not allow in a path: {' '.join(map(repr, bad_chars))}"
    return None


def host_problem(host: str) -> str | None:
    """Why an Ingress rule host cannot be a Gateway API hostname, or None."""
    if len(host) > 253:
        return "longer than 253 characters"
    if _IPV4.match(host) or ":" in host:
        return "an IP address is not a hostname (Ingress and Gateway API both reject IPs)"
    if not _HOST.match(host):
        if host != host.lower() and _HOST.match(host.lower()):
            return "must be lower case"
        if "*" in host:
            return "a wildcard must be a whole first label ('*.example.com')"
        return "not a valid DNS name"
    return None


def invalid_hosts(ing: Ingress) -> list[tuple[int, str, str]]:
    """(rule index, host, why) for each rule host the API server would refuse (a DNS-1123
    subdomain, optionally with a leading `*.`, never an IP): one makes it refuse the whole
    Ingress."""
    out = []
    for i, rule in enumerate(ing.spec.rules):
        host = (rule.host or "").strip()
        problem = host_problem(host) if host else None
        if problem:
            out.append((i, host, problem))
    return out


def rule_hosts(ing: Ingress, no_host: str) -> list[str]:
    """The rule hosts of an Ingress in order, each once; a rule without a host as `no_host`
    (the controller's name for "every host"); invalid hosts left out (see `invalid_hosts`)."""
    out: list[str] = []
    for rule in ing.spec.rules:
        host = (rule.host or "").strip()
        if host and host_problem(host):
            continue
        h = host or no_host
        if h not in out:
            out.append(h)
    return out


@dataclass(frozen=True)
class PathEntry:
    """One `spec.rules[i].http.paths[j]` of an Ingress."""

    rule_index: int
    path_index: int
    #: the rule's host as written (stripped); '' when the rule has none
    host: str
    path: HTTPIngressPath

    @property
    def where(self) -> str:
        """The entry's place in the object, for findings."""
        return f"spec.rules[{self.rule_index}].http.paths[{self.path_index}]"

    @property
    def value(self) -> str:
        """The path; an empty path is `/` (the API server's default)."""
        return self.path.path or "/"

    @property
    def match_type(self) -> Literal["Exact", "Prefix"]:
        """Exact, or Prefix for Prefix and ImplementationSpecific (what most controllers do;
        a provider whose controller differs reads `path.path_type` itself)."""
        return "Exact" if self.path.path_type == "Exact" else "Prefix"


def path_entries(ing: Ingress, *, skip_invalid_hosts: bool = True) -> Iterator[PathEntry]:
    """Every HTTP path of an Ingress in order, with its rule's host; rules with an invalid host
    are skipped unless `skip_invalid_hosts` is false."""
    for ri, rule in enumerate(ing.spec.rules):
        host = (rule.host or "").strip()
        if skip_invalid_hosts and host and host_problem(host):
            continue
        if rule.http is None:
            continue
        for pi, p in enumerate(rule.http.paths):
            yield PathEntry(ri, pi, host, p)


def tls_entry_for(ing: Ingress, host: str) -> IngressTLS | None:
    """The first TLS entry of an Ingress that names `host` (case-insensitively), or None."""
    for t in ing.spec.tls:
        if any(h.lower() == host for h in t.hosts):
            return t
    return None


def hostless_tls_secret(ing: Ingress) -> str | None:
    """The Secret of the first TLS entry without hosts, or None: controllers use it for a host
    when its certificate covers the host."""
    for t in ing.spec.tls:
        if not t.hosts and t.secret_name:
            return t.secret_name
    return None
