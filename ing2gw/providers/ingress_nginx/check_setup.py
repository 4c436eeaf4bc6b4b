"""What the ingress-nginx simulator (the old side of the equivalence check) needs beyond the
manifests: the controller flags the options imply and its ConfigMap. Named by the registry entry's
`old_side`, so the equivalence check holds no ingress-nginx knowledge."""

from __future__ import annotations

from typing import Sequence

from ing2gw.model.inputs import Inputs
from ing2gw.options import DEFAULT_NGINX_PREFIX, Options
from ing2gw.providers.detect import Verdict
from ing2gw.providers.ingress_nginx.provider import controller_configmap
from ing2gw.providers.registry import OldSide


def old_side(inputs: Inputs, options: Options, verdicts: Sequence[Verdict]) -> OldSide:
    """The flags and ConfigMap of the ingress-nginx that served the Ingresses of `verdicts`."""
    # a class that is ingress-nginx's by --class, or by an IngressClass of another controller
    # name (AKS application routing): the model must serve it by name
    by_name = any(e.kind == "class-option" or e.ingress_class_controller not in (None, "k8s.io/ingress-nginx")
                  for v in verdicts for e in v.evidence)
    flags = list(options.nginx_flags)
    if by_name:
        flags.append("--ingress-class-by-name=true")
    if options.annotations_prefix != DEFAULT_NGINX_PREFIX:
        flags.append(f"--annotations-prefix={options.annotations_prefix}")
    data, _ = controller_configmap(inputs, options)
    return OldSide(flags=tuple(flags), configmap=data)
