"""Typed models: inputs (tolerant) in `ingress`/`inputs`, outputs (strict) in `gateway`.

Nothing is imported here: reading Ingresses must not build the Gateway API models, and a
command imports `ing2gw.model.gateway` only when it emits or reads Gateway API objects.
"""
