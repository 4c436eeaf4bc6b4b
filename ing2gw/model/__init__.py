"""Typed models: inputs (tolerant) in `ingress`/`inputs`, outputs (strict) in `gateway`."""

from ing2gw.model import gateway as gateway  # strict output models (Gateway API v1.6.1 Standard)
