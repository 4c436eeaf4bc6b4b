"""A model of Traefik Proxy v3.7's routing (Kubernetes Ingress and CRD providers): the old side
of the equivalence check for Traefik inputs.

Module map: `static` (install configuration), `objects` (reading the input), `annotations`
(router.* / service.*), `provider_ingress` and `provider_crd` (dynamic configuration), `rules`
(the rule language and its matchers), `build` (router tables per entry point), `middlewares`,
`services`, `tls`, `router` (a request end to end); `gourl` and `goregex` reproduce the parts
of Go's net/url and regexp the answers depend on. Nothing here is shared with the translator.
"""

from ing2gw.simulate.traefik.router import Decision, TraefikRouter

__all__ = ["Decision", "TraefikRouter"]
