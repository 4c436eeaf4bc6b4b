"""Typed models: inputs in `ingress` (plain classes and their fast reader) and `inputs`, the
strict input models in `ingress_strict` (pydantic: the definition and the error messages,
used for what the fast reader declines), outputs (strict, pydantic) in `gateway`.

Nothing is imported here: reading valid Ingresses imports no pydantic, and a command imports
`ing2gw.model.gateway` only when it validates or reads Gateway API objects.
"""
