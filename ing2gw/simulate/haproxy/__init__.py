"""A model of the HAProxy Kubernetes Ingress Controller (haproxytech/kubernetes-ingress v3.2):
the old side of the equivalence check for HAProxy inputs.

Modules by concern: `settings` (controller flags), `inputs` (Ingress, Service, IngressClass,
ConfigMap and Secret as the controller stores them), `annotations` -> `rules` (frontend rules
and their ids, `ruleid`), `config` (what the controller writes: maps, backends, rules,
route-acl, certificates), `maps` and `acl` (how HAProxy matches), `tls`, `net`, `text`, `auth`,
and `router` (one request through HAProxy). Facts and their sources:
haproxy-semantics.md (rule ids H-A1 ... in comments); shares no code with the translator.
"""

from ing2gw.simulate.haproxy.router import HAProxyRouter

__all__ = ["HAProxyRouter"]
