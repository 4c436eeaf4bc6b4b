"""ing2gw: migrate Kubernetes Ingress to Gateway API, and prove the result routes the same."""

__version__ = "0.1.0"
