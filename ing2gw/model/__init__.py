"""Typed models: inputs (tolerant) in `ingress`/`inputs`, outputs (strict) in `gateway`."""
