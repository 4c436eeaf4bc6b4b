"""What the cluster holds besides the input: Services, endpoints and Secrets, as the providers
look them up (the `ClusterContext` says whether objects missing from the input exist)."""

from __future__ import annotations

from dataclasses import dataclass

from ing2gw.simulate.request import ClusterContext
from ing2gw.simulate.traefik.objects import SecretObj, ServiceObj, TraefikInputs


@dataclass(frozen=True)
class TLSSecret:
    """A TLS Secret as the certificate store would load it: `error` when it does not exist or
    has no certificate; `sans` None when the names it covers are unknown."""

    error: str | None
    sans: tuple[str, ...] | None = None


class Cluster:
    def __init__(self, inputs: TraefikInputs, context: ClusterContext) -> None:
        self.inputs = inputs
        self.context = context
        self.assumed_services: set[str] = set()

    def service(self, namespace: str, name: str) -> ServiceObj | None:
        """The Service, a stand-in without ports when it is assumed to exist (context
        `services: assume`), or None when it does not exist."""
        key = f"{namespace}/{name}"
        svc = self.inputs.services.get(key)
        if svc is not None:
            return svc
        if not self.context.service_exists(namespace, name, False):
            return None
        self.assumed_services.add(key)
        return ServiceObj(namespace, name, "ClusterIP", (), None, "10.0.0.1", {})

    def is_assumed(self, svc: ServiceObj) -> bool:
        return svc.key in self.assumed_services and svc.key not in self.inputs.services

    def endpoints(self, namespace: str, name: str) -> int:
        """Ready (serving) endpoints of a Service."""
        n = self.context.ready_endpoints(namespace, name, f"{namespace}/{name}" in self.inputs.services)
        return n or 0

    def secret(self, namespace: str, name: str) -> SecretObj | None | bool:
        """A Secret of the input, True when it exists but its content is unknown, None when it
        does not exist."""
        key = f"{namespace}/{name}"
        if key in self.inputs.secrets:
            return self.inputs.secrets[key]
        fact = self.context.secret(namespace, name)
        if fact is None:
            return None
        return True

    def tls_secret(self, namespace: str, name: str) -> TLSSecret:
        """getCertificateBlocks: the Secret must exist and hold non-empty tls.crt and tls.key."""
        key = f"{namespace}/{name}"
        obj = self.inputs.secrets.get(key)
        fact = self.context.secret_facts.get(key)
        if fact is not None:
            if fact.invalid:
                return TLSSecret(f"secret {key} has no valid tls.crt/tls.key")
            return TLSSecret(None, tuple(fact.dns_names) or None)
        if obj is not None:
            missing = [k for k in ("tls.crt", "tls.key") if not obj.data.get(k)]
            if missing:
                return TLSSecret(f"secret {key} is missing or has empty TLS data entries: {', '.join(missing)}")
            return TLSSecret(None, None)
        if self.context.secret(namespace, name) is None:
            return TLSSecret(f"secret {key} does not exist")
        return TLSSecret(None, None)
