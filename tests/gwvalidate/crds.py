"""CustomResourceDefinitions read from folders: which (group, kind, version) the API server
would serve, with its scope, status subresource and schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from .structural import KubeValidator, to_jsonschema
from .yamlio import InputError, load_documents

GATEWAY_API_GROUPS = frozenset({"gateway.networking.k8s.io", "gateway.networking.x-k8s.io"})


@dataclass
class CRDVersion:
    """One version of one CRD."""

    group: str
    kind: str
    version: str
    served: bool
    deprecated: bool
    deprecation_warning: str | None
    namespaced: bool
    status_subresource: bool
    schema: dict[str, Any]
    source: Path
    _validator: Any = field(default=None, repr=False)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"

    @property
    def validator(self) -> Any:
        """The jsonschema validator of the version's schema (built on first use)."""
        if self._validator is None:
            self._validator = KubeValidator(to_jsonschema(self.schema))
        return self._validator


class Registry:
    """Every CRD found in the folders; a later folder's CRD replaces an earlier one's of the same
    group and kind (so --crds experimental/ after standard/ takes the experimental ones)."""

    def __init__(self, folders: list[Path]) -> None:
        self.folders = folders
        self.kinds: dict[tuple[str, str], dict[str, CRDVersion]] = {}
        for folder in folders:
            if not folder.is_dir():
                raise InputError(f"{folder}: CRD folder not found")
            found: dict[tuple[str, str], dict[str, CRDVersion]] = {}
            for path in sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml")):
                for doc, _ in load_documents(path):
                    if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                        for v in _versions(doc, folder, path):
                            found.setdefault((v.group, v.kind), {})[v.version] = v
            if not found:
                raise InputError(f"{folder}: no CustomResourceDefinition in this folder")
            self.kinds.update(found)
        self.groups = GATEWAY_API_GROUPS | {g for g, _ in self.kinds}

    def versions(self) -> Iterator[CRDVersion]:
        """Every version of every CRD, sorted."""
        for gk in sorted(self.kinds):
            for name in sorted(self.kinds[gk]):
                yield self.kinds[gk][name]


def _versions(crd: dict[str, Any], folder: Path, path: Path) -> Iterator[CRDVersion]:
    try:
        spec = crd["spec"]
        for v in spec["versions"]:
            yield CRDVersion(group=spec["group"], kind=spec["names"]["kind"], version=v["name"],
                             served=bool(v.get("served")), deprecated=bool(v.get("deprecated")),
                             deprecation_warning=v.get("deprecationWarning"),
                             namespaced=spec.get("scope") == "Namespaced",
                             status_subresource="status" in (v.get("subresources") or {}),
                             schema=v["schema"]["openAPIV3Schema"], source=folder)
    except (KeyError, TypeError) as e:
        raise InputError(f"{path}: not a valid CustomResourceDefinition ({e!r})") from None
