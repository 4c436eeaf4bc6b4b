"""What the HAProxy simulator (the old side of the equivalence check) needs beyond the manifests:
the IngressClass the controller's Helm chart installs. Named by the registry entry's `old_side`."""

from __future__ import annotations

from typing import Sequence

from ing2gw.load import Manifest
from ing2gw.model.inputs import Inputs
from ing2gw.options import Options
from ing2gw.origin import GENERATED
from ing2gw.providers.detect import Verdict
from ing2gw.providers.registry import OldSide

#: the IngressClass the HAProxy Helm chart creates (controller.ingressClass); the model runs with
#: the chart's flags (--ingress.class=haproxy) and needs it to accept Ingresses of that class
CHART_CLASS = ("haproxy", "haproxy.org/ingress-controller/haproxy")


def old_side(inputs: Inputs, options: Options, verdicts: Sequence[Verdict]) -> OldSide:
    """The chart's IngressClass when the input lacks it: detection gave the class `haproxy` to the
    controller by its name, as the chart installs it; the model, seeing other IngressClasses but
    not this one, would otherwise ignore those Ingresses."""
    name, controller = CHART_CLASS
    if any(v.class_name == name for v in verdicts) and name not in inputs.ingress_classes:
        return OldSide(manifests=(Manifest({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
                                            "metadata": {"name": name}, "spec": {"controller": controller}},
                                           GENERATED),))
    return OldSide()
