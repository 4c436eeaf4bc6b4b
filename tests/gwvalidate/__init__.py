"""gwvalidate: ing2gw's own Gateway API validator, for its tests.

Would a Kubernetes API server with these CRDs installed accept this object on create? The
validator answers offline, for the Gateway API CRDs vendored in tests/data/gateway-api/crds
and, with --with-implementations, the implementations' CRDs in
tests/data/gateway-api/implementations/*/crds (Envoy Gateway, kgateway, Istio, NGINX Gateway
Fabric, Traefik, GKE, AWS): served version, ObjectMeta, pruning of unknown fields, defaults,
the OpenAPI v3 schema (types, required, enums, patterns, lengths, items, properties, formats),
list-type uniqueness and every x-kubernetes-validations CEL rule, in the API server's order and
with its messages. Each module says which Kubernetes or Go source it follows.

Why it lives under tests/ and is not installed with ing2gw: ing2gw never validates at run time
(its pydantic models in ing2gw/model/gateway.py are the emitter's guard); this is the
independent check of those models and of the golden outputs. It needs only the `test` extra
(PyYAML, jsonschema, cel-python for its CEL parser, google-re2 that cel-python brings) and the
data in tests/data, so a fresh clone runs it. ../shared/tools/gwapi_validate.py stays the
second opinion .ci/run calls; nothing here is taken from it.

Usage (from the project root; exit 0 valid, 1 errors or unevaluated rules, 2 bad input):

    python tests/gwvalidate [--with-implementations] [--crds DIR]... [--json] PATH...
    python tests/gwvalidate --rules [--with-implementations]   # every CEL rule: evaluated or not
    python tests/gwvalidate --selftest                          # tests/data/gateway-api/selftest

In Python (tests/ on sys.path, as under pytest):

    from gwvalidate import Registry, Validator, STANDARD_CRDS
    findings = Validator(Registry([STANDARD_CRDS])).validate_object(obj)

What it does not model: update-only checks (transition rules using oldSelf are counted and
skipped, as on create), the CEL cost budget, ownerReferences/finalizers/managedFields checks,
admission webhooks and controllers' own checks (they accept or reject more than the CRD).
A CEL rule it cannot evaluate is reported as "unevaluated" and makes the run fail.
"""

from .crds import GATEWAY_API_GROUPS, CRDVersion, Registry
from .findings import Finding
from .selftest import RuleEntry, Verdict, check_file, rule_inventory, selftest_files
from .validate import (DATA, EXPERIMENTAL_CRDS, IMPLEMENTATIONS, STANDARD_CRDS, Record, Report, Validator,
                       implementation_crd_folders)

__all__ = ["CRDVersion", "DATA", "EXPERIMENTAL_CRDS", "Finding", "GATEWAY_API_GROUPS", "IMPLEMENTATIONS", "Record",
           "Registry", "Report", "RuleEntry", "STANDARD_CRDS", "Validator", "Verdict", "check_file",
           "implementation_crd_folders", "rule_inventory", "selftest_files"]
