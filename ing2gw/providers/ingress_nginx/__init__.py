"""The ingress-nginx provider: Ingress objects and the controller ConfigMap -> IR."""

from __future__ import annotations

from ing2gw.providers.ingress_nginx.provider import IngressNginxProvider, controller_configmap

__all__ = ["IngressNginxProvider", "controller_configmap"]
