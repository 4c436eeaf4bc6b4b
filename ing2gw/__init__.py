"""ing2gw: migrate Kubernetes Ingress to Gateway API, and prove the result routes the same."""

__version__ = "0.1.0"

# ing2gw's dataclasses take their methods from byte code compiled ahead of time rather than
# compiling them at every start (ing2gw/fastclasses.py: a third of a one-Ingress run)
from ing2gw.fastclasses import install as _install_fastclasses  # noqa: E402

_install_fastclasses()
