"""Where the tests' own data lives (tests/data/): nothing in the suite needs ../shared.

* cases/<controller>/ — behaviour cases per source controller, and the Gateway API conformance
  cases (gateway-api-conformance/); each folder's README.md gives the format and the origin.
* gateway-api/crds/, invalid-examples/, implementations/ — the official Gateway API v1.6.1 CRDs
  and the implementations' CRDs (Apache-2.0 and the implementations' own licences, kept beside
  them); selftest/ holds valid and invalid example objects for the validator.
* reference/annotations.json — the annotation catalogue the mapping tables are checked against.
* detect/ — Ingresses of other controllers as their docs write them, for controller detection.
* realworld-mix/ — a repository of mixed real-world files (manifests, a Helm chart, values, CI
  configuration, invalid and duplicate Ingresses) for convert --skip-invalid and migrate --verify.
"""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
CASES = DATA / "cases"
GATEWAY_API = DATA / "gateway-api"
CRDS = GATEWAY_API / "crds"
IMPLEMENTATIONS = GATEWAY_API / "implementations"
INVALID_EXAMPLES = GATEWAY_API / "invalid-examples"
SELFTEST = GATEWAY_API / "selftest"
CATALOGUE = DATA / "reference" / "annotations.json"
DETECT = DATA / "detect"
REALWORLD_MIX = DATA / "realworld-mix"
