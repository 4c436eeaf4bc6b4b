"""What the HAProxy simulator (the old side of the equivalence check) needs beyond the manifests:
the controller's arguments (`--haproxy-flag`, else the Helm chart's) and the IngressClasses the
translation took as this instance's. Named by the registry entry's `old_side`."""

from __future__ import annotations

from typing import Sequence

from ing2gw.load import Manifest
from ing2gw.model.inputs import Inputs
from ing2gw.options import Options
from ing2gw.origin import GENERATED
from ing2gw.providers.detect import Verdict
from ing2gw.providers.haproxy.flags import parse
from ing2gw.providers.registry import OldSide


def old_side(inputs: Inputs, options: Options, verdicts: Sequence[Verdict]) -> OldSide:
    """The controller's flags, and an IngressClass for each class detection gave to HAProxy that
    the input lacks: the translation takes such a class as this instance's (the chart installs
    `haproxy` with controller haproxy.org/ingress-controller/haproxy); the model, seeing other
    IngressClasses but not this one, would otherwise ignore those Ingresses."""
    flags = parse(options.haproxy_flags)
    missing = sorted({v.class_name for v in verdicts if v.class_name and v.class_name not in inputs.ingress_classes})
    manifests = tuple(Manifest({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
                                "metadata": {"name": name}, "spec": {"controller": flags.class_controller}},
                               GENERATED) for name in missing)
    context = {"haproxy_flags": tuple(options.haproxy_flags)} if options.haproxy_flags else {}
    return OldSide(manifests=manifests, context=context)
